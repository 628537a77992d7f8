/**
 * Records the traces of one healthy sandbox run into `__tests__/check-traces/fixtures/sandbox-run-traces.json`,
 * the input of the IAM-from-traces test. Run it again whenever a handler starts or stops calling an AWS API:
 *
 *   npx tsx tools/check-traces/record-sandbox-run.ts
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { FREE_PORTS, startSandbox } from '../../sandbox';
import { runCheck } from './check';
import { allTraces } from './all-traces';

const FIXTURE = path.join(__dirname, '..', '..', '__tests__', 'check-traces', 'fixtures', 'sandbox-run-traces.json');
const DESCRIPTION =
  'Every trace of one healthy sandbox run (npm start, env local), read back from its X-Ray daemon with ' +
  'BatchGetTraces: ' +
  "GET /mysfits, GET /mysfits/{id} of an unknown id (404), then the trace checker's probes (a question, a click, an " +
  'invalid question) and what followed (the stream, Firehose calling process-clicks, which calls GET /mysfits/{id}). ' +
  "The IAM-from-traces test derives each principal's permissions from them. Recorded by " +
  'tools/check-traces/record-sandbox-run.ts.';

async function main() {
  const sandbox = await startSandbox({ ...FREE_PORTS });
  try {
    const since = new Date(Date.now() - 1000);
    if ((await fetch(`${sandbox.apis.mysfits}/mysfits`)).status !== 200) throw new Error('GET /mysfits failed');
    await fetch(`${sandbox.apis.mysfits}/mysfits/00000000-0000-0000-0000-000000000000`);
    const report = await runCheck({
      env: 'local',
      questionsApi: sandbox.apis.questions,
      clicksApi: sandbox.apis.clicks,
      mysfitsApi: sandbox.apis.mysfits,
      endpoint: sandbox.xrayEndpoint,
      timeoutSeconds: 60,
      latencyBudgetFactor: 10,
      pollIntervalMs: 250,
      maxPollIntervalMs: 1000,
    });
    if (report.problems.length > 0)
      throw new Error(`the sandbox run was not healthy:\n${JSON.stringify(report.problems, null, 2)}`);
    // Segments arrive over UDP a moment after the answers: let the last ones land.
    await new Promise((resolve) => setTimeout(resolve, 2000));
    const traces = (await allTraces(sandbox.xrayEndpoint, since))
      .map((t) => ({ traceId: t.traceId, documents: t.documents.map((d) => JSON.parse(d) as unknown) }))
      .sort((a, b) => a.traceId.localeCompare(b.traceId));
    fs.writeFileSync(FIXTURE, `${JSON.stringify({ description: DESCRIPTION, traces }, null, 1)}\n`);
    console.log(`recorded ${traces.length} traces in ${path.relative(process.cwd(), FIXTURE)}`);
  } finally {
    await sandbox.stop();
  }
}

main().catch((error) => {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
});
