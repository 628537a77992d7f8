/**
 * Bundles one Lambda handler with esbuild into `.build/<function name>/index.js`.
 *
 * The stacks ship that directory as a Terraform asset, and the sandbox runs the very same file, so what is
 * tested locally is what is deployed. Output is deterministic (no timestamps, no absolute paths), so the
 * asset hash changes only when the code or its dependencies do.
 */
import { buildSync, type BuildOptions } from 'esbuild';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { FUNCTIONS, type FunctionKey } from '../system/definition';

export const REPO_ROOT = path.resolve(__dirname, '..');
export const BUILD_DIR = path.join(REPO_ROOT, '.build');

const built = new Map<FunctionKey, string>();

export const BUNDLE_OPTIONS = {
  absWorkingDir: REPO_ROOT,
  bundle: true,
  platform: 'node',
  // Prefer packages' ES module builds (the AWS SDK ships both): esbuild can then drop what a handler does not
  // use, which keeps bundles small and cold starts short.
  mainFields: ['module', 'main'],
  target: 'node20',
  format: 'cjs',
  minify: true,
  keepNames: true,
  legalComments: 'none',
  logLevel: 'error',
  // Files are written by writeOutputs, not by esbuild: see there.
  write: false,
} as const satisfies BuildOptions;

/**
 * Writes esbuild's output files atomically (temporary file + rename) and only when their content changed.
 * Several test workers and a running sandbox may bundle at the same time; a process loading `index.js` must
 * never see a half-written file.
 */
export function writeOutputs(files: readonly { path: string; contents: Uint8Array }[]): void {
  for (const file of files) {
    const current = fs.existsSync(file.path) ? fs.readFileSync(file.path) : undefined;
    if (current && Buffer.compare(current, file.contents) === 0) continue;
    fs.mkdirSync(path.dirname(file.path), { recursive: true });
    const temporary = `${file.path}.${process.pid}.tmp`;
    fs.writeFileSync(temporary, file.contents);
    fs.renameSync(temporary, file.path);
  }
}

/** Bundles the handler once per process and returns the directory that holds `index.js`. */
export function bundleHandler(key: FunctionKey): string {
  const cached = built.get(key);
  if (cached) return cached;
  const fn = FUNCTIONS[key];
  const outdir = path.join(BUILD_DIR, fn.name);
  const result = buildSync({
    ...BUNDLE_OPTIONS,
    entryPoints: [path.join(REPO_ROOT, fn.entry)],
    outfile: path.join(outdir, 'index.js'),
  });
  writeOutputs(result.outputFiles);
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
    const result = buildSync({
      ...BUNDLE_OPTIONS,
      entryPoints: together.map((key) => path.join(REPO_ROOT, FUNCTIONS[key].entry)),
      outbase: path.join(REPO_ROOT, 'handlers'),
      outdir: BUILD_DIR,
    });
    writeOutputs(result.outputFiles);
    for (const key of together) built.set(key, path.join(BUILD_DIR, FUNCTIONS[key].name));
  }
  for (const key of todo) bundleHandler(key);
}
