/**
 * `npm run cdktn-check`: proves the move to CDK Terrain. Installs `cdktn`, `cdktn-cli` and `@cdktn/provider-aws`
 * (pinned in `toolchain/package.json` + lock) into `.cache/cdktn-check/` — outside the project's own
 * dependencies — synthesizes the app with `cdktf synth` and, from the same sources with the imports mapped
 * (`cdktf` -> `cdktn`, `@cdktf/provider-aws` -> `@cdktn/provider-aws`), with `cdktn synth`, then compares every
 * stack's `cdk.tf.json` (`compare.ts`). Prints the differences; exits 0 when only the named ones were found,
 * 1 on any other, 2 when it could not install or synthesize.
 */
import { spawnSync, type SpawnSyncOptions } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { compareSynths, formatComparison, type StackJson } from './compare';

const ROOT = path.resolve(__dirname, '../..');
const TOOLCHAIN = path.join(__dirname, 'toolchain');
const CACHE = path.join(ROOT, '.cache', 'cdktn-check');
const MANIFESTS = ['package.json', 'package-lock.json'];
/** The app's files that import cdktf: copied with their imports mapped. Everything else is linked as it is. */
const REWRITTEN = ['main.ts', 'stacks'];
/** Top-level entries the cdktn copy of the app does without (its own outputs, the checkout's metadata). */
const NOT_LINKED = new Set(['.git', '.cache', 'node_modules', 'cdktf.out', 'cdktf.json', ...REWRITTEN]);

class CheckError extends Error {}

