/**
 * Records the traces of one healthy sandbox run into `__tests__/check-traces/fixtures/sandbox-run-traces.json`,
 * the input of the IAM-from-traces test. Run it again whenever a handler starts or stops calling an AWS API:
 *
 *   npx tsx tools/check-traces/record-sandbox-run.ts
 */
import { BatchGetTracesCommand, GetTraceSummariesCommand } from '@aws-sdk/client-xray';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { FREE_PORTS, startSandbox, type Sandbox } from '../../sandbox';
import { runCheck } from './check';
import { createXRayClient } from './xray-source';

const FIXTURE = path.join(__dirname, '..', '..', '__tests__', 'check-traces', 'fixtures', 'sandbox-run-traces.json');
const DESCRIPTION =
  'Every trace of one healthy sandbox run (npm start, env local), read back from its X-Ray daemon with BatchGetTraces: ' +
  'GET /mysfits, GET /mysfits/{id} of an unknown id (404), then the trace checker\'s probes (a question, a click, an ' +
  'invalid question) and what followed (the stream, Firehose calling process-clicks, which calls GET /mysfits/{id}). ' +
  'The IAM-from-traces test derives each principal\'s permissions from them. Recorded by tools/check-traces/record-sandbox-run.ts.';

async function allTraces(sandbox: Sandbox, since: Date) {
  const xray = createXRayClient({ region: 'us-east-1', endpoint: sandbox.xrayEndpoint });
  const ids: string[] = [];
  let nextToken: string | undefined;
  do {
    const page = await xray.send(new GetTraceSummariesCommand({ StartTime: since, EndTime: new Date(Date.now() + 60_000), NextToken: nextToken }));
    ids.push(...(page.TraceSummaries ?? []).map((t) => t.Id!));
    nextToken = page.NextToken;
  } while (nextToken);
  const traces: { traceId: string; documents: unknown[] }[] = [];
  for (let i = 0; i < ids.length; i += 5) {
    const batch = await xray.send(new BatchGetTracesCommand({ TraceIds: ids.slice(i, i + 5) }));
    for (const t of batch.Traces ?? []) traces.push({ traceId: t.Id!, documents: (t.Segments ?? []).map((s) => JSON.parse(s.Document!)) });
  }
  return traces.sort((a, b) => a.traceId.localeCompare(b.traceId));
}

async function main() {
  const sandbox = await startSandbox({ ...FREE_PORTS });
  try {
    const since = new Date(Date.now() - 1000);
    if ((await fetch(`${sandbox.apis.mysfits}/mysfits`)).status !== 200) throw new Error('GET /mysfits failed');
    await fetch(`${sandbox.apis.mysfits}/mysfits/00000000-0000-0000-0000-000000000000`);
    const report = await runCheck({
      env: 'local', questionsApi: sandbox.apis.questions, clicksApi: sandbox.apis.clicks, mysfitsApi: sandbox.apis.mysfits,
      endpoint: sandbox.xrayEndpoint, timeoutSeconds: 60, latencyBudgetFactor: 10, pollIntervalMs: 250, maxPollIntervalMs: 1000,
    });
    if (report.problems.length > 0) throw new Error(`the sandbox run was not healthy:\n${JSON.stringify(report.problems, null, 2)}`);
    // Segments arrive over UDP a moment after the answers: let the last ones land.
    await new Promise((resolve) => setTimeout(resolve, 2000));
    const traces = await allTraces(sandbox, since);
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
