/**
 * Imports between the repository's modules go one way (docs/architecture.md): system/ at the bottom, the
 * handlers and the site above it, build/ and config/ next, stacks/ and sandbox/ beside each other, tools/,
 * bench/ and the tests on top. A scan of every source file's relative imports fails naming the offending one.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import ts from 'typescript';

const ROOT = path.resolve(__dirname, '../..');
const SOURCE = /\.(ts|js|cjs|mjs)$/;
const NOT_SOURCE_DIRS = new Set(['node_modules', 'cdktf.out', 'dist', 'coverage']);

/** The system/ modules the handlers read: their settings, the APIs' contract, the tables, the trace names. */
const HANDLER_SYSTEM_MODULES = ['system/functions.ts', 'system/api.ts', 'system/resources.ts', 'system/trace-names.ts'];
/** The system/ modules the browser site reads: the APIs' contract and the output ids its config.json uses. */
const SITE_SYSTEM_MODULES = ['system/api.ts', 'system/stacks.ts'];
/** The index of system/: it re-exports every module there. */
const SYSTEM_INDEX = 'system/definition.ts';

/**
 * What each module may import besides itself, as path prefixes relative to the repository root. Modules not
 * listed (the tests) may import anything; a module listed with [] imports nothing of the project.
 */
const MAY_IMPORT: Record<string, readonly string[]> = {
  // The modules of system/ import one another, never the index (`definition.ts`), which re-exports them all.
  'system/': [],
  // A handler: its own folder (added below), the shared handler code and the wiring modules a function reads.
  // Never the index: esbuild would bundle every module it re-exports (see system/definition.ts).
  'handlers/': ['handlers/shared/', ...HANDLER_SYSTEM_MODULES],
  // The browser site shares the APIs' contract, the output ids of config.json and the handlers' pure text rules:
  // nothing that needs Node.js, nor the index.
  'website/': [...SITE_SYSTEM_MODULES, 'handlers/shared/text.ts'],
  'build/': ['system/'],
  'config/': ['system/', 'build/'],
  'stacks/': ['system/', 'config/', 'build/', 'data/'],
  'sandbox/': ['system/', 'build/', 'data/'],
  'tools/': ['system/', 'config/', 'data/', 'handlers/', 'sandbox/'],
  'bench/': ['system/', 'config/', 'data/', 'build/', 'handlers/', 'sandbox/', 'stacks/'],
  'main.ts': ['config/', 'stacks/'],
};

/** The rule that applies to `file`: the prefixes it may import, its own module's prefix first. */
function allowedFor(file: string): readonly string[] | undefined {
  const module = Object.keys(MAY_IMPORT).find((prefix) => file === prefix || file.startsWith(prefix));
  if (!module) return undefined;
  // Each handler is its own module: handlers/<name>/ may not reach into another handler's folder.
  const own = module === 'handlers/' ? `handlers/${file.split('/')[1]}/` : module;
  return [own, ...MAY_IMPORT[module]];
}

/** Imports a module may not make even though its own prefix covers them: system/'s modules do not import the index. */
function forbiddenFor(file: string): readonly string[] {
  return file.startsWith('system/') && file !== SYSTEM_INDEX ? [SYSTEM_INDEX] : [];
}

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    if (entry.name.startsWith('.') || NOT_SOURCE_DIRS.has(entry.name)) return [];
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(full);
    return SOURCE.test(entry.name) && !entry.name.endsWith('.d.ts') ? [full] : [];
  });
}

const relative = (file: string) => path.relative(ROOT, file).split(path.sep).join('/');

/** The project files `file` imports (import/export from, import(), require()), relative to the repository root. */
function projectImportsOf(file: string): { specifier: string; target: string }[] {
  const { importedFiles } = ts.preProcessFile(fs.readFileSync(file, 'utf8'), true, true);
  return importedFiles
    .filter(({ fileName }) => fileName.startsWith('.'))
    .map(({ fileName }) => ({ specifier: fileName, target: relative(path.resolve(path.dirname(file), fileName)) }));
}

