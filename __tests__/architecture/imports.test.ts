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

/**
 * What each module may import besides itself, as path prefixes relative to the repository root. Modules not
 * listed (the tests) may import anything; a module listed with [] imports nothing of the project.
 */
const MAY_IMPORT: Record<string, readonly string[]> = {
  'system/': [],
  // A handler: its own folder (added below), the shared handler code and the wiring.
  'handlers/': ['handlers/shared/', 'system/'],
  // The browser site shares the wiring and the handlers' pure text rules, nothing that needs Node.js.
  'website/': ['system/', 'handlers/shared/text.ts'],
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
    return projectImportsOf(file)
      .filter(({ target }) => !allowed.some((prefix) => isUnder(target, prefix)))
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

  test('the scan catches a handler reaching into the sandbox, another handler, or a stack', () => {
    const probe = (from: string, source: string) => {
      const file = path.join(ROOT, from);
      const read = jest.spyOn(fs, 'readFileSync').mockReturnValueOnce(source);
      try {
        return forbiddenImports([file]);
      } finally {
        read.mockRestore();
      }
    };
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
});
