/**
 * The checker in an account with CloudWatch Transaction Search (recorded answers behind a mocked
 * @aws-sdk/client-xray): X-Ray indexes only a share of traces as summaries and BatchGetTraces finds none, so the
 * checker must read the traces through StartTraceRetrieval / ListRetrievedTraces (asynchronous: RUNNING, then
 * COMPLETE, paginated), one document per span. Detected by GetTraceSegmentDestination, or forced by the flag.
 */
import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { XRayClient } from '@aws-sdk/client-xray';
import { runCheck, type CheckReport } from '../../tools/check-traces/check';
import { main } from '../../tools/check-traces/cli';
import { START_TRACE_RETRIEVAL_LIMIT, XRaySource } from '../../tools/check-traces/xray-source';
import { fixtureVars, installFakeXRay, loadTrace, startApiStub, type ApiStub, type FakeTrace } from './support';

const QUESTION_ID = randomUUID();

let stub: ApiStub;
let base: number;
let fake: ReturnType<typeof installFakeXRay> | undefined;

beforeAll(async () => {
  stub = await startApiStub({ questionId: QUESTION_ID });
});
afterAll(() => stub.close());
beforeEach(() => {
  base = Date.now() / 1000;
  stub.traceIds.question = stub.traceIds.click = stub.traceIds.invalid = undefined;
});
afterEach(() => fake?.mock.restore());

/** The healthy system's traces once the probes have run (what the account's `aws/spans` log group holds). */
function healthyTraces(): FakeTrace[] {
  if (!stub.traceIds.question) return [];
  const v = fixtureVars(stub, QUESTION_ID, base);
  return (['question', 'questionStream', 'click', 'clickEnrichment', 'invalidQuestion'] as const).map((key) =>
    loadTrace(key, v, base),
  );
}
/** The two traces the probes do not own: found only through the summaries X-Ray indexed. */
const isFoundBySummaryOnly = (t: FakeTrace) =>
  t.id.endsWith('5d1c2b3a4f5e6d7c8b9a0f1e') || t.id.endsWith('7e6d5c4b3a2f1e0d9c8b7a69');

const check = (extra: Partial<Parameters<typeof runCheck>[0]> = {}) =>
  runCheck({
    env: 'test',
    questionsApi: stub.url,
    clicksApi: stub.url,
    mysfitsApi: stub.url,
    region: 'us-east-1',
    timeoutSeconds: 3,
    pollIntervalMs: 20,
    maxPollIntervalMs: 100,
    ...extra,
  });
const flow = (report: CheckReport, id: string) => report.flows.find((f) => f.id === id)!;

test('detects Transaction Search (destination CloudWatchLogs), reads the traces with StartTraceRetrieval', async () => {
  fake = installFakeXRay(healthyTraces, { store: 'transaction-search', runningPolls: 2, retrievedPageSize: 2 });
  const progress: string[] = [];
  const report = await check({ onProgress: (line) => progress.push(line) });

  expect(report.problems).toEqual([]);
  expect(report.ok).toBe(true);
  expect(report.traceStore).toBe('transaction-search');
  expect(progress).toContain(
    'traces: CloudWatch Transaction Search (StartTraceRetrieval, ListRetrievedTraces) (segment destination ' +
      'CloudWatchLogs (ACTIVE))',
  );
  expect(fake.log.destinationCalls).toBe(1);
  // Nothing asked of BatchGetTraces, which finds nothing in such an account.
  expect(fake.log.batchSizes).toEqual([]);
  // Each retrieval: the wanted ids (at most 100) and a window holding the probes.
  expect(fake.log.retrievals.length).toBeGreaterThan(0);
  for (const r of fake.log.retrievals) {
    expect(r.TraceIds!.length).toBeLessThanOrEqual(START_TRACE_RETRIEVAL_LIMIT);
    expect(+r.StartTime! / 1000).toBeLessThanOrEqual(base);
    expect(+r.EndTime! / 1000).toBeGreaterThan(base);
  }
  // Polled through RUNNING to COMPLETE, in the X-Ray format, and every page read (5 traces, 2 per page).
  expect(fake.log.listCalls.every((c) => c.TraceFormat === 'XRAY')).toBe(true);
  expect(fake.log.listCalls.some((c) => c.NextToken === '4')).toBe(true);
  expect(report.xrayCalls.listRetrievedTraces).toBe(fake.log.listCalls.length);
  // Spans come one document each; the graph is rebuilt from them as from BatchGetTraces' segments.
  const question = report.traces.find((t) => t.traceId === stub.traceIds.question)!;
  expect(question.rows.map((r) => [r.node, r.type, r.status])).toEqual([
    ['mysfits-test-questions-api/test', 'AWS::ApiGateway::Stage', 'ok'],
    ['mysfits-test-post-question', 'AWS::Lambda', 'ok'],
    ['mysfits-test-post-question', 'AWS::Lambda::Function', 'ok'],
    ['DynamoDB', 'AWS::DynamoDB::Table', 'ok'],
  ]);
  expect(flow(report, 'question-stream').state).toBe('passed');
});

