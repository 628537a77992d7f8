/**
 * The Lambda-like function runtime, running the post-question bundle in child processes against DynamoDB
 * Local, with a UDP capture standing in for the X-Ray daemon: the AWS::Lambda / AWS::Lambda::Function
 * segments, the handler's subsegments under them, the hanging switch's fault, timeouts, init errors, tracing Off.
 */
import { ANNOTATIONS, ENV, FUNCTIONS, HANGING_EXCEPTION_SUBSEGMENT, names } from '../../system/definition';
import {
  startFunctionRuntime,
  type FunctionRuntime,
  type FunctionRuntimeOptions,
} from '../../sandbox/lambda/function-runtime';
import { createTable, scanTable, startLocalAws, type LocalAws } from '../support/local-aws';
import { startUdpCapture, type SegmentDocument, type UdpCapture } from '../support/udp-capture';

const TABLE = 'questions-runtime';
const FUNCTION_NAME = names.function('test', 'postQuestion');
let aws: LocalAws;
let xray: UdpCapture;
const runtimes: FunctionRuntime[] = [];
const logs: string[] = [];

async function runtime(overrides: Partial<FunctionRuntimeOptions> = {}, env: Record<string, string> = {}) {
  const started = await startFunctionRuntime({
    key: 'postQuestion',
    functionName: FUNCTION_NAME,
    tracing: 'Active',
    daemonAddress: xray.address,
    logSink: (text) => logs.push(text),
    ...overrides,
    environment: {
      ...aws.env,
      [ENV.questionsTableName]: TABLE,
      [ENV.allowedOrigin]: '*',
      ...env,
    },
  });
  runtimes.push(started);
  return started;
}

const question = (body: unknown = { email: 'ada@example.com', questionText: 'Can Pauly swim?' }) => ({
  httpMethod: 'POST',
  resource: '/questions',
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify(body),
  requestContext: { requestId: 'apigw' },
});

const ofTrace = (all: SegmentDocument[], traceId: string) => all.filter((d) => d.trace_id === traceId);
const byOrigin = (docs: SegmentDocument[], origin: string) => docs.filter((d) => d.origin === origin);
const named = (docs: SegmentDocument[], name: string) => docs.filter((d) => d.name === name);
/** Waits until the trace holds the Lambda service segment (sent last, once the invocation is over). */
const traceOf = (traceId: string, extra: (docs: SegmentDocument[]) => boolean = () => true) =>
  xray
    .waitFor((all) => {
      const docs = ofTrace(all, traceId);
      return byOrigin(docs, 'AWS::Lambda').length > 0 && extra(docs);
    })
    .then((all) => ofTrace(all, traceId));

beforeAll(async () => {
  [aws, xray] = await Promise.all([startLocalAws({ dynamodb: true }), startUdpCapture()]);
  await createTable(aws.dynamodb!.endpoint, 'questions', TABLE);
});
afterAll(async () => {
  await Promise.all(runtimes.map((r) => r.stop()));
  await xray?.stop();
  await aws?.stop();
});

