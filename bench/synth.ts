/**
 * Synth benchmark: wall time and peak memory of a full synth of the app (`main.ts`: every environment, every
 * stack, handler bundling included) beside a one-table app that imports `@cdktf/provider-aws` from the package
 * root (`bench/synth-reference/main.ts`), measured the same way in the same run. Prints figures; asserts nothing.
 *
 *   npx tsx bench/synth.ts [--runs 3]
 *
 * Each run is a fresh `node --import tsx <app>` child under `/usr/bin/time -v` (peak RSS of the process tree's
 * largest process) writing to a fresh temporary outdir. The two apps alternate so machine load hits both alike.
 * Target: the full synth in at most half the time of the one-table reference.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const ROOT = path.resolve(__dirname, '..');
const APPS = {
  'full app (main.ts, all envs)': path.join(ROOT, 'main.ts'),
  'one-table app, root import': path.join(ROOT, 'bench/synth-reference/main.ts'),
} as const;
type AppName = keyof typeof APPS;

interface Sample {
  wallMs: number;
  peakRssMb: number;
  stacks: number;
}

function parseRuns(argv: string[]): number {
  const at = argv.indexOf('--runs');
  if (at === -1) return 3;
  const runs = Number(argv[at + 1]);
  if (!Number.isInteger(runs) || runs < 1)
    throw new Error(`bench/synth: --runs must be a positive integer, got ${argv[at + 1]}`);
  return runs;
}

function measure(entry: string): Sample {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'mysfits-bench-synth-'));
  try {
    const started = process.hrtime.bigint();
    const result = spawnSync('/usr/bin/time', ['-v', process.execPath, '--import', 'tsx', entry], {
      cwd: ROOT,
      env: { ...process.env, CDKTF_OUTDIR: outdir, CHECKPOINT_DISABLE: '1' },
      encoding: 'utf8',
    });
    const wallMs = Number(process.hrtime.bigint() - started) / 1e6;
    if (result.status !== 0) throw new Error(`bench/synth: ${entry} failed (${result.status}):\n${result.stderr}`);
    const rssKb = Number(/Maximum resident set size \(kbytes\): (\d+)/.exec(result.stderr)?.[1]);
    const stacksDir = path.join(outdir, 'stacks');
    const stacks = fs.existsSync(stacksDir) ? fs.readdirSync(stacksDir).length : 0;
    return { wallMs, peakRssMb: rssKb / 1024, stacks };
  } finally {
    fs.rmSync(outdir, { recursive: true, force: true });
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function main(): void {
  const runs = parseRuns(process.argv.slice(2));
  const samples: Record<AppName, Sample[]> = { 'full app (main.ts, all envs)': [], 'one-table app, root import': [] };
  for (let i = 0; i < runs; i++) {
    for (const name of Object.keys(APPS) as AppName[]) samples[name].push(measure(APPS[name]));
  }
  console.log(`synth benchmark: ${runs} run(s) each, node ${process.version}, ${os.cpus().length} CPU(s)`);
  console.log('app                              stacks  wall median (s)  wall runs (s)         peak RSS median (MB)');
  for (const name of Object.keys(APPS) as AppName[]) {
    const s = samples[name];
    console.log(
      `${name.padEnd(33)}${String(s[0].stacks).padEnd(8)}` +
        `${(median(s.map((x) => x.wallMs)) / 1000).toFixed(2).padEnd(17)}` +
        `${s
          .map((x) => (x.wallMs / 1000).toFixed(2))
          .join(' ')
          .padEnd(22)}${median(s.map((x) => x.peakRssMb)).toFixed(0)}`,
    );
  }
  const [full, reference] = (Object.keys(APPS) as AppName[]).map((name) => median(samples[name].map((x) => x.wallMs)));
  console.log(`full / reference wall time: ${(full / reference).toFixed(2)} (target <= 0.50)`);
}

main();