test('without it, the same healthy account fails: BatchGetTraces finds no trace (as the check did before)', async () => {
  fake = installFakeXRay(healthyTraces, { store: 'transaction-search' });
  const report = await check({ transactionSearch: false, timeoutSeconds: 1 });
  expect(report.traceStore).toBe('xray');
  expect(fake.log.destinationCalls).toBe(0);
  expect(report.ok).toBe(false);
  expect(report.flows.every((f) => f.state === 'failed')).toBe(true);
});

test('the text report says the traces were read through Transaction Search', async () => {
  fake = installFakeXRay(healthyTraces, { store: 'transaction-search', runningPolls: 0 });
  const outDir = fs.mkdtempSync(path.join(os.tmpdir(), 'check-traces-ts-'));
  let stdout = '';
  const code = await main(
    [
      '--env',
      'test',
      '--region',
      'us-east-1',
      '--questions-api',
      stub.url,
      '--clicks-api',
      stub.url,
      '--mysfits-api',
      stub.url,
      '--timeout',
      '3',
      '--poll-interval',
      '20',
      '--out-dir',
      outDir,
    ],
    { stdout: (t) => void (stdout += t), stderr: () => {} },
  );
  expect(code).toBe(0);
  expect(stdout).toMatch(/OK: traced end to end \(5 traces, [\d.]+ s, \d+ polls, read through Transaction Search\)/);
  fs.rmSync(outDir, { recursive: true, force: true });
});

test('--transaction-search forces the retrieval path without asking for the destination', async () => {
  fake = installFakeXRay(healthyTraces, { store: 'transaction-search', runningPolls: 0 });
  const out = { stdout: '', stderr: '' };
  const outDir = fs.mkdtempSync(path.join(os.tmpdir(), 'check-traces-ts-'));
  const code = await main(
    [
      '--env',
      'test',
      '--region',
      'us-east-1',
      '--questions-api',
      stub.url,
      '--clicks-api',
      stub.url,
      '--mysfits-api',
      stub.url,
      '--timeout',
      '3',
      '--poll-interval',
      '20',
      '--transaction-search',
      '--json',
      '--out-dir',
      outDir,
    ],
    { stdout: (t) => void (out.stdout += t), stderr: (t) => void (out.stderr += t) },
  );
  expect(out.stderr).toMatch(/traces: CloudWatch Transaction Search .*\(--transaction-search\)/);
  expect(code).toBe(0);
  expect((JSON.parse(out.stdout) as CheckReport).traceStore).toBe('transaction-search');
  expect(fake.log.destinationCalls).toBe(0);
  fs.rmSync(outDir, { recursive: true, force: true });
});