test('Active tracing: the caller -> AWS::Lambda -> AWS::Lambda::Function -> handler -> DynamoDB chain', async () => {
  const fn = await runtime();
  const callerTrace = '1-5759e988-bd862e3fe1be46a994272793';
  const result = await fn.invoke(question(), { traceHeader: `Root=${callerTrace};Parent=53995c3f42cd8ad8;Sampled=1` });
  expect(result.ok).toBe(true);
  expect(result.traceId).toBe(callerTrace);
  const response = result.result as { statusCode: number; body: string };
  expect(response.statusCode).toBe(201);
  const { questionId } = JSON.parse(response.body);

  const docs = await traceOf(callerTrace, (d) =>
    ['DynamoDB', 'storeQuestion', 'validateQuestion', '## handler'].every((n) => named(d, n).length > 0),
  );
  const [service] = byOrigin(docs, 'AWS::Lambda');
  const [fnSegment] = byOrigin(docs, 'AWS::Lambda::Function');
  expect(service).toMatchObject({ name: FUNCTION_NAME, parent_id: '53995c3f42cd8ad8' });
  expect(fnSegment).toMatchObject({ name: FUNCTION_NAME, parent_id: service.id });
  expect(fnSegment.fault).toBeUndefined();
  // Cold start: the function segment reports the init phase.
  expect(named(docs, 'Initialization')[0].parent_id).toBe(fnSegment.id);

  const [handlerSub] = named(docs, '## handler');
  expect(handlerSub.parent_id).toBe(fnSegment.id);
  expect(handlerSub.annotations).toMatchObject({ [ANNOTATIONS.questionId]: questionId, ColdStart: true });
  const [store] = named(docs, 'storeQuestion');
  expect(store.parent_id).toBe(handlerSub.id);
  const [dynamo] = named(docs, 'DynamoDB');
  expect(dynamo).toMatchObject({ namespace: 'aws', parent_id: store.id });
  expect(dynamo.aws).toMatchObject({ operation: 'PutItem', table_name: TABLE });
  expect(named(docs, 'validateQuestion')[0].error).toBeUndefined();
  // The SDK call is one `aws` node: the patched http module does not add a second, `remote` one for it.
  expect(docs.filter((d) => d.namespace === 'remote')).toEqual([]);
  expect(xray.malformed()).toEqual([]);

  // A second invocation reuses the warm environment; without a trace header it starts a new trace.
  const warm = await fn.invoke(question());
  expect(warm.traceId).toMatch(/^1-[0-9a-f]{8}-[0-9a-f]{24}$/);
  expect(warm.traceId).not.toBe(callerTrace);
  const warmDocs = await traceOf(warm.traceId!, (d) => named(d, '## handler').length > 0);
  expect(byOrigin(warmDocs, 'AWS::Lambda')[0].parent_id).toBeUndefined();
  expect(named(warmDocs, 'Initialization')).toEqual([]);
  expect(named(warmDocs, '## handler')[0].annotations?.ColdStart).toBe(false);
});

test('an invalid question is an error on the validation subsegment, never a fault', async () => {
  const fn = await runtime();
  const result = await fn.invoke(question({ email: 'nope' }));
  expect((result.result as { statusCode: number }).statusCode).toBe(400);
  const docs = await traceOf(
    result.traceId!,
    (d) => named(d, 'validateQuestion').length > 0 && named(d, '## handler').length > 0,
  );
  const [validation] = named(docs, 'validateQuestion');
  expect(validation.error).toBe(true);
  expect(validation.fault).toBeUndefined();
  expect(docs.some((d) => d.fault)).toBe(false);
});

test('the hanging switch: the hangingException subsegment spends the delay and records the fault', async () => {
  const fn = await runtime({}, { [ENV.hangingExceptionRate]: '1', [ENV.hangingExceptionDelayMs]: '300' });
  const before = (await scanTable(aws.dynamodb!.endpoint, TABLE)).length;
  const result = await fn.invoke(question());
  const response = result.result as { statusCode: number; body: string };
  expect(response.statusCode).toBe(500);
  expect(JSON.parse(response.body).requestId).toMatch(/[0-9a-f-]{36}/);
  const docs = await traceOf(
    result.traceId!,
    (d) => named(d, HANGING_EXCEPTION_SUBSEGMENT).length > 0 && named(d, '## handler').length > 0,
  );
  const [hanging] = named(docs, HANGING_EXCEPTION_SUBSEGMENT);
  expect(hanging.fault).toBe(true);
  expect(hanging.cause?.exceptions?.[0]?.message).toMatch(/hangingException/);
  expect(hanging.end_time! - hanging.start_time).toBeGreaterThanOrEqual(0.29);
  // The handler caught it and answered 500: its fault has a cause too, the id of the exception recorded below.
  expect(named(docs, '## handler')[0]).toMatchObject({ fault: true, cause: { id: hanging.id } });
  expect(named(docs, 'DynamoDB')).toEqual([]);
  expect((await scanTable(aws.dynamodb!.endpoint, TABLE)).length).toBe(before);
});

