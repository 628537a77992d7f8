/**
 * Bundle size and cold load of every handler (not a test: prints figures, asserts nothing).
 * Cold load = a fresh `node` requiring the bundle (with a Lambda-like environment, so settings are read and the
 * tracing SDK starts in Lambda mode) minus a fresh empty `node`; median of RUNS runs. Each handler twice: built
 * with the X-Ray SDK and with OpenTelemetry (`tracing` in the configuration).
 * Run: npx tsx bench/bundles.ts
 */
import { spawnSync } from 'node:child_process';
import { statSync } from 'node:fs';
import * as path from 'node:path';
import { bundleHandlerFor, TRACING_BACKENDS } from '../build/tracing-variant';
import { ENV, FUNCTIONS, type FunctionKey } from '../system/definition';

const RUNS = Number(process.env.BENCH_RUNS ?? 9);
const TARGET_KB = 700;
const TARGET_MS = 90;

const settings: Record<string, string> = {
  [ENV.questionsTableName]: 'questions',
  [ENV.questionsTopicArn]: 'arn:aws:sns:us-east-1:000000000000:questions',
  [ENV.mysfitsTableName]: 'mysfits',
  [ENV.mysfitsApiUrl]: 'http://127.0.0.1:9/prod',
  [ENV.allowedOrigin]: '*',
};

function wallMs(args: string[], env: NodeJS.ProcessEnv): number {
  const start = process.hrtime.bigint();
  const result = spawnSync(process.execPath, args, { env, stdio: ['ignore', 'ignore', 'pipe'] });
  const elapsed = Number(process.hrtime.bigint() - start) / 1e6;
  if (result.status !== 0) throw new Error(`node ${args.join(' ')} failed: ${result.stderr}`);
  return elapsed;
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
};

const rows: string[] = [];
// Both builds of each handler side by side: the X-Ray SDK one (default) and the OpenTelemetry one.
for (const key of Object.keys(FUNCTIONS) as FunctionKey[]) for (const backend of TRACING_BACKENDS) {
  const dir = bundleHandlerFor(key, backend);
  const file = path.join(dir, 'index.js');
  const sizeKb = statSync(file).size / 1024;
  const env = {
    PATH: process.env.PATH,
    AWS_REGION: 'us-east-1',
    LAMBDA_TASK_ROOT: dir,
    AWS_LAMBDA_FUNCTION_NAME: FUNCTIONS[key].name,
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    ...settings,
  };
  const empty: number[] = [];
  const loaded: number[] = [];
  // Interleaved, so drifting machine load affects both alike.
  for (let i = 0; i < RUNS; i++) {
    empty.push(wallMs(['-e', ''], env));
    loaded.push(wallMs(['-e', `require(${JSON.stringify(file)})`], env));
  }
  const coldMs = median(loaded) - median(empty);
  rows.push(
    [
      FUNCTIONS[key].name.padEnd(26),
      backend.padEnd(13),
      `${sizeKb.toFixed(0).padStart(5)} KB (target <= ${TARGET_KB} KB${sizeKb > TARGET_KB ? ', OVER' : ''})`,
      `cold load ${coldMs.toFixed(0).padStart(4)} ms (target <= ${TARGET_MS} ms${coldMs > TARGET_MS ? ', OVER' : ''})`,
    ].join('  '),
  );
}
console.log(`handler bundles (minified), cold load = median of ${RUNS} fresh node processes minus an empty node:`);
for (const row of rows) console.log(row);