function run(what: string, command: string, args: readonly string[], options: SpawnSyncOptions): void {
  const started = Date.now();
  const result = spawnSync(command, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, ...options });
  if (result.status !== 0) {
    const output = `${result.stdout ?? ''}${result.stderr ?? ''}`.trim().split('\n').slice(-30).join('\n');
    throw new CheckError(`${what} failed (${result.status ?? result.signal}):\n${output}`);
  }
  console.log(`cdktn-check: ${what} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
}

/** Installs the pinned toolchain into the cache folder unless the same lock file is installed there already. */
function ensureToolchain(): void {
  const lock = fs.readFileSync(path.join(TOOLCHAIN, 'package-lock.json'));
  const stamp = createHash('sha256').update(lock).digest('hex');
  const stampFile = path.join(CACHE, 'installed.sha256');
  if (fs.existsSync(stampFile) && fs.readFileSync(stampFile, 'utf8') === stamp) {
    console.log(`cdktn-check: toolchain already installed in ${path.relative(ROOT, CACHE)}`);
    return;
  }
  fs.mkdirSync(CACHE, { recursive: true });
  fs.rmSync(stampFile, { force: true });
  for (const file of MANIFESTS) fs.copyFileSync(path.join(TOOLCHAIN, file), path.join(CACHE, file));
  // No install scripts: synth needs none (they build the CLI's terminal helper for `cdktn deploy`'s prompts).
  run(
    'install cdktn, cdktn-cli, @cdktn/provider-aws',
    'npm',
    ['ci', '--ignore-scripts', '--no-audit', '--no-fund', '--loglevel=error'],
    {
      cwd: CACHE,
    },
  );
  fs.writeFileSync(stampFile, stamp);
}

/** `from 'cdktf'` -> `from 'cdktn'`, `@cdktf/provider-aws[/...]` -> `@cdktn/provider-aws[/...]`; nothing else. */
export function mapImports(source: string): string {
  return source
    .replace(/(from\s+|import\s*\(\s*|require\s*\(\s*)(['"])cdktf\2/g, '$1$2cdktn$2')
    .replace(/(['"])@cdktf\/provider-aws(\/[^'"]*)?\1/g, '$1@cdktn/provider-aws$2$1');
}

function copyMapped(from: string, to: string): void {
  if (fs.statSync(from).isDirectory()) {
    fs.mkdirSync(to, { recursive: true });
    for (const entry of fs.readdirSync(from)) copyMapped(path.join(from, entry), path.join(to, entry));
  } else if (from.endsWith('.ts')) {
    fs.writeFileSync(to, mapImports(fs.readFileSync(from, 'utf8')));
  } else {
    fs.copyFileSync(from, to);
  }
}

/**
 * The same app for cdktn in a temporary folder: `main.ts` and `stacks/` copied with mapped imports, every other
 * entry a symlink to the checkout (Node resolves a symlinked module from its real path, so those files load the
 * project's own dependencies), and cdktf.json's `app` run with the project's tsx by absolute path.
 */
function prepareCdktnApp(): string {
  const app = fs.mkdtempSync(path.join(os.tmpdir(), 'mysfits-cdktn-app-'));
  for (const entry of fs.readdirSync(ROOT)) {
    if (NOT_LINKED.has(entry)) continue;
    fs.symlinkSync(path.join(ROOT, entry), path.join(app, entry));
  }
  for (const entry of REWRITTEN) copyMapped(path.join(ROOT, entry), path.join(app, entry));
  const config = JSON.parse(fs.readFileSync(path.join(ROOT, 'cdktf.json'), 'utf8'));
  const tsx = path.join(ROOT, 'node_modules', 'tsx', 'dist', 'loader.mjs');
  config.app = `${JSON.stringify(process.execPath)} --import ${JSON.stringify(tsx)} main.ts`;
  fs.writeFileSync(path.join(app, 'cdktf.json'), `${JSON.stringify(config, null, 2)}\n`);
  return app;
}

function readStacks(outdir: string): Record<string, StackJson> {
  const stacksDir = path.join(outdir, 'stacks');
  if (!fs.existsSync(stacksDir)) throw new CheckError(`no stacks in ${outdir}`);
  return Object.fromEntries(
    fs
      .readdirSync(stacksDir)
      .map((stack) => [stack, JSON.parse(fs.readFileSync(path.join(stacksDir, stack, 'cdk.tf.json'), 'utf8'))]),
  );
}

function synthesize(
  what: string,
  cli: string,
  cwd: string,
  outdir: string,
  env: NodeJS.ProcessEnv = {},
): Record<string, StackJson> {
  run(what, process.execPath, [cli, 'synth', '--output', outdir], {
    cwd,
    env: { ...process.env, CHECKPOINT_DISABLE: '1', CI: 'true', ...env },
  });
  return readStacks(outdir);
}

export function main(): number {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'mysfits-cdktn-check-'));
  let app: string | undefined;
  try {
    ensureToolchain();
    const cdktf = synthesize(
      'cdktf synth',
      path.join(ROOT, 'node_modules/cdktf-cli/bundle/bin/cdktf'),
      ROOT,
      path.join(work, 'cdktf'),
    );
    app = prepareCdktnApp();
    // The copied sources find cdktn, @cdktn/provider-aws and its constructs in the cache first, then the rest
    // (zod, esbuild, fflate...) in the project's node_modules.
    const cdktn = synthesize(
      'cdktn synth',
      path.join(CACHE, 'node_modules/cdktn-cli/bin/cdktn'),
      app,
      path.join(work, 'cdktn'),
      {
        NODE_PATH: [path.join(CACHE, 'node_modules'), path.join(ROOT, 'node_modules')].join(path.delimiter),
      },
    );
    const comparison = compareSynths(cdktf, cdktn);
    console.log(formatComparison(comparison, Object.keys(cdktf).length));
    if (comparison.unexpected.length > 0) {
      console.error('cdktn-check: FAILED: CDK Terrain synthesizes something else than CDKTF (see UNEXPECTED above)');
      return 1;
    }
    console.log('cdktn-check: passed: same resources, logical ids, attributes and backends');
    return 0;
  } catch (error) {
    if (!(error instanceof CheckError)) throw error;
    console.error(`cdktn-check: ${error.message}`);
    return 2;
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
    if (app) fs.rmSync(app, { recursive: true, force: true });
  }
}

if (require.main === module) process.exit(main());
