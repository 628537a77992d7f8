/**
 * Edit and see: while the sandbox runs, a save of a handler (or of anything it imports) rebuilds that function's
 * bundle and retires its execution environments, so the next invocation runs the new code (with an Init
 * Duration, as after a new Lambda version); a save under website/ rebuilds the site, which the gateway reads from
 * disk on every request. A build error is printed once and the previous bundle keeps serving. Tables, queues, the
 * bucket and traces live in other processes (DynamoDB Local, fauxqs, the X-Ray daemon) and are never touched.
 *
 * Saves are seen with fs.watch on the directories of the files the bundles were built from (esbuild's metafile
 * lists them), plus website/ as a whole; a file whose content did not change (an editor's second event, a save
 * without edits) rebuilds nothing.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { REPO_ROOT } from '../../build/bundle';
import type { TracingBackend } from '../../build/tracing-backends';
import { buildSite, WEBSITE_OUT } from '../../build/website';
import { FUNCTIONS, type FunctionKey } from '../../system/definition';
import type { FunctionRuntime } from '../lambda/function-runtime';
import { buildErrorsOf, reportFailedBuilds, type FailedBuild } from './build-errors';
import { buildDirOf, createFunctionBundle, type FunctionBundle } from './function-bundles';

export interface WatchOptions {
  /**
   * The directory holding handlers/, system/ and website/ to build from; default the repository. Anything else
   * (a copy, in tests) is built into its own `.build/` there, never into the repository's.
   */
  sourceRoot?: string;
}

export interface ReloaderOptions extends WatchOptions {
  runtimes: Record<FunctionKey, FunctionRuntime>;
  tracingBackend?: TracingBackend;
  /** `↻ post-question reloaded (123 ms)`, and build errors. */
  log: (line: string) => void;
}

export interface Reloader {
  /** Settles once the saves seen so far are built and reloaded (tests wait on it). */
  settled(): Promise<void>;
  stop(): Promise<void>;
}

/** Saves arrive as bursts of events (write, then rename, per editor); one build per burst. */
const SETTLE_MS = 40;

/** The directory the gateway serves the website from, for the sandbox's `watch` option. */
export function websiteDirOf(watch: boolean | WatchOptions | undefined): string {
  const sourceRoot = typeof watch === 'object' ? watch.sourceRoot : undefined;
  if (!sourceRoot || path.resolve(sourceRoot) === REPO_ROOT) return WEBSITE_OUT;
  return path.join(buildDirOf(path.resolve(sourceRoot)), 'website');
}

/** Builds every function and the site from the source root, points the runtimes at them, and starts watching. */
export async function startReloader(options: ReloaderOptions): Promise<Reloader> {
  const sourceRoot = path.resolve(options.sourceRoot ?? REPO_ROOT);
  const bundles: FunctionBundle[] = [];
  for (const key of Object.keys(options.runtimes) as FunctionKey[]) {
    const bundle = await createFunctionBundle(key, sourceRoot, options.tracingBackend ?? 'xray-sdk');
    bundles.push(bundle);
    const result = await bundle.rebuild();
    if (!result.ok) {
      await Promise.all(bundles.map((b) => b.dispose()));
      throw new Error(reportFailedBuilds([{ what: FUNCTIONS[key].name, errors: result.errors }]).join('\n'));
    }
    options.runtimes[key].reload(result.taskRoot);
  }
  const reloader = new WatchingReloader(sourceRoot, bundles, options);
  const websiteFailure = reloader.buildWebsite();
  if (websiteFailure) {
    await reloader.stop();
    throw new Error(reportFailedBuilds([websiteFailure]).join('\n'));
  }
  reloader.watchInputs();
  return reloader;
}

class WatchingReloader implements Reloader {
  private readonly websiteSrc: string;
  private readonly websiteOut: string;
  private websiteInputs = new Set<string>();
  /** Content hash of every watched file, to tell a real change from a repeated event. */
  private readonly hashes = new Map<string, string>();
  private readonly watchers = new Map<string, fs.FSWatcher>();
  private readonly pending = new Set<string>();
  private timer?: NodeJS.Timeout;
  private work: Promise<void> = Promise.resolve();
  private stopped = false;

  constructor(
    sourceRoot: string,
    private readonly bundles: readonly FunctionBundle[],
    private readonly options: ReloaderOptions,
  ) {
    this.websiteSrc = path.join(sourceRoot, 'website');
    this.websiteOut = websiteDirOf({ sourceRoot });
  }

