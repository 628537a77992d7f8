/**
 * The checker against recorded X-Ray responses (a mocked @aws-sdk/client-xray) and a local stub for the probes:
 * pagination, the 5-id limit of BatchGetTraces, traces that show up only on a later poll (in progress first), the
 * overall timeout, and the failures it must name (fault, slow node, missing edge, a 4xx recorded as a fault).
 */
import { BatchGetTracesCommand } from '@aws-sdk/client-xray';
import { randomBytes, randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runCheck, type CheckReport } from '../../tools/check-traces/check';
import { main } from '../../tools/check-traces/cli';
import {
  findElement,
  fixtureVars,
  installFakeXRay,
  loadTrace,
  startApiStub,
  type ApiStub,
  type FakeTrace,
  type Vars,
} from './support';

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

const vars = (overrides: Vars = {}): Vars => fixtureVars(stub, QUESTION_ID, base, overrides);

/** The healthy system's traces, once the probes have run; noise = other users' clicks in the same window. */
function healthyTraces(overrides: Vars = {}, noise = 6): FakeTrace[] {
  if (!stub.traceIds.question) return []; // nothing has happened yet
  const v = vars(overrides);
  const others = Array.from({ length: noise }, (_, i) =>
    loadTrace('otherClick', { ...v, otherSuffix: randomFor(i) }, base),
  );
  return [
    loadTrace('question', v, base),
    loadTrace('questionStream', v, base),
    loadTrace('click', v, base),
    ...others,
    loadTrace('clickEnrichment', v, base),
    loadTrace('invalidQuestion', v, base),
  ];
}
const noiseIds = Array.from({ length: 10 }, () => randomBytes(12).toString('hex'));
const randomFor = (i: number) => noiseIds[i];

const check = (extra: Partial<Parameters<typeof runCheck>[0]> = {}) =>
  runCheck({
    env: 'test',
    questionsApi: stub.url,
    clicksApi: stub.url,
    mysfitsApi: stub.url,
    region: 'us-east-1',
    endpoint: 'http://127.0.0.1:9',
    timeoutSeconds: 3,
    pollIntervalMs: 40,
    maxPollIntervalMs: 200,
    ...extra,
  });

const flow = (report: CheckReport, id: string) => report.flows.find((f) => f.id === id)!;

test('a healthy environment passes: every expected edge found, probes own their traces, tables per trace', async () => {
  fake = installFakeXRay(() => healthyTraces());
  const report = await check();

  expect(report.problems).toEqual([]);
  expect(report.ok).toBe(true);
  expect(report.exitCode).toBe(0);
  expect(report.flows.map((f) => [f.id, f.state])).toEqual([
    ['question', 'passed'],
    ['question-stream', 'passed'],
    ['click', 'passed'],
    ['click-enrichment', 'passed'],
    ['invalid-question', 'passed'],
  ]);
  // The click flow keeps the probe's own trace, not the other clicks in the same window.
  expect(flow(report, 'click').traceIds).toEqual([stub.traceIds.click]);
  expect(flow(report, 'invalid-question').traceIds).toEqual([stub.traceIds.invalid]);
  // The question's annotation finds both the request trace and the stream trace.
  expect(flow(report, 'question').traceIds).toEqual([stub.traceIds.question]);
  expect(flow(report, 'question-stream').traceIds).toEqual([
    `1-${Math.floor(base).toString(16)}-5d1c2b3a4f5e6d7c8b9a0f1e`,
  ]);

  const questionRows = report.traces.find((t) => t.traceId === stub.traceIds.question)!.rows;
  expect(questionRows.map((r) => [r.node, r.type, r.status])).toEqual([
    ['mysfits-test-questions-api/test', 'AWS::ApiGateway::Stage', 'ok'],
    ['mysfits-test-post-question', 'AWS::Lambda', 'ok'],
    ['mysfits-test-post-question', 'AWS::Lambda::Function', 'ok'],
    ['DynamoDB', 'AWS::DynamoDB::Table', 'ok'],
  ]);
  expect(questionRows[0].durationMs).toBe(402);
  // The remote node is the mysfits API's host, inferred from process-clicks' HTTP subsegment.
  expect(report.serviceMap.nodes.find((n) => n.name === '127.0.0.1')).toMatchObject({ type: 'remote', inferred: true });
  expect(report.serviceMap.edges.every((e) => !e.missing)).toBe(true);
});

