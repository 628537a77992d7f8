/**
 * Regenerates the README's sample: starts the sandbox (free ports), runs the check against it and writes the
 * report to `docs/samples/` plus a screenshot of the HTML (headless Chromium) to `docs/images/trace-report*.png`.
 *
 *   npx tsx tools/check-traces/sample-report.ts              # the healthy system
 *   npx tsx tools/check-traces/sample-report.ts hanging      # with the hangingException switch on
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { FREE_PORTS, startSandbox, type SandboxOptions } from '../../sandbox';
import { runCheck } from './check';
import { formatReport } from './report/text';
import { writeReport } from './report/write';

const ROOT = path.resolve(__dirname, '..', '..');
const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';

const SCENARIOS: Record<string, Partial<SandboxOptions>> = {
  healthy: {},
  hanging: {
    functionEnvironment: { postQuestion: { HANGING_EXCEPTION_RATE: '1', HANGING_EXCEPTION_DELAY_MS: '1000' } },
  },
};

async function main() {
  const scenario = process.argv[2] ?? 'healthy';
  if (!(scenario in SCENARIOS))
    throw new Error(`scenario: "${scenario}" is not one of ${Object.keys(SCENARIOS).join(', ')}`);
  const suffix = scenario === 'healthy' ? '' : `-${scenario}`;
  const sandbox = await startSandbox({ ...FREE_PORTS, ...SCENARIOS[scenario] });
  try {
    const report = await runCheck({
      env: 'local',
      questionsApi: sandbox.apis.questions,
      clicksApi: sandbox.apis.clicks,
      mysfitsApi: sandbox.apis.mysfits,
      endpoint: sandbox.xrayEndpoint,
      timeoutSeconds: 30,
      pollIntervalMs: 500,
      onProgress: (line) => console.error(line),
    });
    const samples = path.join(ROOT, 'docs', 'samples');
    const outDir = path.join(samples, `check-traces${suffix}`);
    fs.rmSync(outDir, { recursive: true, force: true });
    const files = writeReport(report, outDir);
    const text = formatReport(report);
    fs.writeFileSync(path.join(outDir, 'output.txt'), `${text}\n`);
    console.log(text);

    const png = path.join(ROOT, 'docs', 'images', `trace-report${suffix}.png`);
    fs.mkdirSync(path.dirname(png), { recursive: true });
    const shot = spawnSync(
      CHROMIUM,
      [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--hide-scrollbars',
        '--window-size=1500,1250',
        `--screenshot=${png}`,
        `file://${files.html}`,
      ],
      { encoding: 'utf8', timeout: 60_000 },
    );
    if (shot.status !== 0) throw new Error(`chromium: screenshot failed: ${shot.stderr}`);
    console.log(`\nwrote ${path.relative(ROOT, outDir)}/ and ${path.relative(ROOT, png)}`);
  } finally {
    await sandbox.stop();
  }
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
