/**
 * Bundles one Lambda handler with esbuild into `.build/<function name>/index.js`.
 *
 * The stacks ship that directory as a Terraform asset, and the sandbox runs the very same file, so what is
 * tested locally is what is deployed. Output is deterministic (no timestamps, no absolute paths), so the
 * asset hash changes only when the code or its dependencies do.
 */
import { buildSync, context, type BuildOptions, type Plugin } from 'esbuild';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { FUNCTIONS, LAMBDA_NODE_MAJOR, type FunctionKey } from '../system/definition';

export const REPO_ROOT = path.resolve(__dirname, '..');
export const BUILD_DIR = path.join(REPO_ROOT, '.build');

const built = new Map<FunctionKey, string>();

/**
 * Packages that a function in Lambda never runs but would still parse (and partly run) at every cold start,
 * replaced by small stand-ins in build/lambda-shims/ that fail loudly if they are ever called.
 *
 * - The SDK clients' default credential chain (`@aws-sdk/credential-provider-node`: environment, SSO, ini files,
 *   web identity, process, container and instance metadata, with the STS/SSO clients they need: about 100 KB).
 *   Lambda hands a function its execution role's credentials in AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and
 *   AWS_SESSION_TOKEN (https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html#configuration-envvars-runtime),
 *   which the chain's first link, `fromEnv`, reads; the sandbox and the tests set the same variables. A function
 *   moved to SnapStart (credentials from a container endpoint) would need the full chain back.
 * - `semver` (30 KB), which only aws-xray-sdk-core's SDK v2 patcher (`captureAWS`) calls; the handlers use SDK v3.
 *
 * Aliases, not an esbuild plugin: plugins need esbuild's asynchronous API and the bundles are built synchronously.
 */
const LAMBDA_ALIASES = {
  '@aws-sdk/credential-provider-node': './build/lambda-shims/credentials-from-env.ts',
  semver: './build/lambda-shims/semver-left-out.ts',
};

export const BUNDLE_OPTIONS = {
  absWorkingDir: REPO_ROOT,
  bundle: true,
  platform: 'node',
  // Prefer packages' ES module builds (the AWS SDK ships both): esbuild can then drop what a handler does not
  // use, which keeps bundles small and cold starts short.
  mainFields: ['module', 'main'],
  // The Node.js of the runtime the functions deploy on, so esbuild keeps its syntax as is.
  target: `node${LAMBDA_NODE_MAJOR}`,
  format: 'cjs',
  minify: true,
  // No keepNames: nothing reads a minified function's or class's `name` (errors set theirs), and the
  // `__name(...)` call it adds after every function and class costs about 35 KB and 9 ms of CPU per cold start.
  keepNames: false,
  legalComments: 'none',
  logLevel: 'error',
  alias: LAMBDA_ALIASES,
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
  const outdir = bundleEntry(fn.entry, fn.name);
  built.set(key, outdir);
  return outdir;
}

/**
 * Bundles any entry (relative to the repository root) into `.build/<name>/index.js` with the handlers' options;
 * the benchmark's reference function is built this way, so it is measured like the handlers.
 */
export function bundleEntry(entry: string, name: string): string {
  const outdir = path.join(BUILD_DIR, name);
  const result = buildSync({
    ...BUNDLE_OPTIONS,
    entryPoints: [path.join(REPO_ROOT, entry)],
    outfile: path.join(outdir, 'index.js'),
  });
  writeOutputs(result.outputFiles);
  return outdir;
}

/**
 * An incremental esbuild context that bundles one entry as `bundleEntry` does (the same options, so the same file),
 * for the sandbox's watcher: `rebuild()` re-reads only what changed, and its metafile lists every input the bundle
 * depends on. Nothing is written and nothing is logged: the caller writes the outputs (writeOutputs) once a build
 * succeeded, and reports its errors.
 */
export function bundleContext(entryPoint: string, outfile: string, plugins: Plugin[] = []) {
  return context({
    ...BUNDLE_OPTIONS,
    logLevel: 'silent',
    metafile: true,
    entryPoints: [entryPoint],
    outfile,
    plugins,
  });
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
