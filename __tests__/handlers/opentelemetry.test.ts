/**
 * The OpenTelemetry build of the handlers, run in the Lambda-like runtime against DynamoDB Local and the local
 * X-Ray daemon (which takes the OTLP datagrams as Lambda's daemon does): the same trace as the X-Ray SDK build —
 * `## handler` under Lambda's function segment with ColdStart/Service/QuestionId annotations, the step
 * subsegments, DynamoDB as an `aws` subsegment, an invalid question an error and the hanging switch a fault,
 * the mysfits API as a `remote` subsegment that carries the trace header; the stream handler's conditional
 * DynamoDB marks and its SNS publish.
 */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { ANNOTATIONS, ENV, HANGING_EXCEPTION_SUBSEGMENT, names } from '../../system/definition';
import { startFunctionRuntime, type FunctionRuntime } from '../../sandbox/lambda/function-runtime';
import { startXRayDaemon, type XRayDaemon } from '../../sandbox/xray/daemon';
import { walkEntities, type XRayEntity } from '../../sandbox/xray/segment-document';
import mysfits from '../../data/mysfits.json';
import {
  createTable,
  createTopicWithQueue,
  dynamoDbClient,
  readStreamRecords,
  seedMysfits,
  startLocalAws,
  type LocalAws,
  type TopicWithQueue,
} from '../support/local-aws';
import { PutItemCommand } from '@aws-sdk/client-dynamodb';
import type { TracingBackend } from '../../build/tracing-backends';

const TABLE = 'questions-otel';
const MYSFITS_TABLE = 'mysfits-otel';
let aws: LocalAws;
let topic: TopicWithQueue;
let daemon: XRayDaemon;
let api: http.Server;
let apiUrl: string;
const apiTraceHeaders: (string | undefined)[] = [];
const runtimes: FunctionRuntime[] = [];
const logs: string[] = [];
const [pauly] = mysfits.filter((m) => m.Name === 'Pauly');

async function runtime(
  key: 'postQuestion' | 'processClicks' | 'processQuestionsStream' | 'mysfitsApi',
  environment: Record<string, string>,
  tracingBackend: TracingBackend = 'opentelemetry',
) {
  const started = await startFunctionRuntime({
    key,
    functionName: names.function('test', key),
    tracing: 'Active',
    tracingBackend,
    daemonAddress: daemon.address,
    concurrency: 1,
    logSink: (text) => logs.push(text),
    environment: { ...aws.env, ...environment },
  });
  runtimes.push(started);
  return started;
}

const question = (body: unknown) => ({
  httpMethod: 'POST',
  resource: '/questions',
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify(body),
  requestContext: { requestId: 'apigw' },
});