test('paginates GetTraceSummaries and asks BatchGetTraces for at most 5 ids per call', async () => {
  fake = installFakeXRay(() => healthyTraces({}, 9), { pageSize: 2 });
  const report = await check();
  expect(report.ok).toBe(true);

  // service("mysfits-test-clicks-api/test") matches 10 traces in the window: 5 pages of 2.
  const clickSearches = fake.log.summaries.filter(
    (s) => s.FilterExpression === 'service("mysfits-test-clicks-api/test")',
  );
  expect(clickSearches.map((s) => s.NextToken)).toEqual([undefined, '2', '4', '6', '8']);
  expect(
    fake.log.summaries.every((s) => s.StartTime! <= new Date(base * 1000) && s.EndTime! >= new Date(base * 1000)),
  ).toBe(true);
  // More than 5 traces wanted, never more than 5 per call, none rejected.
  expect(fake.log.batchSizes.reduce((a, b) => a + b, 0)).toBeGreaterThan(5);
  expect(Math.max(...fake.log.batchSizes)).toBe(5);
  expect(fake.log.rejectedBatches).toBe(0);
  expect(report.xrayCalls.batchGetTraces).toBe(fake.mock.commandCalls(BatchGetTracesCommand).length);
});

test('waits for traces that appear only on a later poll, in progress first', async () => {
  const started = Date.now();
  fake = installFakeXRay(() => {
    const all = healthyTraces();
    const age = Date.now() - started;
    // The stream trace: absent, then in progress (a piece without its parent yet), then complete.
    const stream = all.findIndex((t) => t.id.endsWith('5d1c2b3a4f5e6d7c8b9a0f1e'));
    if (stream >= 0 && age < 500) all.splice(stream, 1);
    else if (stream >= 0 && age < 900) all[stream] = loadTrace('questionStreamInProgress', vars(), base);
    return all;
  });
  const progress: string[] = [];
  const report = await check({ onProgress: (line) => progress.push(line) });

  expect(report.ok).toBe(true);
  expect(Date.now() - started).toBeGreaterThanOrEqual(900);
  expect(progress.some((l) => /question-stream waiting/.test(l))).toBe(true);
  expect(progress.at(-1)).toMatch(/question-stream ok;/);
  expect(report.polls).toBeGreaterThan(3);
});

test('in-progress segments are normal: a flow complete but in progress at the deadline passes with a note', async () => {
  fake = installFakeXRay(() => {
    const all = healthyTraces();
    const click = all.find((t) => t.id === stub.traceIds.click);
    if (click) {
      const stage = click.documents[0];
      stage.in_progress = true;
      delete stage.end_time;
    }
    return all;
  });
  const report = await check({ timeoutSeconds: 1 });
  expect(report.ok).toBe(true);
  expect(flow(report, 'click').notes.join(' ')).toMatch(/in progress/);
  expect(report.traces.find((t) => t.traceId === stub.traceIds.click)!.rows[0]).toMatchObject({
    status: 'in progress',
    durationMs: undefined,
  });
});

test('times out, naming what never arrived, within the overall timeout', async () => {
  fake = installFakeXRay(() => healthyTraces().filter((t) => !t.id.endsWith('7e6d5c4b3a2f1e0d9c8b7a69')));
  const started = Date.now();
  const report = await check({ timeoutSeconds: 1.5 });
  const elapsed = Date.now() - started;

  expect(report.ok).toBe(false);
  expect(report.exitCode).toBe(1);
  expect(report.timedOut).toBe(true);
  expect(elapsed).toBeGreaterThanOrEqual(1000);
  expect(elapsed).toBeLessThan(4000);
  expect(flow(report, 'click-enrichment').state).toBe('failed');
  expect(report.problems).toEqual([
    expect.stringMatching(
      /^click-enrichment: no trace starting at mysfits-test-process-clicks \(AWS::Lambda\) yet .*still missing after/,
    ),
  ]);
  // The map draws the expected edges that never showed up.
  expect(report.serviceMap.edges.filter((e) => e.missing)).toHaveLength(2);
});

test('names the fault: the hangingException subsegment of post-question', async () => {
  fake = installFakeXRay(() => {
    const all = healthyTraces();
    const question = all.find((t) => t.id === stub.traceIds.question);
    if (question) {
      const handler = findElement(question, '## handler');
      handler.fault = true;
      handler.subsegments!.push({
        id: 'f00dfeedf00dfeed',
        name: 'hangingException',
        start_time: base + 0.22,
        end_time: base + 0.37,
        fault: true,
        cause: { exceptions: [{ type: 'Error', message: 'hangingException: the mysfits were too slow' }] },
      });
    }
    return all;
  });
  const started = Date.now();
  const report = await check({ timeoutSeconds: 5 });

  expect(report.ok).toBe(false);
  expect(flow(report, 'question').state).toBe('failed');
  expect(flow(report, 'question').problems).toContain(
    'fault at mysfits-test-post-question › ## handler › hangingException: Error: hangingException: the mysfits were ' +
      'too slow',
  );
  // The handler's fault is the consequence of its hangingException subsegment's: a note, not a second cause.
  expect(flow(report, 'question').problems).not.toContain('fault at mysfits-test-post-question › ## handler');
  expect(flow(report, 'question').notes).toContain(
    'fault at mysfits-test-post-question › ## handler (follows from one further down the trace)',
  );
  // A fault is final: no need to wait for the timeout.
  expect(report.timedOut).toBe(false);
  expect(Date.now() - started).toBeLessThan(4000);
});