test('flows found only through indexed summaries fail when their traces were not indexed, naming the fix', async () => {
  fake = installFakeXRay(healthyTraces, {
    store: 'transaction-search',
    runningPolls: 0,
    indexed: (t) => !isFoundBySummaryOnly(t),
  });
  const report = await check({ timeoutSeconds: 1 });
  expect(report.ok).toBe(false);
  // The probes' own traces are retrieved by id, indexed or not.
  expect(flow(report, 'question').state).toBe('passed');
  expect(flow(report, 'click').state).toBe('passed');
  for (const id of ['question-stream', 'click-enrichment']) {
    expect(flow(report, id).state).toBe('failed');
    expect(flow(report, id).notes).toContainEqual(
      expect.stringMatching(/only the indexed share of traces: index 100% .*update-indexing-rule --name Default/),
    );
  }
});

test('a retrieval that ends FAILED is started again on the next poll', async () => {
  fake = installFakeXRay(healthyTraces, { store: 'transaction-search', runningPolls: 1, firstRetrievalEnds: 'FAILED' });
  const progress: string[] = [];
  const report = await check({ onProgress: (line) => progress.push(line) });
  expect(
    progress.some((l) => /X-Ray: TraceRetrievalError: the Transaction Search retrieval ended FAILED, retrying/.test(l)),
  ).toBe(true);
  expect(report.ok).toBe(true);
  expect(fake.log.retrievals.length).toBeGreaterThan(1);
});

test('an X-Ray without the destination operation (the sandbox daemon) is read by BatchGetTraces', async () => {
  fake = installFakeXRay(healthyTraces, { store: 'unknown' });
  const progress: string[] = [];
  const report = await check({ onProgress: (line) => progress.push(line) });
  expect(report.ok).toBe(true);
  expect(report.traceStore).toBe('xray');
  expect(progress).toContainEqual(
    expect.stringMatching(
      /^traces: X-Ray \(BatchGetTraces\) \(the segment destination is unknown: UnknownOperationException: .*pass --transaction-search/,
    ),
  );
  expect(fake.log.retrievals).toEqual([]);
});

test('without xray:GetTraceSegmentDestination: BatchGetTraces, naming the flag; no credentials: stop', async () => {
  fake = installFakeXRay(healthyTraces, { destinationError: 'AccessDeniedException' });
  const progress: string[] = [];
  const report = await check({ onProgress: (line) => progress.push(line) });
  expect(report.ok).toBe(true);
  expect(progress).toContainEqual(
    expect.stringMatching(
      /^traces: X-Ray \(BatchGetTraces\) \(the segment destination is unknown: AccessDeniedException: .*pass --transaction-search/,
    ),
  );
  fake.mock.restore();

  stub.traceIds.question = undefined;
  fake = installFakeXRay(healthyTraces, { destinationError: 'CredentialsProviderError' });
  await expect(check()).rejects.toThrow(/^AWS credentials: none found for X-Ray/);
  expect(stub.traceIds.question).toBeUndefined();
});

test('asks for at most 100 ids per retrieval, and gives up on a retrieval that never completes', async () => {
  fake = installFakeXRay(() => [], { store: 'transaction-search', runningPolls: 0 });
  const source = new XRaySource(new XRayClient({ region: 'us-east-1' }), {
    store: 'transaction-search',
    retrievalPollMs: 1,
  });
  const ids = Array.from({ length: 230 }, (_, i) => `1-6b07569b-${i.toString(16).padStart(24, '0')}`);
  const window = { start: new Date(Date.now() - 60_000), end: new Date() };
  await expect(source.getTraces(ids, window)).resolves.toEqual([]);
  expect(fake.log.retrievals.map((r) => r.TraceIds!.length)).toEqual([100, 100, 30]);
  fake.mock.restore();

  fake = installFakeXRay(() => [], { store: 'transaction-search', runningPolls: 1000 });
  const stuck = new XRaySource(new XRayClient({ region: 'us-east-1' }), {
    store: 'transaction-search',
    retrievalPollMs: 1,
    retrievalMaxPollMs: 5,
  });
  await expect(stuck.getTraces(ids.slice(0, 1), window)).rejects.toThrow(/still RUNNING after 20 polls/);
});
