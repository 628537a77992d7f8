/**
 * `npm run bench`: every benchmark in turn, each in its own process so one's memory and JIT state do not colour
 * the next. Benchmarks print figures beside their targets; none of them fails on a missed target.
 */
import { spawnSync } from 'node:child_process';
import * as os from 'node:os';
import * as path from 'node:path';
import { LAMBDA_RUNTIME } from '../system/definition';

const BENCHMARKS = [
  { file: 'synth.ts', what: 'full synth vs a one-table app importing the provider root' },
  { file: 'bundles.ts', what: 'handler bundle sizes and cold loads' },
  { file: 'sandbox-load.ts', what: 'POST /questions under load through the sandbox, question -> mailbox' },
  { file: 'xray-query-stall.ts', what: 'event-loop stall during X-Ray queries over a full trace store' },
];

// The figures are for the Node.js the functions deploy on (`npm run bench` checks it first: tools/node-version.cjs).
console.log(`node ${process.version}, ${os.cpus().length} CPU(s), Lambda runtime ${LAMBDA_RUNTIME}`);

let failed = 0;
for (const bench of BENCHMARKS) {
  console.log(`\n=== bench/${bench.file}: ${bench.what}`);
  const result = spawnSync(process.execPath, ['--import', 'tsx', path.join(__dirname, bench.file)], {
    stdio: 'inherit',
  });
  if (result.status !== 0) {
    failed++;
    console.error(`bench/${bench.file} could not run (exit ${result.status ?? result.signal})`);
  }
}
process.exit(failed === 0 ? 0 : 1);
