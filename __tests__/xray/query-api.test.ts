/**
 * The local X-Ray daemon end to end: real datagrams in (aws-xray-sdk-core and raw documents), the real
 * @aws-sdk/client-xray out.
 */

import {
  BatchGetTracesCommand,
  GetSamplingRulesCommand,
  GetSamplingTargetsCommand,
  GetServiceGraphCommand,
  GetTraceGraphCommand,
  GetTraceSummariesCommand,
  paginateGetTraceSummaries,
  XRayClient,
  type TraceSummary,
} from '@aws-sdk/client-xray';
import * as AWSXRay from 'aws-xray-sdk-core';
import * as net from 'node:net';
import { startXRayDaemon, type XRayDaemon } from '../../sandbox/xray/daemon';
import { SUMMARIES_PAGE_SIZE } from '../../sandbox/xray/query-api';
import { datagram, newEntityId, newTraceId, sendDatagrams } from '../../sandbox/xray/udp-client';

let daemon: XRayDaemon;
let xray: XRayClient;

beforeAll(async () => {
  daemon = await startXRayDaemon({ port: 0 });
  AWSXRay.setDaemonAddress(daemon.address);
  AWSXRay.setLogger({ error: () => undefined, warn: () => undefined, info: () => undefined, debug: () => undefined });
  xray = new XRayClient({
    endpoint: daemon.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
});

afterAll(async () => {
  xray?.destroy();
  await daemon?.stop();
});

beforeEach(() => daemon.store.clear());

/** UDP is asynchronous: wait until the daemon has taken in `count` more documents (or malformed ones). */
async function settle(expectedReceived: number, expectedMalformed = 0) {
  const deadline = Date.now() + 5000;
  while (Date.now() < deadline) {
    const stats = daemon.store.stats();
    if (stats.received >= expectedReceived && stats.malformed >= expectedMalformed) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`daemon received ${JSON.stringify(daemon.store.stats())}, expected ${expectedReceived} documents`);
}

const lastHour = () => ({ StartTime: new Date(Date.now() - 3600_000), EndTime: new Date(Date.now() + 60_000) });

async function summaries(filter?: string): Promise<TraceSummary[]> {
  const result = await xray.send(new GetTraceSummariesCommand({ ...lastHour(), FilterExpression: filter }));
  return result.TraceSummaries ?? [];
}

/** One traced request through the SDK: a stage segment with a DynamoDB call, as a handler records it. */
function sdkRequest(options: {
  name: string;
  origin?: string;
  status: number;
  annotations: Record<string, string | number | boolean>;
  dynamo?: boolean;
}): string {
  const segment = new AWSXRay.Segment(options.name);
  (segment as unknown as { origin?: string }).origin = options.origin;
  (segment as unknown as { http: unknown }).http = {
    request: { method: 'POST', url: 'https://api.example/dev/questions' },
    response: { status: options.status },
  };
  for (const [key, value] of Object.entries(options.annotations)) segment.addAnnotation(key, value);
  if (options.dynamo) {
    const call = segment.addNewSubsegment('DynamoDB');
    call.namespace = 'aws';
    call.addAttribute('aws', { operation: 'PutItem', table_name: 'questions' });
    call.close();
  }
  if (options.status >= 500) segment.addFaultFlag();
  else if (options.status >= 400) segment.addErrorFlag();
  segment.close();
  return segment.trace_id;
}

describe('GetTraceSummaries', () => {
  test('finds SDK-sent traces by annotation (string, number, boolean) and reports their summary', async () => {
    const q1 = sdkRequest({
      name: 'questions-api/dev',
      origin: 'AWS::ApiGateway::Stage',
      status: 200,
      annotations: { QuestionId: 'q-1', Attempt: 2, Urgent: true },
      dynamo: true,
    });
    const q2 = sdkRequest({
      name: 'questions-api/dev',
      status: 200,
      annotations: { QuestionId: 'q-2', Attempt: 5, Urgent: false },
    });
    await settle(2);

    const byString = await summaries('annotation.QuestionId = "q-1"');
    expect(byString.map((t) => t.Id)).toEqual([q1]);
    const summary = byString[0];
    expect(summary.Annotations?.QuestionId).toEqual([
      {
        AnnotationValue: { StringValue: 'q-1' },
        ServiceIds: [{ Name: 'questions-api/dev', Names: ['questions-api/dev'], Type: 'AWS::ApiGateway::Stage' }],
      },
    ]);
    expect(summary.Http).toMatchObject({
      HttpStatus: 200,
      HttpMethod: 'POST',
      HttpURL: 'https://api.example/dev/questions',
    });
    expect(summary.EntryPoint).toMatchObject({ Name: 'questions-api/dev', Type: 'AWS::ApiGateway::Stage' });
    expect(summary.ServiceIds?.map((s) => s.Name).sort()).toEqual(['DynamoDB', 'questions-api/dev']);
    expect(summary).toMatchObject({ HasError: false, HasFault: false, IsPartial: false });
    expect(summary.ResponseTime).toBeGreaterThanOrEqual(0);

    expect((await summaries('annotation.Attempt > 3')).map((t) => t.Id)).toEqual([q2]);
    expect((await summaries('annotation.Urgent = true')).map((t) => t.Id)).toEqual([q1]);
    expect((await summaries('annotation[QuestionId] = "q-2"')).map((t) => t.Id)).toEqual([q2]);
    expect(await summaries('annotation.QuestionId = "q-3"')).toEqual([]);
  });

  test('filters by service, error, fault, ok and response time, combined with AND, OR, ! and parentheses', async () => {
    const ok = sdkRequest({ name: 'svc-a', status: 200, annotations: { k: 'ok' }, dynamo: true });
    const error = sdkRequest({ name: 'svc-a', status: 400, annotations: { k: 'error' } });
    const fault = sdkRequest({ name: 'svc-b', status: 502, annotations: { k: 'fault' } });
    await settle(3);
    const ids = async (filter: string) => (await summaries(filter)).map((t) => t.Id).sort();

    expect(await ids('service("svc-b")')).toEqual([fault]);
    expect(await ids('service("DynamoDB")')).toEqual([ok]);
    expect(await ids('service(id(name: "svc-a", type: "AWS::Lambda"))')).toEqual([]);
    expect(await ids('error')).toEqual([error]);
    expect(await ids('fault')).toEqual([fault]);
    expect(await ids('ok')).toEqual([ok]);
    expect(await ids('!ok')).toEqual([error, fault].sort());
    expect(await ids('service("svc-a") AND (error OR fault)')).toEqual([error]);
    expect(await ids('service("svc-a") && !error || fault')).toEqual([ok, fault].sort());
    expect(await ids('http.status >= 500')).toEqual([fault]);
    expect(await ids('edge("svc-a", "DynamoDB")')).toEqual([ok]);
    expect(await ids('responsetime > 3600')).toEqual([]);
    expect(await ids('responsetime >= 0 AND duration >= 0')).toEqual([error, fault, ok].sort());
  });

  test('pages through many traces with NextToken, each trace once', async () => {
    const total = SUMMARIES_PAGE_SIZE + 12;
    const now = Date.now() / 1000;
    const docs = Array.from({ length: total }, (_, i) => ({
      trace_id: newTraceId(now),
      id: newEntityId(),
      name: 'paged',
      start_time: now - i,
      end_time: now - i + 0.01,
    }));
    await sendDatagrams(daemon.address, docs);
    await settle(total);

    const first = await xray.send(new GetTraceSummariesCommand(lastHour()));
    expect(first.TraceSummaries).toHaveLength(SUMMARIES_PAGE_SIZE);
    expect(first.NextToken).toEqual(expect.any(String));
    expect(first.TracesProcessedCount).toBe(total);

    const seen: string[] = [];
    for await (const page of paginateGetTraceSummaries({ client: xray }, lastHour())) {
      seen.push(...(page.TraceSummaries ?? []).map((t) => t.Id!));
    }
    expect(seen).toHaveLength(total);
    expect(new Set(seen)).toEqual(new Set(docs.map((d) => d.trace_id)));
    // Newest first.
    expect(seen[0]).toBe(docs[0].trace_id);
  });

  test('only returns traces in the time range', async () => {
    const old = Date.now() / 1000 - 7200;
    await sendDatagrams(daemon.address, [
      { trace_id: newTraceId(old), id: newEntityId(), name: 'old', start_time: old, end_time: old + 1 },
    ]);
    await settle(1);
    expect(await summaries()).toEqual([]);
    const result = await xray.send(
      new GetTraceSummariesCommand({ StartTime: new Date((old - 10) * 1000), EndTime: new Date((old + 10) * 1000) }),
    );
    expect(result.TraceSummaries?.map((t) => t.EntryPoint?.Name)).toEqual(['old']);
  });

  test('rejects an invalid filter expression with a ValidationException naming the problem', async () => {
    await expect(summaries('annotation.QuestionId == "x"')).rejects.toMatchObject({
      name: 'ValidationException',
      message: expect.stringMatching(/position 23.*"="/),
      $metadata: { httpStatusCode: 400 },
    });
    await expect(summaries('latency > 3')).rejects.toMatchObject({
      name: 'ValidationException',
      message: expect.stringContaining('unknown keyword or field "latency"'),
    });
  });

  test.each([
    ['3,000 nested parentheses', `${'('.repeat(3000)}ok${')'.repeat(3000)}`, /nested more than 100 deep/],
    ['9,990 negations', `${'!'.repeat(9_990)}ok`, /nested more than 100 deep/],
    ['an expression of 20,000 characters', `${'ok OR '.repeat(3400)}ok`, /longer than 10000 characters/],
  ])('%s is a 400 ValidationException, not a crash', async (_what, expression, message) => {
    // Before the limit, the recursive parser overflowed its stack and the daemon answered 500.
    await expect(summaries(expression)).rejects.toMatchObject({
      name: 'ValidationException',
      message: expect.stringMatching(message),
      $metadata: { httpStatusCode: 400 },
    });
  });
});

describe('segment documents over UDP', () => {
  test('an in-progress segment makes the trace partial until the completed one replaces it', async () => {
    const traceId = newTraceId();
    const id = newEntityId();
    const start = Date.now() / 1000;
    await sendDatagrams(daemon.address, [
      { trace_id: traceId, id, name: 'slow', start_time: start, in_progress: true },
    ]);
    await settle(1);
    expect((await summaries()).map((t) => [t.Id, t.IsPartial])).toEqual([[traceId, true]]);

    await sendDatagrams(daemon.address, [
      { trace_id: traceId, id, name: 'slow', start_time: start, end_time: start + 0.25 },
    ]);
    await settle(2);
    const [summary] = await summaries('partial');
    expect(summary).toBeUndefined();
    const [done] = await summaries();
    expect(done).toMatchObject({ Id: traceId, IsPartial: false, ResponseTime: 0.25 });
    const traces = await xray.send(new BatchGetTracesCommand({ TraceIds: [traceId] }));
    expect(traces.Traces?.[0].Segments).toHaveLength(1);
  });

  test('malformed datagrams are counted and ignored; the daemon keeps working', async () => {
    const traceId = newTraceId();
    await sendDatagrams(daemon.address, [
      'not json at all',
      '{"format":"json","version":1}\n{"trace_id": "nope"}',
      '{"format":"xml","version":1}\n{}',
      datagram({ trace_id: traceId, id: newEntityId(), name: 'no end', start_time: 1 }),
      Buffer.from([0xff, 0x00, 0x0a, 0x7b]),
      datagram({
        trace_id: traceId,
        id: newEntityId(),
        name: 'fine',
        start_time: Date.now() / 1000,
        end_time: Date.now() / 1000,
      }),
    ]);
    await settle(1, 5);
    expect(daemon.store.stats()).toMatchObject({ received: 1, malformed: 5 });
    expect((await summaries()).map((t) => t.EntryPoint?.Name)).toEqual(['fine']);
  });
});

describe('a traced question, as API Gateway, Lambda and the SDK send it', () => {
  /** stage -> (Lambda subsegment) -> AWS::Lambda -> AWS::Lambda::Function -> DynamoDB (independent subsegment). */
  function questionDocuments(status: number) {
    const traceId = newTraceId();
    const t = Date.now() / 1000;
    const invoke = { id: newEntityId(), name: 'Lambda', namespace: 'aws', start_time: t + 0.01, end_time: t + 0.09 };
    const stage = {
      trace_id: traceId,
      id: newEntityId(),
      name: 'mysfits-test-questions-api/test',
      origin: 'AWS::ApiGateway::Stage',
      start_time: t,
      end_time: t + 0.1,
      error: status >= 400 && status < 500,
      http: { request: { method: 'POST', url: 'http://127.0.0.1/questions' }, response: { status } },
      subsegments: [invoke],
    };
    const lambda = {
      trace_id: traceId,
      id: newEntityId(),
      parent_id: invoke.id,
      name: 'mysfits-test-post-question',
      origin: 'AWS::Lambda',
      start_time: t + 0.012,
      end_time: t + 0.088,
    };
    const fn = {
      trace_id: traceId,
      id: newEntityId(),
      parent_id: lambda.id,
      name: 'mysfits-test-post-question',
      origin: 'AWS::Lambda::Function',
      start_time: t + 0.015,
      end_time: t + 0.085,
      error: status >= 400 && status < 500,
    };
    const dynamo = {
      type: 'subsegment',
      trace_id: traceId,
      parent_id: fn.id,
      id: newEntityId(),
      name: 'DynamoDB',
      namespace: 'aws',
      start_time: t + 0.02,
      end_time: t + 0.05,
      aws: { operation: 'PutItem', table_name: 'mysfits-test-questions' },
      annotations: { QuestionId: `q-${traceId.slice(-6)}` },
    };
    return { traceId, documents: status === 200 ? [dynamo, fn, lambda, stage] : [fn, lambda, stage] };
  }

  test('GetServiceGraph: client -> stage -> Lambda -> Lambda::Function -> DynamoDB with counts and errors', async () => {
    const ok1 = questionDocuments(200);
    const ok2 = questionDocuments(200);
    const invalid = questionDocuments(400);
    await sendDatagrams(daemon.address, [...ok1.documents, ...ok2.documents, ...invalid.documents]);
    await settle(11);

    const graph = await xray.send(new GetServiceGraphCommand(lastHour()));
    const services = graph.Services ?? [];
    const byRef = new Map(services.map((s) => [s.ReferenceId, s]));
    const label = (s: { Name?: string; Type?: string }) => `${s.Name} (${s.Type})`;
    const edges = services.flatMap((s) =>
      (s.Edges ?? []).map((e) => `${label(s)} -> ${label(byRef.get(e.ReferenceId)!)}`),
    );
    expect(edges.sort()).toEqual(
      [
        'client (client) -> mysfits-test-questions-api/test (AWS::ApiGateway::Stage)',
        'mysfits-test-questions-api/test (AWS::ApiGateway::Stage) -> mysfits-test-post-question (AWS::Lambda)',
        'mysfits-test-post-question (AWS::Lambda) -> mysfits-test-post-question (AWS::Lambda::Function)',
        'mysfits-test-post-question (AWS::Lambda::Function) -> DynamoDB (AWS::DynamoDB::Table)',
      ].sort(),
    );
    const stage = services.find((s) => s.Type === 'AWS::ApiGateway::Stage')!;
    expect(stage.Root).toBe(true);
    expect(stage.SummaryStatistics).toMatchObject({
      TotalCount: 3,
      OkCount: 2,
      ErrorStatistics: { TotalCount: 1, ThrottleCount: 0, OtherCount: 1 },
      FaultStatistics: { TotalCount: 0 },
    });
    expect(stage.SummaryStatistics?.TotalResponseTime).toBeCloseTo(0.3, 3);
    expect(stage.ResponseTimeHistogram).toEqual([{ Value: 0.1, Count: 3 }]);
    const dynamo = services.find((s) => s.Name === 'DynamoDB')!;
    expect(dynamo.SummaryStatistics).toMatchObject({ TotalCount: 2, OkCount: 2 });
    const fn = services.find((s) => s.Type === 'AWS::Lambda::Function')!;
    expect(fn.Edges?.[0].SummaryStatistics).toMatchObject({ TotalCount: 2 });
    expect(fn.Edges?.[0].SummaryStatistics?.TotalResponseTime).toBeCloseTo(0.06, 3);
    expect(graph.StartTime).toBeInstanceOf(Date);

    // The trace's own graph holds only its nodes.
    const single = await xray.send(new GetTraceGraphCommand({ TraceIds: [invalid.traceId] }));
    expect(single.Services?.map((s) => s.Name).sort()).toEqual([
      'client',
      'mysfits-test-post-question',
      'mysfits-test-post-question',
      'mysfits-test-questions-api/test',
    ]);
  });

  test('BatchGetTraces nests the independent subsegment and adds the inferred DynamoDB segment', async () => {
    const question = questionDocuments(200);
    await sendDatagrams(daemon.address, question.documents);
    await settle(4);

    const result = await xray.send(new BatchGetTracesCommand({ TraceIds: [question.traceId, newTraceId()] }));
    expect(result.UnprocessedTraceIds).toHaveLength(1);
    const [trace] = result.Traces ?? [];
    expect(trace.Id).toBe(question.traceId);
    expect(trace.Duration).toBeCloseTo(0.1, 3);
    const documents = trace.Segments!.map((s) => {
      const doc = JSON.parse(s.Document!);
      expect(s.Id).toBe(doc.id);
      return doc;
    });
    const fn = documents.find((d) => d.origin === 'AWS::Lambda::Function');
    expect(fn.subsegments).toEqual([expect.objectContaining({ name: 'DynamoDB', namespace: 'aws' })]);
    expect(fn.subsegments[0].type).toBeUndefined();
    const inferred = documents.find((d) => d.inferred);
    expect(inferred).toMatchObject({
      name: 'DynamoDB',
      origin: 'AWS::DynamoDB::Table',
      parent_id: fn.subsegments[0].id,
      trace_id: question.traceId,
    });
    // The stage's Lambda subsegment leads to a traced segment, so it infers no node.
    expect(documents.filter((d) => d.inferred)).toHaveLength(1);

    const byAnnotation = await summaries(`annotation.QuestionId = "q-${question.traceId.slice(-6)}"`);
    expect(byAnnotation.map((t) => t.Id)).toEqual([question.traceId]);
    expect(byAnnotation[0].Annotations?.QuestionId[0].ServiceIds?.[0]).toMatchObject({ Type: 'AWS::Lambda::Function' });
  });

  test('a remote call infers a node named by its host, unless the callee is traced', async () => {
    const traceId = newTraceId();
    const t = Date.now() / 1000;
    const untraced = {
      id: newEntityId(),
      name: 'mysfits.example',
      namespace: 'remote',
      start_time: t,
      end_time: t + 0.02,
      http: { request: { url: 'http://127.0.0.1:3000/mysfits/1', method: 'GET' }, response: { status: 404 } },
    };
    const traced = {
      id: newEntityId(),
      name: 'other',
      namespace: 'remote',
      start_time: t,
      end_time: t + 0.03,
      http: { request: { url: 'http://127.0.0.1:4000/x' }, response: { status: 200 } },
    };
    await sendDatagrams(daemon.address, [
      {
        trace_id: traceId,
        id: newEntityId(),
        name: 'caller',
        start_time: t,
        end_time: t + 0.05,
        subsegments: [untraced, traced],
      },
      {
        trace_id: traceId,
        id: newEntityId(),
        parent_id: traced.id,
        name: 'callee',
        start_time: t + 0.001,
        end_time: t + 0.02,
      },
    ]);
    await settle(2);
    const graph = await xray.send(new GetServiceGraphCommand(lastHour()));
    const names = graph.Services!.map((s) => `${s.Name}|${s.Type ?? ''}`).sort();
    expect(names).toEqual(['127.0.0.1:3000|remote', 'callee|', 'caller|']);
    const remote = graph.Services!.find((s) => s.Type === 'remote')!;
    expect(remote.SummaryStatistics?.ErrorStatistics?.TotalCount).toBe(0); // 404 without error flag: ok
    expect((await summaries('edge("caller", "callee")')).map((x) => x.Id)).toEqual([traceId]);
  });
});

describe('BatchGetTraces limits', () => {
  test('more than 5 trace ids is a ValidationException, as on AWS', async () => {
    const ids = Array.from({ length: 6 }, () => newTraceId());
    await expect(xray.send(new BatchGetTracesCommand({ TraceIds: ids }))).rejects.toMatchObject({
      name: 'ValidationException',
      message: expect.stringContaining('less than or equal to 5'),
    });
    const five = await xray.send(new BatchGetTracesCommand({ TraceIds: ids.slice(0, 5) }));
    expect(five.UnprocessedTraceIds).toEqual(ids.slice(0, 5));
  });

  test('a missing time range names the field', async () => {
    await expect(
      xray.send(new GetServiceGraphCommand({ StartTime: undefined as unknown as Date, EndTime: new Date() })),
    ).rejects.toMatchObject({ name: 'ValidationException', message: expect.stringContaining('StartTime') });
  });
});

describe('sampling (asked by the SDKs centralized sampler)', () => {
  test('GetSamplingRules answers the Default rule and GetSamplingTargets a quota for it', async () => {
    const rules = await xray.send(new GetSamplingRulesCommand({}));
    expect(rules.SamplingRuleRecords?.[0].SamplingRule).toMatchObject({
      RuleName: 'Default',
      Priority: 10000,
      ServiceName: '*',
      Version: 1,
    });
    const targets = await xray.send(
      new GetSamplingTargetsCommand({
        SamplingStatisticsDocuments: [
          { RuleName: 'Default', ClientID: 'a'.repeat(24), Timestamp: new Date(), RequestCount: 3, SampledCount: 3 },
          { RuleName: 'Missing', ClientID: 'a'.repeat(24), Timestamp: new Date(), RequestCount: 1, SampledCount: 0 },
        ],
      }),
    );
    expect(targets.SamplingTargetDocuments).toEqual([
      expect.objectContaining({ RuleName: 'Default', FixedRate: 1, Interval: 10, ReservoirQuotaTTL: expect.any(Date) }),
    ]);
    expect(targets.UnprocessedStatistics?.map((u) => u.RuleName)).toEqual(['Missing']);
    expect(targets.LastRuleModification).toBeInstanceOf(Date);
  });
  test("aws-xray-sdk-core's own sampling connector reads the rule and a target from the daemon", async () => {
    // The SDK's centralized sampler (used outside Lambda) talks to the daemon address given by setDaemonAddress.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const connector = require('aws-xray-sdk-core/dist/lib/middleware/sampling/service_connector');
    const rules: { getName(): string; snapshotStatistics(): object }[] = await new Promise((resolve, reject) =>
      connector.fetchSamplingRules((err: Error | null, r: never) => (err ? reject(err) : resolve(r))),
    );
    expect(rules.map((r) => r.getName())).toEqual(['Default']);
    const targets = await new Promise((resolve, reject) =>
      connector.fetchTargets(rules, (err: Error | null, t: unknown) => (err ? reject(err) : resolve(t))),
    );
    expect(targets).toEqual({ Default: expect.objectContaining({ rate: 1, interval: 10 }) });
  });
});

describe('ports', () => {
  test('a busy port gives an error naming the port', async () => {
    await expect(startXRayDaemon({ port: daemon.port })).rejects.toThrow(
      new RegExp(`port ${daemon.port} \\(TCP\\) is already in use`),
    );
    // Only UDP taken: still named.
    const tcpFree = net.createServer();
    await new Promise<void>((r) => tcpFree.listen(0, '127.0.0.1', r));
    const port = (tcpFree.address() as net.AddressInfo).port;
    await new Promise((r) => tcpFree.close(r));
    const dgram = await import('node:dgram');
    const udp = dgram.createSocket('udp4');
    await new Promise<void>((r) => udp.bind(port, '127.0.0.1', r));
    try {
      await expect(startXRayDaemon({ port })).rejects.toThrow(new RegExp(`port ${port} \\(UDP\\) is already in use`));
    } finally {
      await new Promise<void>((r) => udp.close(() => r()));
    }
  });

  test('port 0 uses one free number for UDP and TCP', async () => {
    const other = await startXRayDaemon({ port: 0 });
    try {
      expect(other.port).toBeGreaterThan(0);
      expect(other.port).not.toBe(daemon.port);
      expect(other.address).toBe(`127.0.0.1:${other.port}`);
      expect(other.endpoint).toBe(`http://127.0.0.1:${other.port}`);
      await sendDatagrams(other.address, [
        {
          trace_id: newTraceId(),
          id: newEntityId(),
          name: 'x',
          start_time: Date.now() / 1000,
          end_time: Date.now() / 1000,
        },
      ]);
      const stats = await (async () => {
        for (let i = 0; i < 100 && other.store.stats().received === 0; i++) await new Promise((r) => setTimeout(r, 10));
        return (await fetch(`${other.endpoint}/stats`)).json();
      })();
      expect(stats).toMatchObject({ received: 1, traces: 1 });
    } finally {
      await other.stop();
    }
  });
});

test('a request body over 1 MB is refused with 413 ValidationException, and the daemon keeps answering', async () => {
  const res = await fetch(`${daemon.endpoint}/TraceSummaries`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ FilterExpression: 'x'.repeat(1024 * 1024) }),
  });
  expect(res.status).toBe(413);
  expect(JSON.stringify(await res.json())).toContain('larger than');
  const ok = await fetch(`${daemon.endpoint}/TraceSummaries`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ StartTime: 0, EndTime: Date.now() / 1000 }),
  });
  expect(ok.status).toBe(200);
});