/** Whether an import target (written with or without its extension) is the file or inside the folder `prefix`. */
function isUnder(target: string, prefix: string): boolean {
  const withoutExtension = (p: string) => p.replace(/\.(ts|js|cjs|mjs|json)$/, '');
  return prefix.endsWith('/')
    ? target.startsWith(prefix) || target === prefix.slice(0, -1)
    : withoutExtension(target) === withoutExtension(prefix);
}

/** Every import that breaks the direction, as "<file> imports '<specifier>' (<target>)". */
function forbiddenImports(files: readonly string[]): string[] {
  return files.flatMap((file) => {
    const from = relative(file);
    const allowed = allowedFor(from);
    if (!allowed) return [];
    const forbidden = forbiddenFor(from);
    return projectImportsOf(file)
      .filter(
        ({ target }) =>
          !allowed.some((prefix) => isUnder(target, prefix)) || forbidden.some((prefix) => isUnder(target, prefix)),
      )
      .map(({ specifier, target }) => `${from} imports '${specifier}' (${target})`);
  });
}

describe('the direction of imports', () => {
  const files = sourceFiles(ROOT);

  test('the scan sees every module', () => {
    for (const module of Object.keys(MAY_IMPORT))
      expect(files.map(relative).some((f) => f === module || f.startsWith(module))).toBe(true);
  });

  test('no module imports one above it', () => {
    expect(forbiddenImports(files)).toEqual([]);
  });

  /** The offending imports of one file with this source, as the scan reports them. */
  const probe = (from: string, source: string) => {
    const file = path.join(ROOT, from);
    const read = jest.spyOn(fs, 'readFileSync').mockReturnValueOnce(source);
    try {
      return forbiddenImports([file]);
    } finally {
      read.mockRestore();
    }
  };

  test('the scan catches a handler reaching into the sandbox, another handler, or a stack', () => {
    expect(probe('handlers/post-question/x.ts', "import { a } from '../../sandbox/index';")).toEqual([
      "handlers/post-question/x.ts imports '../../sandbox/index' (sandbox/index)",
    ]);
    expect(probe('handlers/post-question/x.ts', "import { a } from '../mysfits-api/index';")).toHaveLength(1);
    expect(probe('system/x.ts', "const b = require('../build/bundle');")).toHaveLength(1);
    expect(probe('sandbox/x.ts', "const s = await import('../stacks/app');")).toHaveLength(1);
    expect(probe('website/src/x.ts', "import { a } from '../../handlers/shared/logger';")).toHaveLength(1);
    expect(probe('handlers/post-question/x.ts', "import { a } from '../shared/text'; import b from './y';")).toEqual(
      [],
    );
  });

  test('the handlers and the site import the system/ module they need, never the index', () => {
    expect(probe('handlers/post-question/x.ts', "import { ENV } from '../../system/definition';")).toEqual([
      "handlers/post-question/x.ts imports '../../system/definition' (system/definition)",
    ]);
    expect(
      probe('handlers/shared/x.ts', "import { EXPECTED_TRACE_FLOWS } from '../../system/tracing-contract';"),
    ).toHaveLength(1);
    expect(probe('handlers/shared/x.ts', "import { SANDBOX_PORTS } from '../../system/local-ports';")).toHaveLength(1);
    expect(probe('website/src/x.ts', "import { QUESTION_RULES } from '../../system/definition';")).toHaveLength(1);
    expect(probe('website/src/x.ts', "import { TABLES } from '../../system/resources';")).toHaveLength(1);
    expect(probe('website/src/x.ts', "import { FUNCTIONS } from '../../system/functions';")).toHaveLength(1);
    expect(probe('system/x.ts', "import { ENV } from './definition';")).toHaveLength(1);
    expect(probe('system/definition.ts', "export * from './functions';")).toEqual([]);
    expect(
      probe(
        'handlers/post-question/x.ts',
        "import { ENV } from '../../system/functions'; import { TABLES } from '../../system/resources';",
      ),
    ).toEqual([]);
    expect(
      probe(
        'website/src/x.ts',
        "import { QUESTION_RULES } from '../../system/api'; import { OUTPUTS } from '../../system/stacks';",
      ),
    ).toEqual([]);
  });
});
