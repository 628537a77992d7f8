/**
 * The local X-Ray daemon takes OpenTelemetry spans: the X-Ray UDP exporter's datagrams (header line, `T1S`,
 * base64 of binary OTLP) on its UDP port, and OTLP/HTTP (protobuf or JSON) on a port of its own. Spans are made
 * by the real OpenTelemetry SDK and serialized by the real OTLP serializers; the real @aws-sdk/client-xray reads
 * them back as segment documents.
 */
import { BatchGetTracesCommand, XRayClient } from '@aws-sdk/client-xray';
import { SpanKind, SpanStatusCode, context, trace, type Tracer } from '@opentelemetry/api';
import { AWSXRayIdGenerator } from '@opentelemetry/id-generator-aws-xray';
import { JsonTraceSerializer, ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
  type ReadableSpan,
} from '@opentelemetry/sdk-trace-base';
import * as http from 'node:http';
import { gzipSync } from 'node:zlib';
import { startXRayDaemon, type XRayDaemon } from '../../sandbox/xray/daemon';
import { startOtlpHttpReceiver, type OtlpHttpReceiver } from '../../sandbox/xray/otlp-http';
import { sendDatagrams } from '../../sandbox/xray/udp-client';

let daemon: XRayDaemon;
let receiver: OtlpHttpReceiver;
let xray: XRayClient;
const exported = new InMemorySpanExporter();
const resource = resourceFromAttributes({
  'service.name': 'post-question',
  'cloud.provider': 'aws',
  'cloud.platform': 'aws_lambda',
});
const provider = new BasicTracerProvider({
  resource,
  idGenerator: new AWSXRayIdGenerator(),
  spanProcessors: [new SimpleSpanProcessor(exported)],
});
const tracer: Tracer = provider.getTracer('test');
const randomIdTracer: Tracer = new BasicTracerProvider({
  resource,
  spanProcessors: [new SimpleSpanProcessor(exported)],
}).getTracer('test');

