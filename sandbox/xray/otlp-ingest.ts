/**
 * OTLP spans into the trace store, as segment documents.
 *
 * Over UDP (what the X-Ray daemon in Lambda accepts from OpenTelemetry, and what ADOT's UDP span exporter
 * sends): the daemon's usual header line `{"format":"json","version":1}\n`, then `T1S` (sampled spans) or
 * `T1U` (unsampled spans, which X-Ray uses for metrics only and never stores as traces), then the base64 of a
 * binary OTLP `ExportTraceServiceRequest`. That framing is ADOT's (`PROTOCOL_HEADER`,
 * `FORMAT_OTEL_SAMPLED_TRACES_BINARY_PREFIX`, `FORMAT_OTEL_UNSAMPLED_TRACES_BINARY_PREFIX` in
 * aws-observability/aws-otel-js-instrumentation `src/otlp-udp-exporter.ts` and aws-otel-python-instrumentation
 * `exporter/otlp/aws/udp`).
 *
 * Every converted document is checked exactly as a segment document sent over UDP is; if one fails, none of
 * the request is stored (nothing half-written).
 */
import { decodeOtlpProtobuf, OtlpDecodeError, type OtlpResourceSpans } from './otlp-decode';
import { otlpToSegments, SpanConversionError } from './otlp-to-segments';
import { parseDatagram, type SegmentDocument } from './segment-document';
import type { TraceStore } from './trace-store';

export const UDP_HEADER = '{"format":"json","version":1}\n';
export const SAMPLED_SPANS_PREFIX = 'T1S';
export const UNSAMPLED_SPANS_PREFIX = 'T1U';

/** Whether a UDP datagram carries OTLP spans rather than a segment document. */
export function isOtlpDatagram(datagram: Buffer): boolean {
  const body = datagram.subarray(UDP_HEADER.length, UDP_HEADER.length + 3).toString('latin1');
  return (
    (body === SAMPLED_SPANS_PREFIX || body === UNSAMPLED_SPANS_PREFIX) &&
    datagram.subarray(0, UDP_HEADER.length).toString('latin1') === UDP_HEADER
  );
}

export type IngestResult = { ok: true; stored: number } | { ok: false; reason: string };

/** Converts decoded OTLP batches and checks each document; nothing is stored when any fails. */
export function toCheckedSegments(batches: readonly OtlpResourceSpans[]): SegmentDocument[] {
  return otlpToSegments(batches).map((document) => {
    const checked = parseDatagram(UDP_HEADER + JSON.stringify(document));
    if (!checked.ok) throw new SpanConversionError(`span ${document.id} (${document.name}): ${checked.reason}`);
    return checked.document;
  });
}

/** Stores every span of the batches, or none (the reason is returned, not thrown). */
export function ingestOtlp(store: TraceStore, decode: () => OtlpResourceSpans[]): IngestResult {
  let documents: SegmentDocument[];
  try {
    documents = toCheckedSegments(decode());
  } catch (err) {
    if (err instanceof OtlpDecodeError || err instanceof SpanConversionError) return { ok: false, reason: err.message };
    throw err;
  }
  for (const document of documents) store.put(document);
  return { ok: true, stored: documents.length };
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** One `T1S`/`T1U` datagram; malformed ones are counted by the store like malformed segment documents. */
export function ingestOtlpDatagram(store: TraceStore, datagram: Buffer): IngestResult {
  const text = datagram.toString('latin1');
  const prefix = text.slice(UDP_HEADER.length, UDP_HEADER.length + 3);
  if (prefix === UNSAMPLED_SPANS_PREFIX) return { ok: true, stored: 0 };
  const payload = text.slice(UDP_HEADER.length + 3);
  const result = BASE64.test(payload)
    ? ingestOtlp(store, () => decodeOtlpProtobuf(Buffer.from(payload, 'base64')))
    : ({ ok: false, reason: `${SAMPLED_SPANS_PREFIX} payload is not base64` } as const);
  if (!result.ok) store.countMalformed(`OTLP: ${result.reason}`);
  return result;
}

/** The daemon's UDP entry point: OTLP spans or a segment document. */
export function ingestUdpDatagram(store: TraceStore, datagram: Buffer): void {
  if (isOtlpDatagram(datagram)) ingestOtlpDatagram(store, datagram);
  else store.ingestDatagram(datagram);
}
