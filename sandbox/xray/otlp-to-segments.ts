/**
 * Turns OTLP spans into X-Ray segment documents the way X-Ray's own translation does (the AWS X-Ray exporter
 * of the OpenTelemetry Collector, which the ADOT collector ships and whose rules X-Ray documents for OTLP:
 * https://docs.aws.amazon.com/xray/latest/devguide/xray-api-segmentdocuments.html and
 * https://github.com/open-telemetry/opentelemetry-collector-contrib/tree/main/exporter/awsxrayexporter):
 *
 * - a SERVER span, or a span without a parent, is a segment; any other span an independent subsegment
 *   (`type: "subsegment"`, `parent_id` = its parent span);
 * - the name is the service, not the method: `aws.remote.service`/`peer.service`, then for AWS SDK calls
 *   (`rpc.system = aws-api`) `rpc.service` with namespace `aws` (so DynamoDB, SNS... are nodes of their own),
 *   then `net.peer.name`/`http.host` for other client spans (namespace `remote`), else the span name;
 * - only attributes listed in the span's `aws.xray.annotations` become annotations; the others are metadata;
 * - status ERROR is a fault, unless the HTTP status says 4xx (error; 429 also throttle) or 5xx (fault);
 *   `exception` events become the cause;
 * - the trace id's first 32 bits are the epoch second X-Ray trace ids carry, and must be recent: a trace id
 *   from OpenTelemetry's default (random) id generator is refused, as X-Ray refuses it.
 */
import { randomBytes } from 'node:crypto';
import {
  SPAN_KIND,
  STATUS_CODE,
  type OtlpAttributes,
  type OtlpResourceSpans,
  type OtlpSpan,
  type OtlpValue,
} from './otlp-decode';
import type { AnnotationScalar, SegmentDocument, XRayEntity } from './segment-document';

