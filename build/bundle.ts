/**
 * Bundles one Lambda handler with esbuild into `.build/<function name>/index.js`.
 *
 * The stacks ship that directory as a Terraform asset, and the sandbox runs the very same file, so what is
 * tested locally is what is deployed. Output is deterministic (no timestamps, no absolute paths), so the
 * asset hash changes only when the code or its dependencies do.
 */
import { buildSync, type BuildOptions } from 'esbuild';
import * as path from 'node:path';
import { FUNCTIONS, type FunctionKey } from '../system/definition';

export const REPO_ROOT = path.resolve(__dirname, '..');
export const BUILD_DIR = path.join(REPO_ROOT, '.build');

const built = new Map<FunctionKey, string>();

const BUNDLE_OPTIONS = {
  absWorkingDir: REPO_ROOT,
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  minify: true,
  keepNames: true,
  legalComments: 'none',
  logLevel: 'error',
} as const satisfies BuildOptions;

/** Bundles the handler once per process and returns the directory that holds `index.js`. */
export function bundleHandler(key: FunctionKey): string {
  const cached = built.get(key);
  if (cached) return cached;
  const fn = FUNCTIONS[key];
  const outdir = path.join(BUILD_DIR, fn.name);
  buildSync({
    ...BUNDLE_OPTIONS,
    entryPoints: [path.join(REPO_ROOT, fn.entry)],
    outfile: path.join(outdir, 'index.js'),
  });
  built.set(key, outdir);
  return outdir;
}

/**
 * Bundles several handlers in one esbuild run (modules they share, like the AWS SDK, are parsed once) and
 * primes `bundleHandler`'s cache; same options, so the same files. Handlers whose entry is not
 * `handlers/<name>/index.ts` are bundled one by one.
 */
export function bundleHandlers(keys: readonly FunctionKey[]): void {
  const todo = keys.filter((key) => !built.has(key));
  const together = todo.filter((key) => FUNCTIONS[key].entry === `handlers/${FUNCTIONS[key].name}/index.ts`);
  if (together.length > 1) {
    buildSync({
      ...BUNDLE_OPTIONS,
      entryPoints: together.map((key) => path.join(REPO_ROOT, FUNCTIONS[key].entry)),
      outbase: path.join(REPO_ROOT, 'handlers'),
      outdir: BUILD_DIR,
    });
    for (const key of together) built.set(key, path.join(BUILD_DIR, FUNCTIONS[key].name));
  }
  for (const key of todo) bundleHandler(key);
}
