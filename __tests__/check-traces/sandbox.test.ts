/**
 * The checker against the whole sandbox (one sandbox per scenario): it passes on the healthy system, and fails
 * naming the cause when tracing is off for post-question, when the hangingException switch is on, and when the
 * stream handler fails. Short timeouts: the failing scenarios end as soon as the cause is certain, except the
 * missing edge, which is only certain when the wait ends. The healthy run's traces also prove the deployed IAM:
 * every permission they show a principal needed is granted by the synthesized dev stacks.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Sandbox } from '../../sandbox';
import type { CheckReport } from '../../tools/check-traces/check';
import {
  checkSandbox,
  expectHangingExceptionFailure,
  flow,
  SANDBOX_LATENCY_FACTOR,
  withSandbox,
} from './sandbox-support';
import { main } from '../../tools/check-traces/cli';
import { allTraces } from '../../tools/check-traces/all-traces';
import {
  deriveNeeds,
  describePrincipal,
  missingPermissions,
  synthesize,
  type Need,
  type TraceDocuments,
} from '../support/iam-from-traces';

const check = checkSandbox;

const allTracesOf = (sandbox: Sandbox, since: Date): Promise<TraceDocuments[]> =>
  allTraces(sandbox.xrayEndpoint, since);

describe('healthy sandbox', () => {
  const held = withSandbox({});

  test('passes through the CLI: exit 0, every flow holds, reports written', async () => {
    const sandbox = held.sandbox!;
    const outDir = fs.mkdtempSync(path.join(os.tmpdir(), 'check-traces-sandbox-'));
    let stdout = '';
    let stderr = '';
    const code = await main(
      [
        '--env',
        'local',
        '--endpoint',
        sandbox.xrayEndpoint,
        '--questions-api',
        sandbox.apis.questions,
        '--clicks-api',
        sandbox.apis.clicks,
        '--mysfits-api',
        sandbox.apis.mysfits,
        '--timeout',
        '30',
        '--poll-interval',
        '250',
        '--latency-budget-factor',
        String(SANDBOX_LATENCY_FACTOR),
        '--out-dir',
        outDir,
      ],
      { stdout: (t) => void (stdout += t), stderr: (t) => void (stderr += t) },
    );
    const report = JSON.parse(fs.readFileSync(path.join(outDir, 'report.json'), 'utf8')) as CheckReport;
    expect(report.problems).toEqual([]);
    expect(code).toBe(0);
    expect(report.flows.every((f) => f.state === 'passed')).toBe(true);
    expect(stdout).toMatch(/OK: traced end to end/);
    expect(stderr).toMatch(/poll \d+ at/);
    // The two traces of the question pipeline are joined by the same QuestionId.
    const questionId = report.probes.find((p) => p.probe === 'question')!.annotationValue;
    expect(questionId).toMatch(/^[0-9a-f-]{36}$/);
    expect(flow(report, 'question-stream').traceIds.length).toBeGreaterThanOrEqual(1);
    fs.rmSync(outDir, { recursive: true, force: true });
  }, 60_000);

  test('its traces need no permission the synthesized dev roles lack (IAM as deployed, proven by the run)', async () => {
    const sandbox = held.sandbox!;
    const since = new Date(Date.now() - 10 * 60_000);
    // The catalogue's two routes; the check's probes (above, or here when run alone) cover questions and clicks.
    const list = await fetch(`${sandbox.apis.mysfits}/mysfits`);
    expect(list.status).toBe(200);
    const { mysfits } = (await list.json()) as { mysfits: { mysfitId: string }[] };
    expect((await fetch(`${sandbox.apis.mysfits}/mysfits/${mysfits[0].mysfitId}`)).status).toBe(200);
    if (!(await allTracesOf(sandbox, since)).some((t) => JSON.stringify(t.documents).includes('process-clicks'))) {
      expect((await check(sandbox, 30)).problems).toEqual([]);
    }
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mysfits-iam-'));
    try {
      const synth = synthesize(dir);
      // Segments arrive over UDP a moment after the answers: wait (bounded) until every principal has shown up.
      const expected = [
        'function mysfits-dev-mysfits-api',
        'function mysfits-dev-post-question',
        'function mysfits-dev-process-questions-stream',
        'function mysfits-dev-process-clicks',
        'the event source mapping of function mysfits-dev-process-questions-stream',
        'Firehose delivery stream mysfits-dev-clicks',
        'the API Gateway integration of stage mysfits-dev-clicks-api/dev',
      ];
      const calls = ['dynamodb:Scan', 'dynamodb:GetItem', 'dynamodb:PutItem', 'sns:Publish'];
      const complete = (found: Need[]) =>
        expected.every((p) => found.some((n) => describePrincipal(n.principal) === p)) &&
        calls.every((a) => found.some((n) => n.action === a));
      let needs = deriveNeeds(await allTracesOf(sandbox, since), { tracedEnv: 'local', env: 'dev', synth });
      for (let wait = 0; wait < 20 && !complete(needs); wait++) {
        await new Promise((resolve) => setTimeout(resolve, 250));
        needs = deriveNeeds(await allTracesOf(sandbox, since), { tracedEnv: 'local', env: 'dev', synth });
      }
      for (const principal of expected) expect(needs.map((n) => describePrincipal(n.principal))).toContain(principal);
      expect(needs.map((n) => n.action)).toEqual(expect.arrayContaining(calls));
      expect(missingPermissions(synth, needs)).toEqual([]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 90_000);
});

describe('tracing off for post-question', () => {
  const held = withSandbox({ tracing: { postQuestion: 'Off' } });

  test('fails naming the missing edge from the stage to post-question', async () => {
    const report = await check(held.sandbox!, 8);
    expect(report.exitCode).toBe(1);
    expect(flow(report, 'question').problems).toContainEqual(
      expect.stringContaining(
        'missing edge mysfits-local-questions-api/local (AWS::ApiGateway::Stage) -> mysfits-local-post-question ' +
          '(AWS::Lambda) (no segment from mysfits-local-post-question arrived: is its tracing Active?)',
      ),
    );
    // The rest of the system is still traced.
    expect(flow(report, 'click').state).toBe('passed');
  }, 60_000);
});

describe('hangingException switch on', () => {
  const held = withSandbox({
    functionEnvironment: { postQuestion: { HANGING_EXCEPTION_RATE: '1', HANGING_EXCEPTION_DELAY_MS: '300' } },
  });

  test('fails naming the fault in the hangingException subsegment', async () => {
    const report = await check(held.sandbox!, 15);
    expectHangingExceptionFailure(report);
  }, 60_000);
});

describe('stream handler failing', () => {
  const held = withSandbox({
    functionEnvironment: {
      processQuestionsStream: { QUESTIONS_TOPIC_ARN: 'arn:aws:sns:us-east-1:000000000000:missing' },
    },
  });

  test('fails naming the failed SNS call of process-questions-stream', async () => {
    const report = await check(held.sandbox!, 20);
    expect(report.exitCode).toBe(1);
    expect(flow(report, 'question').state).toBe('passed');
    expect(flow(report, 'question-stream').state).toBe('failed');
    expect(flow(report, 'question-stream').problems).toContainEqual(
      expect.stringMatching(/^(error|fault)( \d+)? at mysfits-local-process-questions-stream › .*SNS/),
    );
  }, 60_000);
});