beforeAll(async () => {
  daemon = await startXRayDaemon({ port: 0 });
  receiver = await startOtlpHttpReceiver(daemon.store, { port: 0 });
  xray = new XRayClient({
    endpoint: daemon.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
});

afterAll(async () => {
  xray?.destroy();
  await receiver?.stop();
  await daemon?.stop();
});

beforeEach(() => exported.reset());

/**
 * A Lambda-like invocation: `## handler` under a remote parent (Lambda's function segment), a DynamoDB call, an HTTP
 * call.
 */
function recordInvocation(options: { fail?: 'fault' | 'client-error' } = {}): {
  traceId: string;
  parentId: string;
  spans: ReadableSpan[];
} {
  const traceId = new AWSXRayIdGenerator().generateTraceId();
  const parentId = '53995c3f42cd8ad8';
  const remote = trace.setSpanContext(context.active(), { traceId, spanId: parentId, traceFlags: 1, isRemote: true });
  const handler = tracer.startSpan('## handler', { kind: SpanKind.INTERNAL }, remote);
  handler.setAttributes({
    QuestionId: 'q-1',
    ColdStart: true,
    Service: 'post-question',
    'aws.xray.annotations': ['QuestionId', 'ColdStart', 'Service'],
  });
  const inHandler = trace.setSpan(remote, handler);
  const dynamo = tracer.startSpan(
    'DynamoDB.PutItem',
    {
      kind: SpanKind.CLIENT,
      attributes: {
        'rpc.system': 'aws-api',
        'rpc.service': 'DynamoDB',
        'rpc.method': 'PutItem',
        'aws.region': 'eu-west-1',
        'http.status_code': 200,
      },
    },
    inHandler,
  );
  dynamo.end();
  const http = tracer.startSpan(
    'GET',
    {
      kind: SpanKind.CLIENT,
      attributes: {
        'net.peer.name': 'api.example.org',
        'http.method': 'GET',
        'http.url': 'https://api.example.org/mysfits/1',
        'http.status_code': 404,
      },
    },
    inHandler,
  );
  http.setStatus({ code: SpanStatusCode.ERROR });
  http.end();
  if (options.fail === 'fault') {
    handler.recordException(new TypeError('boom'));
    handler.setStatus({ code: SpanStatusCode.ERROR, message: 'boom' });
  }
  handler.end();
  return { traceId, parentId, spans: exported.getFinishedSpans() };
}

const t1s = (spans: ReadableSpan[]) =>
  Buffer.from(
    `{"format":"json","version":1}\nT1S${Buffer.from(ProtobufTraceSerializer.serializeRequest(spans)!).toString('base64')}`,
  );

async function waitForReceived(count: number) {
  for (let i = 0; i < 300 && daemon.store.stats().received < count; i++) await new Promise((r) => setTimeout(r, 10));
}

/** Every segment and subsegment BatchGetTraces returns for the trace (independent subsegments are nested by then). */
async function documentsOf(xrayTraceId: string) {
  const { Traces } = await xray.send(new BatchGetTracesCommand({ TraceIds: [xrayTraceId] }));
  const all: Record<string, any>[] = [];
  const visit = (entity: Record<string, any>) => {
    all.push(entity);
    (entity.subsegments ?? []).forEach(visit);
  };
  for (const s of Traces?.[0]?.Segments ?? []) visit(JSON.parse(s.Document!));
  return all.filter((d) => d.origin !== 'AWS::Lambda::Function' && !d.inferred);
}

/** The `AWS::Lambda::Function` segment the Lambda service records (the parent of the handler's spans). */
function functionSegment(traceId: string, parentId: string) {
  const now = Date.now() / 1000;
  return {
    trace_id: asXRay(traceId),
    id: parentId,
    name: 'post-question',
    origin: 'AWS::Lambda::Function',
    start_time: now - 1,
    end_time: now,
  };
}

const asXRay = (traceId: string) => `1-${traceId.slice(0, 8)}-${traceId.slice(8)}`;

test('X-Ray UDP exporter datagrams become segment documents under the Lambda function segment', async () => {
  const { traceId, parentId, spans } = recordInvocation();
  const before = daemon.store.stats().received;
  await sendDatagrams(daemon.address, [functionSegment(traceId, parentId), t1s(spans)]);
  await waitForReceived(before + 4);

  const documents = await documentsOf(asXRay(traceId));
  const byName = Object.fromEntries(documents.map((d) => [d.name, d]));
  expect(Object.keys(byName).sort()).toEqual(['## handler', 'DynamoDB', 'api.example.org']);
  const handler = byName['## handler'];
  // Grafted under Lambda's function segment (its parent_id), as the X-Ray SDK's subsegments are.
  expect(daemon.store.trace(asXRay(traceId))!.segments[0]).toMatchObject({
    id: parentId,
    subsegments: [{ id: handler.id }],
  });
  expect(daemon.store.segments().find((d) => d.id === handler.id)).toMatchObject({
    type: 'subsegment',
    parent_id: parentId,
  });
  expect(handler).toMatchObject({ annotations: { QuestionId: 'q-1', ColdStart: true, Service: 'post-question' } });
  expect(handler.annotations).not.toHaveProperty('aws.xray.annotations');
  expect(handler.subsegments.map((d: { name: string }) => d.name).sort()).toEqual(['DynamoDB', 'api.example.org']);
  expect(byName.DynamoDB).toMatchObject({ namespace: 'aws', aws: { operation: 'PutItem', region: 'eu-west-1' } });
  expect(byName.DynamoDB.annotations).toBeUndefined();
  // A 404 from the callee is an error (4xx), not a fault, even with status ERROR.
  expect(byName['api.example.org']).toMatchObject({
    namespace: 'remote',
    error: true,
    http: { request: { method: 'GET' }, response: { status: 404 } },
  });
  expect(byName['api.example.org'].fault).toBeUndefined();
});

test('a failed handler span is a fault with its exception as the cause', async () => {
  const { traceId, parentId, spans } = recordInvocation({ fail: 'fault' });
  const before = daemon.store.stats().received;
  await sendDatagrams(daemon.address, [functionSegment(traceId, parentId), t1s(spans)]);
  await waitForReceived(before + 4);
  const handler = (await documentsOf(asXRay(traceId))).find((d) => d.name === '## handler');
  expect(handler).toMatchObject({ fault: true, cause: { exceptions: [{ type: 'TypeError', message: 'boom' }] } });
  expect(handler?.error).toBeUndefined();
});

test('unsampled spans (T1U) are not stored; a non-X-Ray trace id and a bad payload count as malformed', async () => {
  const { spans } = recordInvocation();
  const randomSpan = randomIdTracer.startSpan('orphan', { kind: SpanKind.SERVER });
  randomSpan.end();
  const random = exported.getFinishedSpans().filter((s) => s.name === 'orphan');
  const before = daemon.store.stats();
  const unsampled = Buffer.from(
    `{"format":"json","version":1}\nT1U${Buffer.from(ProtobufTraceSerializer.serializeRequest(spans)!).toString('base64')}`,
  );
  await sendDatagrams(daemon.address, [unsampled, t1s(random), '{"format":"json","version":1}\nT1S%%%notbase64']);
  for (let i = 0; i < 300 && daemon.store.stats().malformed < before.malformed + 2; i++)
    await new Promise((r) => setTimeout(r, 10));
  const after = daemon.store.stats();
  expect(after.malformed).toBe(before.malformed + 2);
  expect(after.received).toBe(before.received);
  expect(after.traces).toBe(before.traces);
});

describe('OTLP/HTTP', () => {
  const post = (body: Uint8Array | string, headers: Record<string, string>, path = '/v1/traces') =>
    fetch(`${receiver.endpoint}${path}`, { method: 'POST', headers, body: body as RequestInit['body'] });

  test('protobuf, gzip-compressed, is stored and answered with an empty ExportTraceServiceResponse', async () => {
    const { traceId, parentId, spans } = recordInvocation();
    await sendDatagrams(daemon.address, [functionSegment(traceId, parentId)]);
    const body = gzipSync(ProtobufTraceSerializer.serializeRequest(spans)!);
    const response = await post(body, { 'content-type': 'application/x-protobuf', 'content-encoding': 'gzip' });
    expect(response.status).toBe(200);
    expect((await response.arrayBuffer()).byteLength).toBe(0);
    expect((await documentsOf(asXRay(traceId))).map((d) => d.name).sort()).toEqual([
      '## handler',
      'DynamoDB',
      'api.example.org',
    ]);
  });

  test('OTLP/JSON is stored the same way', async () => {
    const { traceId, parentId, spans } = recordInvocation();
    await sendDatagrams(daemon.address, [functionSegment(traceId, parentId)]);
    const response = await post(JsonTraceSerializer.serializeRequest(spans)!, { 'content-type': 'application/json' });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({});
    const names = (await documentsOf(asXRay(traceId))).map((d) => d.name).sort();
    expect(names).toEqual(['## handler', 'DynamoDB', 'api.example.org']);
  });

  test('a malformed request gets 400 naming the field, and none of its spans is stored', async () => {
    const { traceId, spans } = recordInvocation();
    const request = JSON.parse(Buffer.from(JsonTraceSerializer.serializeRequest(spans)!).toString('utf8'));
    request.resourceSpans[0].scopeSpans[0].spans[1].spanId = 'not-hex';
    const response = await post(JSON.stringify(request), { 'content-type': 'application/json' });
    expect(response.status).toBe(400);
    expect(((await response.json()) as { message: string }).message).toMatch(
      /resourceSpans\[0\]\.scopeSpans\[0\]\.spans\[1\]\.spanId must be 16 hex digits/,
    );
    expect(await documentsOf(asXRay(traceId))).toEqual([]);
  });

  test('truncated protobuf gets 400; wrong type 415, path 404, method 405', async () => {
    const { spans } = recordInvocation();
    const bytes = ProtobufTraceSerializer.serializeRequest(spans)!;
    const truncated = await post(bytes.subarray(0, bytes.length - 5), { 'content-type': 'application/x-protobuf' });
    expect(truncated.status).toBe(400);
    expect(truncated.headers.get('content-type')).toBe('application/x-protobuf');
    expect(Buffer.from(await truncated.arrayBuffer()).toString('latin1')).toMatch(/truncated/);
    expect((await post('{}', { 'content-type': 'text/plain' })).status).toBe(415);
    expect((await post('{}', { 'content-type': 'application/json' }, '/v1/metrics')).status).toBe(404);
    expect((await fetch(`${receiver.endpoint}/v1/traces`)).status).toBe(405);
  });

  /** A POST with the Host header the test says (fetch would not send another site's name). */
  function postWithHost(host: string, body: Uint8Array): Promise<{ status: number; body: string }> {
    return new Promise((resolve, reject) => {
      const req = http.request(
        `${receiver.endpoint}/v1/traces`,
        { method: 'POST', headers: { host, 'content-type': 'application/json', 'content-length': body.length } },
        (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (chunk) => (text += chunk));
          res.on('end', () => resolve({ status: res.statusCode!, body: text }));
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  }

  test('listens on loopback only; refuses a foreign Host (DNS rebinding) with 403 before storing anything', async () => {
    expect(new URL(receiver.endpoint).hostname).toBe('127.0.0.1');
    const { traceId, parentId, spans } = recordInvocation();
    await sendDatagrams(daemon.address, [functionSegment(traceId, parentId)]);
    const body = JsonTraceSerializer.serializeRequest(spans)!;
    const refused = await postWithHost(`evil.example:${receiver.port}`, body);
    expect(refused.status).toBe(403);
    expect(JSON.parse(refused.body)).toEqual({ message: 'Forbidden', detail: expect.stringContaining('evil.example') });
    expect((await documentsOf(asXRay(traceId))).map((d) => d.name)).not.toContain('## handler');
    // The same request with this machine's name is taken.
    expect((await postWithHost(`localhost:${receiver.port}`, body)).status).toBe(200);
    expect((await documentsOf(asXRay(traceId))).map((d) => d.name)).toContain('## handler');
  });
});