/** Every entity of the assembled trace, once Lambda's function segment holds `## handler` and `expected` more. */
async function traceEntities(traceId: string, expected: (all: XRayEntity[]) => boolean): Promise<XRayEntity[]> {
  for (let i = 0; i < 500; i++) {
    const assembled = daemon.store.trace(traceId);
    const all: XRayEntity[] = [];
    for (const segment of assembled?.segments ?? []) walkEntities(segment, (e) => all.push(e));
    if (all.some((e) => e.name === '## handler') && expected(all)) return all;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(
    `trace ${traceId} incomplete: ${JSON.stringify(daemon.store.trace(traceId), null, 1)}\nmalformed: ` +
      `${JSON.stringify(daemon.store.stats())}`,
  );
}

const named = (all: XRayEntity[], name: string) => all.filter((e) => e.name === name);
const functionSegmentOf = (all: XRayEntity[]) => all.find((e) => e.origin === 'AWS::Lambda::Function')!;

beforeAll(async () => {
  [aws, daemon] = await Promise.all([startLocalAws({ dynamodb: true, fauxqs: true }), startXRayDaemon({ port: 0 })]);
  await createTable(aws.dynamodb!.endpoint, 'questions', TABLE);
  await createTable(aws.dynamodb!.endpoint, 'mysfits', MYSFITS_TABLE);
  await seedMysfits(aws.dynamodb!.endpoint, MYSFITS_TABLE);
  topic = await createTopicWithQueue(aws.fauxqs!.endpoint, 'questions-otel');
  api = http.createServer((req, res) => {
    apiTraceHeaders.push(req.headers['x-amzn-trace-id'] as string | undefined);
    const known = req.url === `/prod/mysfits/${pauly.MysfitId}`;
    res.writeHead(known ? 200 : 404, { 'content-type': 'application/json' });
    res.end(
      JSON.stringify(
        known
          ? { goodEvil: pauly.GoodEvil, lawChaos: pauly.LawChaos, species: pauly.Species }
          : { message: 'not found' },
      ),
    );
  });
  await new Promise<void>((resolve) => api.listen(0, '127.0.0.1', resolve));
  apiUrl = `http://127.0.0.1:${(api.address() as AddressInfo).port}/prod`;
}, 60_000);

afterAll(async () => {
  await Promise.all(runtimes.map((r) => r.stop()));
  await new Promise((resolve) => api?.close(resolve));
  await daemon?.stop();
  await aws?.stop();
});

describe('post-question (OpenTelemetry build)', () => {
  let fn: FunctionRuntime;
  beforeAll(async () => {
    fn = await runtime('postQuestion', { [ENV.questionsTableName]: TABLE, [ENV.allowedOrigin]: '*' });
  });

  test('a stored question: ## handler under the function segment, annotated, steps and DynamoDB under it', async () => {
    const result = await fn.invoke(question({ email: 'ada@example.com', questionText: 'Can Pauly swim?' }));
    expect(result).toMatchObject({ ok: true, result: { statusCode: 201 } });
    const questionId = JSON.parse((result.result as { body: string }).body).questionId;
    const all = await traceEntities(result.traceId!, (e) => named(e, 'DynamoDB').length > 0);

    const handler = named(all, '## handler')[0];
    expect(functionSegmentOf(all).subsegments?.map((s) => s.name)).toContain('## handler');
    expect(handler.annotations).toEqual({
      ColdStart: true,
      Service: 'post-question',
      [ANNOTATIONS.questionId]: questionId,
    });
    expect(handler.subsegments?.map((s) => s.name).sort()).toEqual(['storeQuestion', 'validateQuestion']);
    const store = named(all, 'storeQuestion')[0];
    expect(store.annotations).toEqual({ [ANNOTATIONS.questionId]: questionId });
    expect(store.subsegments).toEqual([
      expect.objectContaining({
        name: 'DynamoDB',
        namespace: 'aws',
        aws: expect.objectContaining({ operation: 'PutItem', table_name: TABLE }),
      }),
    ]);
    expect(all.some((e) => e.fault || e.error)).toBe(false);
  });

  test('an invalid question is an error on validateQuestion, not a fault; nothing reaches DynamoDB', async () => {
    const result = await fn.invoke(question({ email: 'not-an-email', questionText: '' }));
    expect(result).toMatchObject({ ok: true, result: { statusCode: 400 } });
    const all = await traceEntities(result.traceId!, (e) => named(e, 'validateQuestion').length > 0);
    expect(named(all, 'validateQuestion')[0]).toMatchObject({ error: true });
    expect(all.some((e) => e.fault)).toBe(false);
    expect(named(all, 'DynamoDB')).toEqual([]);
    expect(named(all, '## handler')[0].annotations).toMatchObject({ ColdStart: false });
  });

  test('the hanging switch faults its hangingException subsegment and the handler, with the cause', async () => {
    const hanging = await runtime('postQuestion', {
      [ENV.questionsTableName]: TABLE,
      [ENV.allowedOrigin]: '*',
      [ENV.hangingExceptionRate]: '1',
      [ENV.hangingExceptionDelayMs]: '10',
    });
    const result = await hanging.invoke(question({ email: 'ada@example.com', questionText: 'Will it hang?' }));
    expect(result).toMatchObject({ ok: true, result: { statusCode: 500 } });
    const all = await traceEntities(result.traceId!, (e) => named(e, HANGING_EXCEPTION_SUBSEGMENT).length > 0);
    const hang = named(all, HANGING_EXCEPTION_SUBSEGMENT)[0];
    expect(hang).toMatchObject({
      fault: true,
      cause: { exceptions: [expect.objectContaining({ type: 'HangingException' })] },
    });
    expect(hang.error).toBeUndefined();
    // The handler caught it and answered 500: its span records the exception too (not only status ERROR).
    expect(named(all, '## handler')[0]).toMatchObject({
      fault: true,
      cause: {
        exceptions: [
          expect.objectContaining({ type: 'HangingException', message: expect.stringContaining('hangingException') }),
        ],
      },
    });
  });

  test('an unsampled invocation (Sampled=0) records nothing', async () => {
    const before = daemon.store.stats();
    const traceId = `1-${Math.floor(Date.now() / 1000).toString(16)}-${'a'.repeat(24)}`;
    const result = await fn.invoke(question({ email: 'ada@example.com', questionText: 'Unsampled?' }), {
      traceHeader: `Root=${traceId};Parent=53995c3f42cd8ad8;Sampled=0`,
    });
    expect(result).toMatchObject({ ok: true, result: { statusCode: 201 } });
    await new Promise((r) => setTimeout(r, 300));
    expect(daemon.store.trace(traceId)).toBeUndefined();
    expect(daemon.store.stats().malformed).toBe(before.malformed);
  });
});

describe('process-clicks (OpenTelemetry build)', () => {
  test('the mysfits API call is a remote subsegment named after the host, and carries the trace header', async () => {
    const fn = await runtime('processClicks', { [ENV.mysfitsApiUrl]: apiUrl });
    const click = { userId: 'u-1', mysfitId: pauly.MysfitId };
    const result = await fn.invoke({
      invocationId: 'inv-1',
      deliveryStreamArn: 'arn:aws:firehose:us-east-1:000000000000:deliverystream/clicks',
      region: 'us-east-1',
      records: [
        {
          recordId: 'r-1',
          approximateArrivalTimestamp: Date.now(),
          data: Buffer.from(JSON.stringify(click)).toString('base64'),
        },
      ],
    });
    expect(result).toMatchObject({ ok: true, result: { records: [{ result: 'Ok' }] } });
    const all = await traceEntities(result.traceId!, (e) => named(e, '127.0.0.1').length > 0);
    const call = named(all, '127.0.0.1')[0];
    expect(call).toMatchObject({
      namespace: 'remote',
      http: { request: { method: 'GET' }, response: { status: 200 } },
    });
    expect(named(all, 'enrichClick')[0].annotations).toEqual({ [ANNOTATIONS.mysfitId]: pauly.MysfitId });
    const header = apiTraceHeaders.at(-1);
    expect(header).toBe(`Root=${result.traceId};Parent=${call.id};Sampled=1`);
  });
});

describe('the same trace as the X-Ray SDK build', () => {
  /** What the contract and the console rely on: names, namespaces, annotation keys, error/fault, nesting. */
  interface Shape {
    name: string;
    namespace?: string;
    annotations: string[];
    status: 'ok' | 'error' | 'fault';
    children: Shape[];
  }
  const shape = (e: XRayEntity): Shape => ({
    name: e.name,
    ...(e.namespace ? { namespace: e.namespace } : {}),
    annotations: Object.keys(e.annotations ?? {}).sort(),
    status: e.fault ? 'fault' : e.error ? 'error' : 'ok',
    children: (e.subsegments ?? [])
      .filter((c) => c.name !== 'Initialization')
      .map(shape)
      .sort((a, b) => a.name.localeCompare(b.name)),
  });

  test.each([
    ['a stored question', { email: 'ada@example.com', questionText: 'Same trace?' }, 201],
    ['an invalid question', { email: 'nope', questionText: 'x' }, 400],
  ])('%s', async (_what, body, status) => {
    const shapes: Record<TracingBackend, Shape | undefined> = { 'xray-sdk': undefined, opentelemetry: undefined };
    for (const backend of ['xray-sdk', 'opentelemetry'] as const) {
      const fn = await runtime('postQuestion', { [ENV.questionsTableName]: TABLE, [ENV.allowedOrigin]: '*' }, backend);
      const result = await fn.invoke(question(body));
      expect(result).toMatchObject({ ok: true, result: { statusCode: status } });
      const all = await traceEntities(result.traceId!, (e) => status === 400 || named(e, 'DynamoDB').length > 0);
      shapes[backend] = shape(functionSegmentOf(all));
    }
    expect(shapes.opentelemetry).toEqual(shapes['xray-sdk']);
  });

  test.each([
    ['an enriched click', pauly.MysfitId],
    ['a click on an unknown mysfit', 'no-such-mysfit'],
  ])('%s', async (_what, mysfitId) => {
    const shapes: Record<TracingBackend, Shape | undefined> = { 'xray-sdk': undefined, opentelemetry: undefined };
    for (const backend of ['xray-sdk', 'opentelemetry'] as const) {
      const fn = await runtime('processClicks', { [ENV.mysfitsApiUrl]: apiUrl }, backend);
      const result = await fn.invoke({
        invocationId: 'inv-1',
        deliveryStreamArn: 'arn:aws:firehose:us-east-1:000000000000:deliverystream/clicks',
        region: 'us-east-1',
        records: [
          {
            recordId: 'r-1',
            approximateArrivalTimestamp: Date.now(),
            data: Buffer.from(JSON.stringify({ userId: 'u-1', mysfitId })).toString('base64'),
          },
        ],
      });
      expect(result.ok).toBe(true);
      const all = await traceEntities(result.traceId!, (e) => named(e, '127.0.0.1').length > 0);
      shapes[backend] = shape(functionSegmentOf(all));
    }
    expect(shapes.opentelemetry).toEqual(shapes['xray-sdk']);
  });

  test.each([
    ['the catalogue', '/mysfits', {}],
    ['a filtered catalogue', '/mysfits', { filter: 'GoodEvil', value: 'Evil' }],
    ['one mysfit', '/mysfits/{mysfitId}', { mysfitId: pauly.MysfitId }],
    ['an unknown mysfit', '/mysfits/{mysfitId}', { mysfitId: 'no-such-mysfit' }],
  ] as const)('%s (mysfits-api)', async (_what, resource, params) => {
    const shapes: Record<TracingBackend, Shape | undefined> = { 'xray-sdk': undefined, opentelemetry: undefined };
    for (const backend of ['xray-sdk', 'opentelemetry'] as const) {
      const fn = await runtime(
        'mysfitsApi',
        { [ENV.mysfitsTableName]: MYSFITS_TABLE, [ENV.allowedOrigin]: '*' },
        backend,
      );
      const pathParameters = 'mysfitId' in params ? { mysfitId: params.mysfitId } : null;
      const query = 'filter' in params ? { filter: params.filter, value: params.value } : null;
      const result = await fn.invoke({
        httpMethod: 'GET',
        resource,
        path: resource.replace('{mysfitId}', pathParameters?.mysfitId ?? ''),
        headers: {},
        pathParameters,
        queryStringParameters: query,
        multiValueQueryStringParameters: query && Object.fromEntries(Object.entries(query).map(([k, v]) => [k, [v]])),
        requestContext: { requestId: 'apigw' },
      });
      expect(result.ok).toBe(true);
      const all = await traceEntities(result.traceId!, (e) => named(e, 'DynamoDB').length > 0);
      shapes[backend] = shape(functionSegmentOf(all));
    }
    expect(shapes.opentelemetry).toEqual(shapes['xray-sdk']);
  });

  test('a new question on the stream: begin mark, publish, NotifiedAt mark', async () => {
    const shapes: Record<TracingBackend, Shape | undefined> = { 'xray-sdk': undefined, opentelemetry: undefined };
    const client = dynamoDbClient(aws.dynamodb!.endpoint);
    try {
      for (const backend of ['xray-sdk', 'opentelemetry'] as const) {
        const questionId = `stream-${backend}`;
        await client.send(
          new PutItemCommand({
            TableName: TABLE,
            Item: {
              QuestionId: { S: questionId },
              UserEmailAddress: { S: 'ada@example.com' },
              QuestionText: { S: 'Traced the same?' },
              CreatedAt: { S: new Date().toISOString() },
            },
          }),
        );
        const record = (await readStreamRecords(aws.dynamodb!.endpoint, TABLE)).find(
          (r) => r.eventName === 'INSERT' && r.dynamodb?.Keys?.QuestionId.S === questionId,
        )!;
        expect(record).toBeDefined();
        const fn = await runtime(
          'processQuestionsStream',
          { [ENV.questionsTableName]: TABLE, [ENV.questionsTopicArn]: topic.topicArn },
          backend,
        );
        const result = await fn.invoke({ Records: [record] });
        expect(result).toMatchObject({ ok: true, result: { batchItemFailures: [] } });
        expect(await topic.receive(1)).toHaveLength(1);
        const all = await traceEntities(
          result.traceId!,
          (e) => named(e, 'SNS').length > 0 && named(e, 'DynamoDB').length >= 2,
        );
        shapes[backend] = shape(functionSegmentOf(all));
      }
    } finally {
      client.destroy();
    }
    expect(shapes.opentelemetry).toEqual(shapes['xray-sdk']);
    // Both marks are DynamoDB subsegments of publishQuestion, beside SNS.
    const publish = shapes
      .opentelemetry!.children.find((c) => c.name === '## handler')!
      .children.find((c) => c.name === 'publishQuestion')!;
    expect(publish.children.map((c) => `${c.name} ${c.namespace}`)).toEqual([
      'DynamoDB aws',
      'DynamoDB aws',
      'SNS aws',
    ]);
  });
});
