/**
 * The handler bundles a running sandbox rebuilds on a save: one incremental esbuild context per function, with the
 * options the deploy bundles use (build/bundle.ts), and the OpenTelemetry swap when that build runs, so what is
 * reloaded is what would deploy. Each build's metafile says which files the bundle depends on (whatever it imports,
 * system/*.ts included), so a save rebuilds exactly the functions that import the saved file.
 */
import type { BuildContext, Message } from 'esbuild';
import * as path from 'node:path';
import { bundleContext, REPO_ROOT, writeOutputs } from '../../build/bundle';
import { openTelemetryPlugin } from '../../build/tracing-variant';
import type { TracingBackend } from '../../build/tracing-backends';
import { FUNCTIONS, type FunctionKey } from '../../system/definition';

export type BundleResult = { ok: true; taskRoot: string; ms: number } | { ok: false; errors: Message[] };

export interface FunctionBundle {
  readonly key: FunctionKey;
  /** The directory holding the bundle's `index.js` (the function's LAMBDA_TASK_ROOT). */
  readonly taskRoot: string;
  /** Absolute paths of every file the last successful build read. */
  inputs: ReadonlySet<string>;
  /** Builds again; on success writes `index.js` (atomically) and updates `inputs`; on failure writes nothing. */
  rebuild(): Promise<BundleResult>;
  dispose(): Promise<void>;
}

/** `<sourceRoot>/.build`, or the deploy bundles' own `.build` when the source root is the repository. */
export function buildDirOf(sourceRoot: string): string {
  return path.join(sourceRoot, '.build');
}

/** Where the function's bundle goes: `.build/<name>/` or `.build/opentelemetry/<name>/`, as build/ puts them. */
function taskRootOf(sourceRoot: string, key: FunctionKey, backend: TracingBackend): string {
  const variantDir = backend === 'opentelemetry' ? 'opentelemetry' : '';
  return path.join(buildDirOf(sourceRoot), variantDir, FUNCTIONS[key].name);
}

export async function createFunctionBundle(
  key: FunctionKey,
  sourceRoot: string,
  backend: TracingBackend,
): Promise<FunctionBundle> {
  const taskRoot = taskRootOf(sourceRoot, key, backend);
  const plugins = backend === 'opentelemetry' ? [openTelemetryPlugin(sourceRoot)] : [];
  const context: BuildContext = await bundleContext(
    path.join(sourceRoot, FUNCTIONS[key].entry),
    path.join(taskRoot, 'index.js'),
    plugins,
  );
  const bundle: FunctionBundle = {
    key,
    taskRoot,
    inputs: new Set(),
    async rebuild() {
      const t0 = performance.now();
      try {
        const result = await context.rebuild();
        writeOutputs(result.outputFiles ?? []);
        bundle.inputs = new Set(
          Object.keys(result.metafile?.inputs ?? {}).map((input) => path.resolve(REPO_ROOT, input)),
        );
        return { ok: true, taskRoot, ms: performance.now() - t0 };
      } catch (err) {
        const errors = (err as { errors?: Message[] }).errors;
        if (!errors) throw err;
        return { ok: false, errors };
      }
    },
    dispose: () => context.dispose(),
  };
  return bundle;
}
