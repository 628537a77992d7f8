/**
 * Bundle size and cold load of every handler beside a peer: post-question written the common way with
 * Powertools (bench/reference/post-question.ts), bundled by the same build with the same options.
 * Not a test: prints figures beside their targets, asserts nothing.
 *
 * Load time = a fresh `node` (this process's binary, so the runtime's major when run on it) requiring the bundle,
 * with a Lambda-like environment (settings read, the X-Ray SDK in Lambda mode), minus a fresh `node` that
 * requires nothing. Every round starts the empty node and each bundle once, in a shuffled order, so drifting
 * machine load falls on all of them alike; figures are medians over the rounds, with the middle half's spread.
 * The ratio to the reference is the median of the per-round ratios (each round's pair measured side by side).
 *
 * Run: npm run bench, or npx tsx bench/bundles.ts (BENCH_RUNS=<rounds>, default 40).
 */
import { spawnSync } from 'node:child_process';
import { statSync } from 'node:fs';
import * as path from 'node:path';
import { bundleEntry, bundleHandlers } from '../build/bundle';
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
  loadMs: number[];
}

function lambdaEnv(dir: string, functionName: string): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    AWS_REGION: 'us-east-1',
    LAMBDA_TASK_ROOT: dir,
    AWS_LAMBDA_FUNCTION_NAME: functionName,
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    ...lambdaSettings,
  };
}

function subject(name: string, dir: string): Subject {
  const file = path.join(dir, 'index.js');
  return { name, file, sizeKb: statSync(file).size / 1024, env: lambdaEnv(dir, name), loadMs: [] };
}

function wallMs(script: string, env: NodeJS.ProcessEnv): number {
  const start = process.hrtime.bigint();
  const result = spawnSync(process.execPath, ['-e', script], { env, stdio: ['ignore', 'ignore', 'pipe'] });
  const elapsed = Number(process.hrtime.bigint() - start) / 1e6;
  if (result.status !== 0) throw new Error(`node -e ${script} failed: ${result.stderr}`);
  return elapsed;
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
const handlers = keys.map((key) => subject(FUNCTIONS[key].name, path.join(__dirname, '..', '.build', FUNCTIONS[key].name)));
const reference = subject(REFERENCE.name, bundleEntry(REFERENCE.entry, 'reference-post-question'));
const subjects = [...handlers, reference];
const empty: Subject = { name: 'empty', file: '', sizeKb: 0, env: lambdaEnv('/tmp', 'empty'), loadMs: [] };

// One warm-up round (page cache, esbuild's output on disk), not counted.
for (const s of [empty, ...subjects]) wallMs(s.file ? `require(${JSON.stringify(s.file)})` : '', s.env);
const emptyMs: number[] = [];
for (let round = 0; round < RUNS; round++) {
  let emptyThisRound = 0;
  const wall = new Map<Subject, number>();
  for (const s of shuffled([empty, ...subjects])) {
    const ms = wallMs(s.file ? `require(${JSON.stringify(s.file)})` : '', s.env);
    if (s === empty) emptyThisRound = ms;
    else wall.set(s, ms);
  }
  emptyMs.push(emptyThisRound);
  for (const [s, ms] of wall) s.loadMs.push(ms - emptyThisRound);
}

const ratios = (s: Subject) => s.loadMs.map((ms, i) => ms / reference.loadMs[i]);
const postQuestion = handlers.find((s) => s.name === FUNCTIONS.postQuestion.name)!;
const over = (value: number, limit: number) => (value > limit ? ', MISSED' : ', met');

console.log(
  `${RUNS} interleaved rounds on node ${process.version}; empty node ${median(emptyMs).toFixed(0)} ms ` +
    `(middle half ${spread(emptyMs)}). load = fresh node requiring the bundle minus the empty node of the same round.`,
);
console.log(
  `${'function'.padEnd(26)} ${'bundle'.padStart(8)} ${'x ref'.padStart(6)}  ${'load ms'.padStart(7)} ${'middle half'.padStart(12)} ${'x ref'.padStart(6)} ${'middle half'.padStart(12)}`,
);
for (const s of subjects) {
  const isReference = s === reference;
  console.log(
    [
      s.name.padEnd(26),
      `${s.sizeKb.toFixed(0).padStart(5)} KB`,
      (isReference ? '' : (s.sizeKb / reference.sizeKb).toFixed(2)).padStart(6),
      ` ${median(s.loadMs).toFixed(1).padStart(7)}`,
      spread(s.loadMs).padStart(12),
      (isReference ? '' : median(ratios(s)).toFixed(2)).padStart(6),
      (isReference ? '' : spread(ratios(s), 2)).padStart(12),
    ].join(' '),
  );
}
const sizeRatio = postQuestion.sizeKb / reference.sizeKb;
const loadRatio = median(ratios(postQuestion));
const largest = Math.max(...handlers.map((s) => s.sizeKb));
console.log('targets:');
console.log(`  post-question bundle <= ${TARGETS.maxSizeRatio} x reference: ${sizeRatio.toFixed(2)}${over(sizeRatio, TARGETS.maxSizeRatio)}`);
console.log(`  post-question load   <= ${TARGETS.maxLoadRatio} x reference: ${loadRatio.toFixed(2)}${over(loadRatio, TARGETS.maxLoadRatio)}`);
console.log(`  every bundle <= ${TARGETS.maxBundleKb} KB: largest ${largest.toFixed(0)} KB${over(largest, TARGETS.maxBundleKb)}`);
