/** X-Ray's translation of spans into segment documents, rule by rule, on hand-made spans. */
import { SPAN_KIND, STATUS_CODE, type OtlpSpan } from '../../sandbox/xray/otlp-decode';
import { SpanConversionError, spanToSegment, xrayTraceId } from '../../sandbox/xray/otlp-to-segments';

const NOW = 1_780_000_000;
const TRACE_ID = `${NOW.toString(16)}${'ab'.repeat(12)}`;

const span = (overrides: Partial<OtlpSpan> = {}): OtlpSpan => ({
  traceId: TRACE_ID,
  spanId: '1111111111111111',
  parentSpanId: '2222222222222222',
  name: 'step',
  kind: SPAN_KIND.internal,
  startTimeUnixNano: BigInt(NOW) * 1_000_000_000n,
  endTimeUnixNano: BigInt(NOW) * 1_000_000_000n + 250_000_000n,
  attributes: {},
  events: [],
  status: { code: STATUS_CODE.unset, message: '' },
  ...overrides,
});

test('a SERVER span is a segment named after service.name, with the resource as metadata', () => {
  const doc = spanToSegment(
    span({ kind: SPAN_KIND.server, name: 'GET /x' }),
    { 'service.name': 'api', 'cloud.provider': 'aws' },
    NOW,
  );
  expect(doc).toMatchObject({
    trace_id: `1-${TRACE_ID.slice(0, 8)}-${TRACE_ID.slice(8)}`,
    name: 'api',
    start_time: NOW,
    end_time: NOW + 0.25,
  });
  expect(doc.type).toBeUndefined();
  expect(doc.metadata).toEqual({
    default: { 'otel.resource.service.name': 'api', 'otel.resource.cloud.provider': 'aws' },
  });
});

test('an INTERNAL span with a parent is an independent subsegment, named after the span, without the resource', () => {
  const doc = spanToSegment(span(), { 'service.name': 'api' }, NOW);
  expect(doc).toMatchObject({ type: 'subsegment', parent_id: '2222222222222222', name: 'step' });
  expect(doc.namespace).toBeUndefined();
  expect(doc.metadata).toBeUndefined();
});

test('only attributes listed in aws.xray.annotations become annotations, scalars only', () => {
  const doc = spanToSegment(
    span({
      attributes: {
        QuestionId: 'q',
        Nested: ['a'],
        Other: 1,
        'aws.xray.annotations': ['QuestionId', 'Nested', 'Missing'],
      },
    }),
    {},
    NOW,
  );
  expect(doc.annotations).toEqual({ QuestionId: 'q' });
  expect(doc.metadata).toEqual({ default: { Nested: ['a'], Other: 1 } });
});

test.each([
  [429, { error: true, throttle: true }],
  [404, { error: true }],
  [503, { fault: true }],
  [undefined, { fault: true }],
])('status ERROR with HTTP status %s', (status, flags) => {
  const doc = spanToSegment(
    span({
      kind: SPAN_KIND.client,
      status: { code: STATUS_CODE.error, message: 'failed' },
      attributes: status ? { 'http.status_code': status } : {},
    }),
    {},
    NOW,
  );
  expect({ error: doc.error, fault: doc.fault, throttle: doc.throttle }).toEqual({
    error: undefined,
    fault: undefined,
    throttle: undefined,
    ...flags,
  });
  expect(doc.cause).toEqual({ exceptions: [expect.objectContaining({ message: 'failed' })] });
});

test('an exception event is the cause, remote for a client span', () => {
  const doc = spanToSegment(
    span({
      kind: SPAN_KIND.client,
      status: { code: STATUS_CODE.error, message: '' },
      events: [
        {
          name: 'exception',
          timeUnixNano: 1n,
          attributes: { 'exception.type': 'TimeoutError', 'exception.message': 'slow' },
        },
      ],
    }),
    {},
    NOW,
  );
  expect(doc.cause).toEqual({
    exceptions: [expect.objectContaining({ type: 'TimeoutError', message: 'slow', remote: true })],
  });
});

test('names: the AWS service for aws-api calls, the peer host for other client calls, bad characters dropped', () => {
  expect(
    spanToSegment(
      span({
        kind: SPAN_KIND.client,
        attributes: { 'rpc.system': 'aws-api', 'rpc.service': 'SNS', 'rpc.method': 'Publish' },
      }),
      {},
      NOW,
    ),
  ).toMatchObject({ name: 'SNS', namespace: 'aws', aws: { operation: 'Publish' } });
  expect(
    spanToSegment(span({ kind: SPAN_KIND.client, attributes: { 'net.peer.name': 'api.example.org' } }), {}, NOW),
  ).toMatchObject({ name: 'api.example.org', namespace: 'remote' });
  expect(spanToSegment(span({ name: 'weird<name>!' }), {}, NOW).name).toBe('weirdname');
});

test('a trace id without a recent epoch second is refused, naming the fix', () => {
  expect(() => xrayTraceId(`${'0'.repeat(7)}1${'ab'.repeat(12)}`, NOW)).toThrow(SpanConversionError);
  expect(() => xrayTraceId(`${'0'.repeat(7)}1${'ab'.repeat(12)}`, NOW)).toThrow(/id-generator-aws-xray/);
  expect(() => xrayTraceId(`${(NOW + 3600).toString(16)}${'ab'.repeat(12)}`, NOW)).toThrow(SpanConversionError);
  expect(xrayTraceId(`${(NOW - 3600).toString(16)}${'ab'.repeat(12)}`, NOW)).toMatch(/^1-[0-9a-f]{8}-[0-9a-f]{24}$/);
});