test('names the slow node against its latency budget', async () => {
  fake = installFakeXRay(() => healthyTraces({ dynamoDbEnd: 1.717 }));
  const report = await check();
  expect(report.ok).toBe(false);
  expect(flow(report, 'question').problems).toEqual([
    'slow node DynamoDB (AWS::DynamoDB::Table): 1500 ms > budget 1000 ms',
  ]);
});

test('--latency-budget-factor scales every budget (a slower environment), and must be from 1 to 100', async () => {
  fake = installFakeXRay(() => healthyTraces({ dynamoDbEnd: 1.717 }));
  const report = await check({ latencyBudgetFactor: 2 });
  expect(flow(report, 'question').problems).toEqual([]);
  expect(report.ok).toBe(true);
  await expect(check({ latencyBudgetFactor: '0.5' })).rejects.toThrow(/--latency-budget-factor/);
});

test('names the missing edge when post-question does not trace its DynamoDB call', async () => {
  fake = installFakeXRay(() => {
    const all = healthyTraces();
    const question = all.find((t) => t.id === stub.traceIds.question);
    if (question) {
      question.documents = question.documents.filter((d) => d.name !== 'DynamoDB');
      findElement(question, 'storeQuestion').subsegments = [];
    }
    return all;
  });
  const report = await check({ timeoutSeconds: 1 });
  expect(report.ok).toBe(false);
  expect(flow(report, 'question').problems).toEqual([
    expect.stringMatching(
      /^missing edge mysfits-test-post-question \(AWS::Lambda::Function\) -> DynamoDB \(still missing after \d+ s\)$/,
    ),
  ]);
});

test('an invalid question recorded as a fault fails: it must be an error (4xx)', async () => {
  fake = installFakeXRay(() => healthyTraces({ invalidStatus: 502, invalidError: false, invalidFault: true }));
  const report = await check();
  expect(report.ok).toBe(false);
  expect(flow(report, 'invalid-question').problems).toEqual([
    'fault 502 at mysfits-test-questions-api/test (expected an error (4xx), not a fault)',
    'mysfits-test-questions-api/test (AWS::ApiGateway::Stage) recorded 502, expected an error (4xx)',
  ]);
});

