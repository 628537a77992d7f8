/**
 * Bundle size and cold load of every handler beside a peer: post-question written the common way with
 * Powertools (bench/reference/post-question.ts), bundled by the same build with the same options. Each handler
 * twice: built with the X-Ray SDK (the default) and with OpenTelemetry (`tracing` in the configuration; rows
 * marked `otel`), both with the same build options; the targets are checked against every bundle of both builds.
 * Not a test: prints figures beside their targets, asserts nothing.
 *
 * Load time = a fresh `node` (this process's binary, so the runtime's major when run on it) requiring the bundle,
 * with a Lambda-like environment (settings read, the X-Ray SDK in Lambda mode), minus a fresh `node` that
 * requires nothing: as wall-clock time, and as the CPU time the process used (user + system, all its threads),
 * which other processes on a busy machine disturb far less. Every round starts the empty node and each bundle
 * once, in a shuffled order, so drifting machine load falls on all of them alike; figures are medians over the
 * rounds, with the middle half's spread. The ratio to the reference is the median of the per-round ratios (each
 * round's pair measured side by side).
 *
 * Run: npm run bench, or npx tsx bench/bundles.ts (BENCH_RUNS=<rounds>, default 40).
 */
import { spawnSync } from 'node:child_process';
import { statSync } from 'node:fs';
import * as path from 'node:path';
import { bundleEntry, bundleHandlers } from '../build/bundle';
import { bundleHandlerFor, bundleHandlersFor } from '../build/tracing-variant';
import { ENV, FUNCTIONS, type FunctionKey } from '../system/definition';

const RUNS = Number(process.env.BENCH_RUNS ?? 40);
const TARGETS = {
  /** No bundle above this. */
  maxBundleKb: 500,
  /** post-question against the reference. */
  maxSizeRatio: 0.5,
  maxLoadRatio: 0.7,
};

const REFERENCE = { name: 'reference: powertools', entry: 'bench/reference/post-question.ts' };

const lambdaSettings: Record<string, string> = {
  [ENV.questionsTableName]: 'questions',
  [ENV.questionsTopicArn]: 'arn:aws:sns:us-east-1:000000000000:questions',
  [ENV.mysfitsTableName]: 'mysfits',
  [ENV.mysfitsApiUrl]: 'http://127.0.0.1:9/prod',
  [ENV.allowedOrigin]: '*',
};

interface Subject {
  name: string;
  file: string;
  sizeKb: number;
  env: NodeJS.ProcessEnv;
  wallMs: number[];
  cpuMs: number[];
}

function lambdaEnv(dir: string, functionName: string): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    AWS_REGION: 'us-east-1',
    LAMBDA_TASK_ROOT: dir,
    AWS_LAMBDA_FUNCTION_NAME: functionName,
    ...lambdaSettings,
  };
}

function subject(name: string, dir: string): Subject {
  const file = path.join(dir, 'index.js');
  return { name, file, sizeKb: statSync(file).size / 1024, env: lambdaEnv(dir, name), wallMs: [], cpuMs: [] };
}