/** X-Ray keeps traces 30 days; the collector's translator refuses ids older than 28 days or 5 minutes ahead. */
const MAX_TRACE_AGE_SECONDS = 28 * 24 * 3600;
const MAX_CLOCK_SKEW_SECONDS = 5 * 60;
const MAX_NAME_LENGTH = 200;
/** Characters X-Ray allows in a segment name (segment documents page, "name"). */
const INVALID_NAME_CHARACTERS = /[^ 0-9\p{L}\p{N}_.:/%&#=+\\\-@]/gu;

export const ANNOTATIONS_ATTRIBUTE = 'aws.xray.annotations';

export class SpanConversionError extends Error {
  override name = 'SpanConversionError';
}

const str = (value: OtlpValue | undefined): string | undefined =>
  typeof value === 'string' && value !== '' ? value : undefined;
const num = (value: OtlpValue | undefined): number | undefined => (typeof value === 'number' ? value : undefined);

/** `1-<8 hex epoch>-<24 hex>` from a 32-hex OTLP trace id; refuses ids whose epoch X-Ray would not accept. */
export function xrayTraceId(otlpTraceId: string, nowSeconds = Date.now() / 1000): string {
  const epoch = parseInt(otlpTraceId.slice(0, 8), 16);
  const age = nowSeconds - epoch;
  if (age > MAX_TRACE_AGE_SECONDS || age < -MAX_CLOCK_SKEW_SECONDS) {
    throw new SpanConversionError(
      `trace id ${otlpTraceId} does not start with a recent epoch second: use the AWS X-Ray id generator ` +
        '(@opentelemetry/id-generator-aws-xray) or the X-Ray propagator',
    );
  }
  return `1-${otlpTraceId.slice(0, 8)}-${otlpTraceId.slice(8)}`;
}

function segmentName(span: OtlpSpan, resource: OtlpAttributes): { name: string; namespace?: 'aws' | 'remote' } {
  const a = span.attributes;
  const outbound =
    span.kind === SPAN_KIND.client || span.kind === SPAN_KIND.producer || span.kind === SPAN_KIND.consumer;
  const awsSdk = a['rpc.system'] === 'aws-api';
  let name: string | undefined;
  if (span.kind === SPAN_KIND.server) name = str(a['aws.local.service']);
  if (!name && outbound) name = str(a['aws.remote.service'])?.replace(/^AWS\.SDK\.|^AWS::/, '');
  name ??= str(a['peer.service']);
  let namespace: 'aws' | 'remote' | undefined = awsSdk ? 'aws' : undefined;
  if (!name && str(a['aws.service'])) {
    name = str(a['aws.service']);
    namespace ??= 'aws';
  }
  if (!name && span.kind === SPAN_KIND.server) name = str(resource['service.name']);
  name ??= str(a['rpc.service']) ?? str(a['http.host']) ?? str(a['net.peer.name']);
  name ??= span.name;
  name = name.replace(INVALID_NAME_CHARACTERS, '').slice(0, MAX_NAME_LENGTH) || 'span';
  if (!namespace && span.kind === SPAN_KIND.client) namespace = 'remote';
  return namespace ? { name, namespace } : { name };
}

function httpStatus(a: OtlpAttributes): number | undefined {
  return num(a['http.status_code']) ?? num(a['http.response.status_code']);
}

function makeHttp(a: OtlpAttributes): XRayEntity['http'] | undefined {
  const method = str(a['http.method']) ?? str(a['http.request.method']);
  const url = str(a['http.url']) ?? str(a['url.full']);
  const status = httpStatus(a);
  if (!method && !url && status === undefined) return undefined;
  return {
    ...(method || url ? { request: { ...(method ? { method } : {}), ...(url ? { url } : {}) } } : {}),
    ...(status !== undefined ? { response: { status } } : {}),
  };
}

function makeAws(a: OtlpAttributes): Record<string, unknown> | undefined {
  const aws: Record<string, unknown> = {};
  const operation = str(a['aws.operation']) ?? (a['rpc.system'] === 'aws-api' ? str(a['rpc.method']) : undefined);
  if (operation) aws.operation = operation;
  const region = str(a['aws.region']) ?? str(a['cloud.region']);
  if (region) aws.region = region;
  const requestId = str(a['aws.request_id']) ?? str(a['aws.requestId']);
  if (requestId) aws.request_id = requestId;
  const table = str(a['aws.table_name']);
  if (table) aws.table_name = table;
  return Object.keys(aws).length ? aws : undefined;
}

/** Fault, error and throttle flags and the cause, as X-Ray's translation sets them. */
function makeStatus(span: OtlpSpan): Pick<XRayEntity, 'error' | 'fault' | 'throttle' | 'cause'> {
  const exceptions = span.events
    .filter((e) => e.name === 'exception')
    .map((e) => ({
      id: randomBytes(8).toString('hex'),
      type: str(e.attributes['exception.type']) ?? '',
      message: str(e.attributes['exception.message']) ?? '',
      remote: span.kind === SPAN_KIND.client || span.kind === SPAN_KIND.producer,
    }));
  let cause: unknown;
  if (exceptions.length) cause = { exceptions };
  else if (span.status.code === STATUS_CODE.error && span.status.message) {
    cause = { exceptions: [{ id: randomBytes(8).toString('hex'), type: '', message: span.status.message }] };
  }
  const status = httpStatus(span.attributes);
  const flags: Pick<XRayEntity, 'error' | 'fault' | 'throttle'> = {};
  if (status !== undefined && status >= 400 && status <= 499) {
    flags.error = true;
    if (status === 429) flags.throttle = true;
  } else if (status !== undefined && status >= 500 && status <= 599) flags.fault = true;
  else if (span.status.code === STATUS_CODE.error) flags.fault = true;
  return { ...flags, ...(cause ? { cause } : {}) };
}

function annotationValue(value: OtlpValue): AnnotationScalar | undefined {
  return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean' ? value : undefined;
}

/** X-Ray annotation keys: letters, digits, underscores (and dots, which the translator now keeps). */
const annotationKey = (key: string) => key.replace(/[^A-Za-z0-9.]/g, '_');

function makeAttributes(span: OtlpSpan, resource: OtlpAttributes, isSegment: boolean) {
  const listed = span.attributes[ANNOTATIONS_ATTRIBUTE];
  const indexed = new Set(Array.isArray(listed) ? listed.filter((k): k is string => typeof k === 'string') : []);
  const annotations: Record<string, AnnotationScalar> = {};
  const metadata: Record<string, OtlpValue> = {};
  for (const [key, value] of Object.entries(span.attributes)) {
    if (key === ANNOTATIONS_ATTRIBUTE) continue;
    const scalar = annotationValue(value);
    if (indexed.has(key) && scalar !== undefined) annotations[annotationKey(key)] = scalar;
    else if (value !== null) metadata[key] = value;
  }
  if (isSegment)
    for (const [key, value] of Object.entries(resource)) if (value !== null) metadata[`otel.resource.${key}`] = value;
  return {
    ...(Object.keys(annotations).length ? { annotations } : {}),
    ...(Object.keys(metadata).length ? { metadata: { default: metadata } } : {}),
  };
}

const seconds = (unixNano: bigint) => Number(unixNano / 1000n) / 1e6;

/** One segment document per span. */
export function spanToSegment(span: OtlpSpan, resource: OtlpAttributes, nowSeconds?: number): SegmentDocument {
  const isSegment = span.kind === SPAN_KIND.server || span.parentSpanId === undefined;
  const { name, namespace } = segmentName(span, resource);
  const http = makeHttp(span.attributes);
  const aws = makeAws(span.attributes);
  return {
    trace_id: xrayTraceId(span.traceId, nowSeconds),
    id: span.spanId,
    ...(span.parentSpanId ? { parent_id: span.parentSpanId } : {}),
    ...(isSegment ? {} : { type: 'subsegment' as const }),
    name,
    start_time: seconds(span.startTimeUnixNano),
    end_time: seconds(span.endTimeUnixNano),
    ...(namespace && !isSegment ? { namespace } : {}),
    ...(http ? { http } : {}),
    ...(aws ? { aws } : {}),
    ...makeStatus(span),
    ...makeAttributes(span, resource, isSegment),
  };
}

/** Every span of an export request, as segment documents; a span X-Ray would refuse fails the whole request. */
export function otlpToSegments(batches: readonly OtlpResourceSpans[], nowSeconds?: number): SegmentDocument[] {
  return batches.flatMap((batch) => batch.spans.map((span) => spanToSegment(span, batch.resource, nowSeconds)));
}