test('a failed probe is reported, and the flows that need its QuestionId say why they were not checked', async () => {
  const failing = await startApiStub({ questionId: QUESTION_ID, questionStatus: 500 });
  try {
    fake = installFakeXRay(() => []);
    const report = await check({ questionsApi: failing.url, timeoutSeconds: 0.5 });
    expect(report.exitCode).toBe(1);
    expect(report.problems[0]).toMatch(
      /^probe question: POST http:\/\/127\.0\.0\.1:\d+\/questions answered 500 \(expected 201/,
    );
    expect(flow(report, 'question-stream').problems).toEqual([
      'not checked: the question probe gave no QuestionId to find its traces by',
    ]);
  } finally {
    await failing.close();
  }
});

describe('CLI', () => {
  const io = () => {
    const out = { stdout: '', stderr: '' };
    return {
      out,
      io: { stdout: (t: string) => void (out.stdout += t), stderr: (t: string) => void (out.stderr += t) },
    };
  };
  const common = () => [
    '--env',
    'test',
    '--region',
    'us-east-1',
    '--endpoint',
    'http://127.0.0.1:9',
    '--poll-interval',
    '40',
  ];

  test('exit 0, tables on stdout, progress on stderr, report files in --out-dir', async () => {
    fake = installFakeXRay(() => healthyTraces());
    const outDir = fs.mkdtempSync(path.join(os.tmpdir(), 'check-traces-'));
    const { out, io: cliIo } = io();
    const code = await main(
      [
        ...common(),
        '--questions-api',
        stub.url,
        '--clicks-api',
        stub.url,
        '--mysfits-api',
        stub.url,
        '--timeout',
        '3',
        '--out-dir',
        outDir,
      ],
      cliIo,
    );
    expect(code).toBe(0);
    expect(out.stdout).toMatch(/NODE\s+TYPE\s+DURATION\s+STATUS/);
    expect(out.stdout).toMatch(/DynamoDB\s+AWS::DynamoDB::Table\s+83 ms\s+ok/);
    expect(out.stdout).toMatch(/OK: traced end to end/);
    // The invalid question's table shows where the error was recorded inside post-question.
    expect(out.stdout).toMatch(/AWS::Lambda::Function\s+32 ms\s+error in ## handler › validateQuestion\n/);
    expect(out.stderr).toMatch(/poll 1 at/);
    const json = JSON.parse(fs.readFileSync(path.join(outDir, 'report.json'), 'utf8')) as CheckReport;
    expect(json.ok).toBe(true);
    const mermaid = fs.readFileSync(path.join(outDir, 'service-map.mmd'), 'utf8');
    expect(mermaid).toMatch(/^flowchart TD/);
    expect(mermaid).toContain('mysfits-test-questions-api/test');
    const html = fs.readFileSync(path.join(outDir, 'report.html'), 'utf8');
    expect(html).toContain('<svg');
    // Self-contained: nothing loaded from elsewhere.
    expect(html).not.toMatch(/<script|<link|src=|url\(http/);
    fs.rmSync(outDir, { recursive: true, force: true });
  });

  test('exit 1 naming the missing edge; --json prints the report', async () => {
    fake = installFakeXRay(() => healthyTraces().filter((t) => !t.id.endsWith('5d1c2b3a4f5e6d7c8b9a0f1e')));
    const outDir = fs.mkdtempSync(path.join(os.tmpdir(), 'check-traces-'));
    const { out, io: cliIo } = io();
    const code = await main(
      [
        ...common(),
        '--questions-api',
        stub.url,
        '--clicks-api',
        stub.url,
        '--mysfits-api',
        stub.url,
        '--timeout',
        '1',
        '--out-dir',
        outDir,
        '--json',
      ],
      cliIo,
    );
    expect(code).toBe(1);
    const report = JSON.parse(out.stdout) as CheckReport;
    expect(report.problems).toEqual([
      expect.stringMatching(
        /^question-stream: no trace starting at mysfits-test-process-questions-stream \(AWS::Lambda\) yet/,
      ),
    ]);
    fs.rmSync(outDir, { recursive: true, force: true });
  });

  test('exit 2 naming the setting: missing endpoint for an API, bad outputs file, bad --timeout', async () => {
    const cases: [string[], RegExp][] = [
      [['--env', 'test', '--region', 'us-east-1'], /--mysfits-api: not given/],
      [
        ['--env', 'test', '--outputs-file', '/nonexistent/outputs.json'],
        /--outputs-file: cannot read \/nonexistent\/outputs.json: file not found/,
      ],
      [['--env', 'Test!'], /--env: "Test!" is not an environment name/],
      [
        ['--env', 'test', '--questions-api', 'ftp://x', '--clicks-api', stub.url, '--mysfits-api', stub.url],
        /--questions-api: "ftp:\/\/x" must be an http\(s\) URL/,
      ],
      [
        [
          '--env',
          'test',
          '--questions-api',
          stub.url,
          '--clicks-api',
          stub.url,
          '--mysfits-api',
          stub.url,
          '--region',
          'us-east-1',
          '--timeout',
          '-3',
        ],
        /--timeout: "-3" must be a number of seconds/,
      ],
    ];
    // X-Ray unreachable: found before any probe is sent.
    cases.push([
      [
        '--env',
        'test',
        '--questions-api',
        stub.url,
        '--clicks-api',
        stub.url,
        '--mysfits-api',
        stub.url,
        '--endpoint',
        'http://127.0.0.1:9',
      ],
      /--endpoint: X-Ray at http:\/\/127.0.0.1:9 cannot be reached \(ECONNREFUSED\)/,
    ]);
    for (const [argv, message] of cases) {
      const { out, io: cliIo } = io();
      await expect(main(argv, cliIo)).resolves.toBe(2);
      expect(out.stderr).toMatch(message);
      expect(out.stderr).not.toMatch(/probing/);
    }
    expect(stub.traceIds.question).toBeUndefined();
  });

  test('reads the endpoints from a cdktf outputs file', async () => {
    fake = installFakeXRay(() => healthyTraces());
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'check-traces-'));
    const file = path.join(dir, 'outputs.json');
    fs.writeFileSync(
      file,
      JSON.stringify({
        'mysfits-test-mysfits': { mysfitsApiEndpoint: stub.url, region: 'us-east-1' },
        'mysfits-test-questions': { questionsApiEndpoint: `${stub.url}/` },
        'mysfits-test-clickstream': { streamingApiEndpoint: stub.url },
        'mysfits-prod-questions': { questionsApiEndpoint: 'http://127.0.0.1:1' },
      }),
    );
    const { out, io: cliIo } = io();
    const code = await main(
      [
        '--env',
        'test',
        '--outputs-file',
        file,
        '--endpoint',
        'http://127.0.0.1:9',
        '--timeout',
        '3',
        '--poll-interval',
        '40',
        '--out-dir',
        dir,
      ],
      cliIo,
    );
    expect(out.stderr).not.toMatch(/error/);
    expect(code).toBe(0);
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