test('a timeout is a function error; the environment is replaced', async () => {
  const fn = await runtime(
    { timeoutSeconds: 1 },
    { [ENV.hangingExceptionRate]: '1', [ENV.hangingExceptionDelayMs]: '5000' },
  );
  const result = await fn.invoke(question());
  expect(result.ok).toBe(false);
  expect(result.error).toEqual({ errorType: 'Sandbox.Timedout', errorMessage: 'Task timed out after 1.00 seconds' });
  const docs = await traceOf(result.traceId!);
  const [fnSegment] = byOrigin(docs, 'AWS::Lambda::Function');
  expect(fnSegment.fault).toBe(true);
  expect(fnSegment.cause?.exceptions?.[0]?.type).toBe('Sandbox.Timedout');
  // The log says so as Lambda's does, before END and REPORT.
  expect(result.log).toMatch(
    new RegExp(
      `^\\S+Z ${result.requestId} Task timed out after 1.00 seconds\nEND RequestId: ${result.requestId}\nREPORT `,
      'm',
    ),
  );
  // The next invocation runs in a fresh environment: a cold start again.
  const next = await fn.invoke(question());
  const nextDocs = await traceOf(next.traceId!);
  expect(named(nextDocs, 'Initialization')).toHaveLength(1);
  expect(next.log).toMatch(/\tInit Duration: \d+\.\d{2} ms\t/);
});

test('a bad setting fails the invocation at init, naming the setting', async () => {
  const fn = await runtime({}, { [ENV.hangingExceptionRate]: 'sometimes' });
  const result = await fn.invoke(question());
  expect(result.ok).toBe(false);
  expect(result.error?.errorMessage).toContain(ENV.hangingExceptionRate);
  const docs = await traceOf(result.traceId!);
  expect(named(docs, 'Initialization')[0].fault).toBe(true);
  expect(byOrigin(docs, 'AWS::Lambda::Function')[0].fault).toBe(true);
});

test('at most `concurrency` environments run; each handles one invocation at a time', async () => {
  const fn = await runtime(
    { concurrency: 2 },
    { [ENV.hangingExceptionRate]: '1', [ENV.hangingExceptionDelayMs]: '200' },
  );
  const results = await Promise.all([1, 2, 3, 4, 5].map(() => fn.invoke(question())));
  const traces = await Promise.all(results.map((r) => traceOf(r.traceId!, (d) => named(d, '## handler').length > 0)));
  const coldStarts = traces.filter((docs) => named(docs, '## handler')[0].annotations?.ColdStart === true);
  expect(coldStarts).toHaveLength(2);
  expect(results.every((r) => (r.result as { statusCode: number }).statusCode === 500)).toBe(true);
});

test('a stopped runtime refuses invocations', async () => {
  const fn = await runtime();
  expect((await fn.invoke(question())).ok).toBe(true);
  await fn.stop();
  await expect(fn.invoke(question())).rejects.toThrow(/stopped/);
});

test('tracing Off: neither the runtime nor the function sends any segment', async () => {
  const fn = await runtime({ tracing: 'Off' });
  xray.clear();
  const result = await fn.invoke(question(), {
    traceHeader: 'Root=1-5759e988-bd862e3fe1be46a994272794;Parent=53995c3f42cd8ad8;Sampled=1',
  });
  expect((result.result as { statusCode: number }).statusCode).toBe(201);
  await new Promise((r) => setTimeout(r, 500));
  expect(xray.documents()).toEqual([]);
});

test('the functions log Powertools-style JSON lines, with the trace id, to the log sink', () => {
  const lines = logs
    .join('')
    .split('\n')
    .filter((l) => l.startsWith('{'));
  const stored = lines.map((l) => JSON.parse(l)).find((e) => e.message === 'question stored');
  expect(stored).toMatchObject({ level: 'INFO', service: FUNCTIONS.postQuestion.name });
  expect(stored.xray_trace_id).toMatch(/^1-/);
  expect(logs.join('')).not.toMatch(/Warning|X-Ray|context missing/i);
});
