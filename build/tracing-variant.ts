/**
 * The handler bundles per tracing back end. `xray-sdk` (the default) is `build/bundle.ts`'s bundle, untouched;
 * `opentelemetry` is the same handlers with `handlers/shared/tracing.ts` replaced by
 * `handlers/shared/tracing-otel.ts` at bundle time (same exports), into `.build/opentelemetry/<function>/`.
 * A bundle per variant keeps the default lean: neither carries the other's SDK.
 */
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { BUILD_DIR, BUNDLE_OPTIONS, bundleHandler, REPO_ROOT, writeOutputs } from './bundle';
import { FUNCTIONS, type FunctionKey } from '../system/definition';

import type { Plugin } from 'esbuild';
import type { TracingBackend } from './tracing-backends';

export { TRACING_BACKENDS, type TracingBackend } from './tracing-backends';

const TRACING_MODULE = path.join(REPO_ROOT, 'handlers/shared/tracing.ts');
const OTEL_TRACING_MODULE = path.join(REPO_ROOT, 'handlers/shared/tracing-otel.ts');
const OTEL_BUILD_DIR = path.join(BUILD_DIR, 'opentelemetry');

const built = new Map<FunctionKey, string>();

/** Bundles the OpenTelemetry variant of these handlers in one esbuild run (in a child process: see the worker). */
function bundleOpenTelemetry(keys: readonly FunctionKey[]): void {
  const todo = keys.filter((key) => !built.has(key));
  if (todo.length === 0) return;
  for (const key of todo) {
    if (FUNCTIONS[key].entry !== `handlers/${FUNCTIONS[key].name}/index.ts`) {
      throw new Error(`${FUNCTIONS[key].name}: the OpenTelemetry build expects its entry at handlers/<name>/index.ts`);
    }
  }
  const input = {
    options: { ...BUNDLE_OPTIONS, write: false },
    entryPoints: todo.map((key) => path.join(REPO_ROOT, FUNCTIONS[key].entry)),
    outdir: OTEL_BUILD_DIR,
    outbase: path.join(REPO_ROOT, 'handlers'),
    from: TRACING_MODULE,
    to: OTEL_TRACING_MODULE,
  };
  const result = spawnSync(
    process.execPath,
    [path.join(__dirname, 'tracing-variant-worker.js'), JSON.stringify(input)],
    {
      cwd: REPO_ROOT,
      encoding: 'utf8',
      maxBuffer: 256 * 1024 * 1024,
    },
  );
  if (result.status !== 0) throw new Error(`OpenTelemetry bundle failed: ${result.stderr || result.error?.message}`);
  const files = (JSON.parse(result.stdout) as { path: string; base64: string }[]).map((f) => ({
    path: f.path,
    contents: Buffer.from(f.base64, 'base64'),
  }));
  writeOutputs(files);
  for (const key of todo) built.set(key, path.join(OTEL_BUILD_DIR, FUNCTIONS[key].name));
}

/**
 * The plugin that makes a bundle the OpenTelemetry variant, for esbuild's asynchronous API (the sandbox's watcher):
 * `handlers/shared/tracing.ts` under `sourceRoot` becomes `handlers/shared/tracing-otel.ts`.
 */
export function openTelemetryPlugin(sourceRoot: string = REPO_ROOT): Plugin {
  const { swapTracingModule } = require('./tracing-variant-worker.js') as {
    swapTracingModule: (from: string, to: string) => Plugin;
  };
  return swapTracingModule(
    path.join(sourceRoot, 'handlers/shared/tracing.ts'),
    path.join(sourceRoot, 'handlers/shared/tracing-otel.ts'),
  );
}

/** The directory holding `index.js` of this function built with this tracing back end. */
export function bundleHandlerFor(key: FunctionKey, backend: TracingBackend = 'xray-sdk'): string {
  if (backend === 'xray-sdk') return bundleHandler(key);
  bundleOpenTelemetry([key]);
  return built.get(key)!;
}

/** Bundles several handlers of one back end at once (shared modules parsed once). */
export function bundleHandlersFor(keys: readonly FunctionKey[], backend: TracingBackend = 'xray-sdk'): void {
  if (backend === 'xray-sdk') for (const key of keys) bundleHandler(key);
  else bundleOpenTelemetry(keys);
}
