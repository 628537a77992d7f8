/**
 * Each target is type-checked with its own globals: a handler (Node.js on Lambda) cannot use the DOM, the website
 * (a browser) cannot use Node.js modules. A probe file is compiled in memory, as if it sat in the target's
 * folder, with the options of that folder's tsconfig.json; nothing is written to disk.
 */
import * as path from 'node:path';
import ts from 'typescript';

const ROOT = path.resolve(__dirname, '../..');

const TARGETS = {
  handlers: path.join(ROOT, 'handlers/tsconfig.json'),
  website: path.join(ROOT, 'website/src/tsconfig.json'),
  xrayConsole: path.join(ROOT, 'sandbox/xray/console/browser/tsconfig.json'),
  rest: path.join(ROOT, 'tsconfig.json'),
} as const;

function parseTarget(configPath: string): ts.ParsedCommandLine {
  const parsed = ts.getParsedCommandLineOfConfigFile(configPath, undefined, {
    ...ts.sys,
    onUnRecoverableConfigFileDiagnostic: (d) => {
      throw new Error(ts.flattenDiagnosticMessageText(d.messageText, '\n'));
    },
  });
  if (!parsed) throw new Error(`cannot read ${configPath}`);
  return parsed;
}

/** Parsed lib and @types files, shared by every probe: parsing them is most of the work. */
const parsedFiles = new Map<string, ts.SourceFile | undefined>();

/** The messages tsc gives for `source`, compiled as `<folder of configPath>/<name>` under that config's options. */
function diagnosticsOf(configPath: string, name: string, source: string): string[] {
  const { options } = parseTarget(configPath);
  const probe = path.join(path.dirname(configPath), name);
  const host = ts.createCompilerHost(options);
  const { getSourceFile, fileExists, readFile } = host;
  host.getSourceFile = (file, languageVersion, ...rest) =>
    path.resolve(file) === probe
      ? ts.createSourceFile(file, source, languageVersion)
      : cached(file, languageVersion, () => getSourceFile.call(host, file, languageVersion, ...rest));
  host.fileExists = (file) => path.resolve(file) === probe || fileExists.call(host, file);
  host.readFile = (file) => (path.resolve(file) === probe ? source : readFile.call(host, file));
  const program = ts.createProgram({ rootNames: [probe], options, host });
  return ts.getPreEmitDiagnostics(program).map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
}

function cached(
  file: string,
  languageVersion: ts.ScriptTarget | ts.CreateSourceFileOptions,
  parse: () => ts.SourceFile | undefined,
): ts.SourceFile | undefined {
  const key = `${JSON.stringify(languageVersion)}:${path.resolve(file)}`;
  if (!parsedFiles.has(key)) parsedFiles.set(key, parse());
  return parsedFiles.get(key);
}

const USES_DOCUMENT = 'export const title: string = document.title;\n';
const USES_NODE_FS = "import { readFileSync } from 'node:fs';\nexport const read = readFileSync;\n";

describe('per-target type checks', () => {
  test('a handler that reads document.title does not type-check', () => {
    expect(diagnosticsOf(TARGETS.handlers, 'probe-handler.ts', USES_DOCUMENT)).toEqual([
      expect.stringMatching(/Cannot find name 'document'/),
    ]);
  });

  test('the website that imports node:fs does not type-check', () => {
    expect(diagnosticsOf(TARGETS.website, 'probe-site.ts', USES_NODE_FS)).toEqual([
      expect.stringMatching(/Cannot find module 'node:fs'/),
    ]);
  });

  test("the X-Ray console's browser code may use the DOM but not node:fs", () => {
    expect(diagnosticsOf(TARGETS.xrayConsole, 'probe-console.ts', USES_NODE_FS)).toEqual([
      expect.stringMatching(/Cannot find module 'node:fs'/),
    ]);
    expect(diagnosticsOf(TARGETS.xrayConsole, 'probe-console.ts', USES_DOCUMENT)).toEqual([]);
  });

  // The same probes compile where those globals exist, so the errors above come from the configs, not the harness.
  test('the website may read document.title and a handler may import node:fs', () => {
    expect(diagnosticsOf(TARGETS.website, 'probe-site.ts', USES_DOCUMENT)).toEqual([]);
    expect(diagnosticsOf(TARGETS.handlers, 'probe-handler.ts', USES_NODE_FS)).toEqual([]);
  });

  test('a handler sees no jest globals', () => {
    expect(diagnosticsOf(TARGETS.handlers, 'probe-handler.ts', 'describe("x", () => undefined);\n')).toEqual([
      expect.stringMatching(/Cannot find name 'describe'/),
    ]);
  });

  test('each target owns its folder, and the rest excludes them', () => {
    const files = (target: keyof typeof TARGETS) =>
      parseTarget(TARGETS[target]).fileNames.map((f) => path.relative(ROOT, f).split(path.sep).join('/'));
    expect(files('handlers')).toEqual(
      expect.arrayContaining(['handlers/post-question/index.ts', 'handlers/shared/text.ts', 'system/definition.ts']),
    );
    expect(files('handlers').filter((f) => !/^(handlers|system)\//.test(f))).toEqual([]);
    expect(files('website')).toContain('website/src/main.ts');
    expect(files('website').filter((f) => !f.startsWith('website/src/'))).toEqual([]);
    expect(files('xrayConsole')).toContain('sandbox/xray/console/browser/main.ts');
    expect(files('xrayConsole').filter((f) => !f.startsWith('sandbox/xray/console/browser/'))).toEqual([]);
    expect(files('rest').filter((f) => /^(handlers|website|sandbox\/xray\/console\/browser)\//.test(f))).toEqual([]);
    expect(files('rest')).toEqual(expect.arrayContaining(['main.ts', 'sandbox/start.ts']));
  });

  test('npm run typecheck checks every target', () => {
    const { scripts } = require(path.join(ROOT, 'package.json')) as { scripts: Record<string, string> };
    expect(scripts.typecheck).toBe(
      'tsc -p handlers && tsc -p website/src && tsc -p sandbox/xray/console/browser && tsc -p .',
    );
  });
});