  /** Builds the site; returns the failure to report, if any (the previous files stay in place). */
  buildWebsite(): FailedBuild | undefined {
    try {
      this.websiteInputs = new Set(buildSite(this.websiteSrc, this.websiteOut).inputs);
      return undefined;
    } catch (err) {
      return { what: 'website', errors: buildErrorsOf(err) };
    }
  }

  /** Watches the directory of every file the bundles and the site were built from (node_modules aside). */
  watchInputs() {
    const inputs = [...this.bundles.flatMap((b) => [...b.inputs]), ...this.websiteInputs];
    const sources = inputs.filter((file) => !file.split(path.sep).includes('node_modules'));
    for (const file of sources) if (!this.hashes.has(file)) this.hashes.set(file, hashOf(file));
    const dirs = new Set(sources.map((file) => path.dirname(file)).filter((dir) => !isWithin(dir, this.websiteSrc)));
    this.watch(this.websiteSrc, true);
    for (const dir of dirs) this.watch(dir, false);
  }

  private watch(dir: string, recursive: boolean) {
    if (this.watchers.has(dir) || !fs.existsSync(dir)) return;
    const watcher = fs.watch(dir, { recursive, persistent: false }, (_event, name) => {
      if (name) this.saw(path.join(dir, name.toString()));
    });
    watcher.on('error', () => this.watchers.delete(dir));
    this.watchers.set(dir, watcher);
  }

  private saw(file: string) {
    if (this.stopped) return;
    this.pending.add(file);
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      const files = [...this.pending];
      this.pending.clear();
      // A failure of the watcher itself (not a build error) is said and does not stop the next saves.
      this.work = this.work
        .then(() => this.rebuildFor(files))
        .catch((err: Error) => this.options.log(`✗ reload failed: ${err.message}`));
    }, SETTLE_MS);
  }

  /** Rebuilds what depends on the files whose content changed: those functions, and the site. */
  private async rebuildFor(files: string[]) {
    const changed = files.filter((file) => this.changedContent(file));
    if (changed.length === 0 || this.stopped) return;
    const affected = this.bundles.filter((bundle) => changed.some((file) => bundle.inputs.has(file)));
    const failed: FailedBuild[] = [];
    for (const bundle of affected) {
      const result = await bundle.rebuild();
      if (this.stopped) return;
      if (!result.ok) {
        failed.push({ what: FUNCTIONS[bundle.key].name, errors: result.errors });
        continue;
      }
      this.options.runtimes[bundle.key].reload(result.taskRoot);
      this.options.log(`↻ ${FUNCTIONS[bundle.key].name} reloaded (${Math.round(result.ms)} ms)`);
    }
    if (changed.some((file) => isWithin(file, this.websiteSrc) || this.websiteInputs.has(file))) {
      const t0 = performance.now();
      const websiteFailure = this.buildWebsite();
      if (websiteFailure) failed.push(websiteFailure);
      else this.options.log(`↻ website rebuilt (${Math.round(performance.now() - t0)} ms)`);
    }
    for (const report of reportFailedBuilds(failed)) this.options.log(report);
    this.watchInputs();
  }

  /** True when the file's content differs from the last seen (a deleted file is a change too). */
  private changedContent(file: string): boolean {
    const hash = hashOf(file);
    if (hash === 'directory') return false;
    const before = this.hashes.get(file);
    this.hashes.set(file, hash);
    return before !== hash;
  }

  settled(): Promise<void> {
    return new Promise<void>((resolve) => setTimeout(resolve, SETTLE_MS * 2)).then(() =>
      this.pending.size > 0 ? this.settled() : this.work,
    );
  }

  async stop() {
    this.stopped = true;
    clearTimeout(this.timer);
    for (const watcher of this.watchers.values()) watcher.close();
    this.watchers.clear();
    await this.work.catch(() => undefined);
    await Promise.all(this.bundles.map((bundle) => bundle.dispose()));
  }
}

function hashOf(file: string): string {
  try {
    if (fs.statSync(file).isDirectory()) return 'directory';
    return createHash('sha256').update(fs.readFileSync(file)).digest('hex');
  } catch {
    return 'missing';
  }
}

function isWithin(file: string, dir: string): boolean {
  return file === dir || file.startsWith(dir + path.sep);
}
