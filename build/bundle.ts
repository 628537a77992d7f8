/**
 * Bundles one Lambda handler with esbuild into `.build/<function name>/index.js`.
 *
 * The stacks ship that directory as a Terraform asset, and the sandbox runs the very same file, so what is
 * tested locally is what is deployed. Output is deterministic (no timestamps, no absolute paths), so the
 * asset hash changes only when the code or its dependencies do.
 */
import { buildSync } from 'esbuild';
import * as path from 'node:path';
import { FUNCTIONS, type FunctionKey } from '../system/definition';

export const REPO_ROOT = path.resolve(__dirname, '..');
export const BUILD_DIR = path.join(REPO_ROOT, '.build');

const built = new Map<FunctionKey, string>();

/** Bundles the handler once per process and returns the directory that holds `index.js`. */
export function bundleHandler(key: FunctionKey): string {
  const cached = built.get(key);
  if (cached) return cached;
  const fn = FUNCTIONS[key];
  const outdir = path.join(BUILD_DIR, fn.name);
  buildSync({
    entryPoints: [path.join(REPO_ROOT, fn.entry)],
    outfile: path.join(outdir, 'index.js'),
    absWorkingDir: REPO_ROOT,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    minify: true,
    keepNames: true,
    legalComments: 'none',
    logLevel: 'error',
  });
  built.set(key, outdir);
  return outdir;
}