/** Starts a fresh node that requires `file` (or nothing) and reports the CPU time it used. */
function startNode(file: string, env: NodeJS.ProcessEnv): { wall: number; cpu: number } {
  const script =
    `${file ? `require(${JSON.stringify(file)});` : ''}const u = process.cpuUsage(); ` +
    `process.stdout.write(String((u.user + u.system) / 1000));`;
  const start = process.hrtime.bigint();
  const result = spawnSync(process.execPath, ['-e', script], {
    env,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const wall = Number(process.hrtime.bigint() - start) / 1e6;
  if (result.status !== 0) throw new Error(`node requiring ${file || 'nothing'} failed: ${result.stderr}`);
  return { wall, cpu: Number(result.stdout) };
}

function quantile(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (sorted.length - 1) * q;
  const low = Math.floor(at);
  return sorted[low] + (sorted[Math.min(low + 1, sorted.length - 1)] - sorted[low]) * (at - low);
}
const median = (values: number[]) => quantile(values, 0.5);
const spread = (values: number[], digits = 0) =>
  `${quantile(values, 0.25).toFixed(digits)}..${quantile(values, 0.75).toFixed(digits)}`;

function shuffled<T>(items: T[]): T[] {
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [copy[i], copy[j]] = [copy[j], copy[i]];
  }
  return copy;
}

const keys = Object.keys(FUNCTIONS) as FunctionKey[];
bundleHandlers(keys);
bundleHandlersFor(keys, 'opentelemetry');
const handlers = keys.map((key) =>
  subject(FUNCTIONS[key].name, path.join(__dirname, '..', '.build', FUNCTIONS[key].name)),
);
const otelHandlers = keys.map((key) => subject(`${FUNCTIONS[key].name} otel`, bundleHandlerFor(key, 'opentelemetry')));
const reference = subject(REFERENCE.name, bundleEntry(REFERENCE.entry, 'reference-post-question'));
const subjects = [...handlers, ...otelHandlers, reference];
const empty: Subject = { name: 'empty', file: '', sizeKb: 0, env: lambdaEnv('/tmp', 'empty'), wallMs: [], cpuMs: [] };

// One warm-up round (page cache, esbuild's output on disk), not counted.
for (const s of [empty, ...subjects]) startNode(s.file, s.env);
for (let round = 0; round < RUNS; round++) {
  const measured = new Map<Subject, { wall: number; cpu: number }>();
  for (const s of shuffled([empty, ...subjects])) measured.set(s, startNode(s.file, s.env));
  const base = measured.get(empty)!;
  empty.wallMs.push(base.wall);
  empty.cpuMs.push(base.cpu);
  for (const s of subjects) {
    s.wallMs.push(measured.get(s)!.wall - base.wall);
    s.cpuMs.push(measured.get(s)!.cpu - base.cpu);
  }
}

type Measure = 'wallMs' | 'cpuMs';
const ratios = (s: Subject, m: Measure) => s[m].map((ms, i) => ms / reference[m][i]);
const over = (value: number, limit: number) => (value > limit ? ', MISSED' : ', met');

console.log(
  `${RUNS} interleaved rounds on node ${process.version}; the empty node: wall ${median(empty.wallMs).toFixed(0)} ms ` +
    `(middle half ${spread(empty.wallMs)}), CPU ${median(empty.cpuMs).toFixed(0)} ms (${spread(empty.cpuMs)}).`,
);
console.log(
  'load = a fresh node requiring the bundle minus the empty node of the same round; x ref = ratio to the reference',
);
const header = ['function'.padEnd(31), 'bundle'.padStart(8), 'x ref'.padStart(5)];
for (const m of ['wall', 'CPU'])
  header.push(`${m} ms`.padStart(8), 'middle half'.padStart(11), 'x ref'.padStart(5), 'middle half'.padStart(11));
console.log(header.join(' '));
for (const s of subjects) {
  const isReference = s === reference;
  const cells = [
    s.name.padEnd(31),
    `${s.sizeKb.toFixed(0).padStart(5)} KB`,
    (isReference ? '' : (s.sizeKb / reference.sizeKb).toFixed(2)).padStart(5),
  ];
  for (const m of ['wallMs', 'cpuMs'] as const) {
    cells.push(
      median(s[m]).toFixed(1).padStart(8),
      spread(s[m]).padStart(11),
      (isReference ? '' : median(ratios(s, m)).toFixed(2)).padStart(5),
      (isReference ? '' : spread(ratios(s, m), 2)).padStart(11),
    );
  }
  console.log(cells.join(' '));
}
console.log('targets:');
// The same targets for each tracing build: the OpenTelemetry one is a deployable build, not an exception.
for (const [build, built] of [
  ['X-Ray SDK', handlers],
  ['OpenTelemetry', otelHandlers],
] as const) {
  const postQuestion = built[keys.indexOf('postQuestion')];
  const sizeRatio = postQuestion.sizeKb / reference.sizeKb;
  const largest = Math.max(...built.map((s) => s.sizeKb));
  console.log(` ${build} build:`);
  console.log(
    `  post-question bundle <= ${TARGETS.maxSizeRatio} x reference: ` +
      `${sizeRatio.toFixed(2)}${over(sizeRatio, TARGETS.maxSizeRatio)}`,
  );
  for (const m of ['wallMs', 'cpuMs'] as const) {
    const loadRatio = median(ratios(postQuestion, m));
    const what = m === 'wallMs' ? 'wall' : 'CPU';
    console.log(
      `  post-question load (${what}) <= ${TARGETS.maxLoadRatio} x reference: ` +
        `${loadRatio.toFixed(2)}${over(loadRatio, TARGETS.maxLoadRatio)}`,
    );
  }
  console.log(
    `  every bundle <= ${TARGETS.maxBundleKb} KB: largest ${largest.toFixed(0)} ` +
      `KB${over(largest, TARGETS.maxBundleKb)}`,
  );
}
