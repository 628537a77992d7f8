/**
 * OTLP/JSON `ExportTraceServiceRequest` decoding (https://opentelemetry.io/docs/specs/otlp/#json-protobuf-encoding):
 * ids as hex, 64-bit integers as numbers or decimal strings. Every refusal names where it is in the request.
 * The binary protobuf decoder, and the span checks both share, are in otlp-decode.ts.
 */
import {
  checkSpan,
  OtlpDecodeError,
  SPAN_KIND,
  STATUS_CODE,
  type OtlpAttributes,
  type OtlpResourceSpans,
  type OtlpSpan,
  type OtlpValue,
} from './otlp-decode';

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

function jsonArray(value: unknown, where: string): unknown[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) throw new OtlpDecodeError(`${where} must be an array`);
  return value;
}

function jsonObject(value: unknown, where: string): Json {
  if (!isObject(value)) throw new OtlpDecodeError(`${where} must be an object`);
  return value;
}

function jsonUint64(value: unknown, where: string): bigint {
  if (typeof value === 'number' && Number.isInteger(value) && value >= 0) return BigInt(value);
  if (typeof value === 'string' && /^\d+$/.test(value)) return BigInt(value);
  throw new OtlpDecodeError(`${where} must be an unsigned integer (number or decimal string)`);
}

function jsonHex(value: unknown, digits: number, where: string): string {
  if (typeof value !== 'string' || !new RegExp(`^[0-9a-fA-F]{${digits}}$`).test(value)) {
    throw new OtlpDecodeError(`${where} must be ${digits} hex digits (OTLP/JSON encodes ids as hex)`);
  }
  return value.toLowerCase();
}

function jsonAnyValue(value: unknown, where: string): OtlpValue {
  const v = jsonObject(value, where);
  if ('stringValue' in v) return String(v.stringValue);
  if ('boolValue' in v) return Boolean(v.boolValue);
  if ('intValue' in v) return Number(v.intValue);
  if ('doubleValue' in v) return Number(v.doubleValue);
  if ('arrayValue' in v)
    return jsonArray(jsonObject(v.arrayValue, `${where}.arrayValue`).values, `${where}.arrayValue.values`).map(
      (item, i) => jsonAnyValue(item, `${where}.arrayValue.values[${i}]`),
    );
  if ('kvlistValue' in v)
    return jsonAttributes(jsonObject(v.kvlistValue, `${where}.kvlistValue`).values, `${where}.kvlistValue.values`);
  if ('bytesValue' in v) return String(v.bytesValue);
  return null;
}

function jsonAttributes(value: unknown, where: string): OtlpAttributes {
  const attributes: OtlpAttributes = {};
  jsonArray(value, where).forEach((item, i) => {
    const kv = jsonObject(item, `${where}[${i}]`);
    if (typeof kv.key !== 'string') throw new OtlpDecodeError(`${where}[${i}].key must be a string`);
    attributes[kv.key] = kv.value === undefined ? null : jsonAnyValue(kv.value, `${where}[${i}].value`);
  });
  return attributes;
}

function jsonSpan(value: unknown, where: string): OtlpSpan {
  const s = jsonObject(value, where);
  const status = s.status === undefined ? {} : jsonObject(s.status, `${where}.status`);
  const parent =
    s.parentSpanId === undefined || s.parentSpanId === ''
      ? undefined
      : jsonHex(s.parentSpanId, 16, `${where}.parentSpanId`);
  return checkSpan({
    traceId: jsonHex(s.traceId, 32, `${where}.traceId`),
    spanId: jsonHex(s.spanId, 16, `${where}.spanId`),
    ...(parent ? { parentSpanId: parent } : {}),
    name: typeof s.name === 'string' ? s.name : '',
    kind: typeof s.kind === 'number' ? s.kind : SPAN_KIND.unspecified,
    startTimeUnixNano: jsonUint64(s.startTimeUnixNano, `${where}.startTimeUnixNano`),
    endTimeUnixNano: jsonUint64(s.endTimeUnixNano, `${where}.endTimeUnixNano`),
    attributes: jsonAttributes(s.attributes, `${where}.attributes`),
    events: jsonArray(s.events, `${where}.events`).map((e, i) => {
      const event = jsonObject(e, `${where}.events[${i}]`);
      return {
        name: typeof event.name === 'string' ? event.name : '',
        timeUnixNano: jsonUint64(event.timeUnixNano ?? 0, `${where}.events[${i}].timeUnixNano`),
        attributes: jsonAttributes(event.attributes, `${where}.events[${i}].attributes`),
      };
    }),
    status: {
      code: typeof status.code === 'number' ? status.code : STATUS_CODE.unset,
      message: typeof status.message === 'string' ? status.message : '',
    },
  });
}

/** Decodes an OTLP/JSON `ExportTraceServiceRequest` (already parsed). */
export function decodeOtlpJson(body: unknown): OtlpResourceSpans[] {
  const request = jsonObject(body, 'request');
  return jsonArray(request.resourceSpans, 'resourceSpans').map((item, i) => {
    const rs = jsonObject(item, `resourceSpans[${i}]`);
    const resource = rs.resource === undefined ? {} : jsonObject(rs.resource, `resourceSpans[${i}].resource`);
    return {
      resource: jsonAttributes(resource.attributes, `resourceSpans[${i}].resource.attributes`),
      spans: jsonArray(rs.scopeSpans, `resourceSpans[${i}].scopeSpans`).flatMap((scope, j) =>
        jsonArray(
          jsonObject(scope, `resourceSpans[${i}].scopeSpans[${j}]`).spans,
          `resourceSpans[${i}].scopeSpans[${j}].spans`,
        ).map((span, k) => jsonSpan(span, `resourceSpans[${i}].scopeSpans[${j}].spans[${k}]`)),
      ),
    };
  });
}
