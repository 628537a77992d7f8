/**
 * Reads an OTLP trace export request (`ExportTraceServiceRequest`) in either encoding OTLP defines: binary
 * protobuf (what the X-Ray UDP exporter and `http/protobuf` send) and OTLP/JSON (`http/json`). Both become the
 * same plain model, so the conversion to segment documents does not care which arrived. This file holds the
 * model and the protobuf decoder; otlp-json.ts the OTLP/JSON one.
 *
 * Field numbers are those of opentelemetry-proto's trace/v1/trace.proto and common/v1/common.proto
 * (https://github.com/open-telemetry/opentelemetry-proto); OTLP/JSON encodes trace and span ids as hex and
 * 64-bit integers as decimal strings or numbers (https://opentelemetry.io/docs/specs/otlp/#json-protobuf-encoding).
 * Anything malformed throws an OtlpDecodeError naming what is wrong: the daemon never stores half a request.
 * Why one file: the plain model and its protobuf reader mirror the same .proto messages field by field, so a
 * change to one is made beside the other.
 */

export type OtlpValue = string | number | boolean | null | OtlpValue[] | { [key: string]: OtlpValue };
export type OtlpAttributes = Record<string, OtlpValue>;

/** SpanKind as the proto numbers it. */
export const SPAN_KIND = { unspecified: 0, internal: 1, server: 2, client: 3, producer: 4, consumer: 5 } as const;
/** Status.code as the proto numbers it. */
export const STATUS_CODE = { unset: 0, ok: 1, error: 2 } as const;

export interface OtlpEvent {
  name: string;
  timeUnixNano: bigint;
  attributes: OtlpAttributes;
}

export interface OtlpSpan {
  /** 32 lower-case hex digits. */
  traceId: string;
  /** 16 lower-case hex digits. */
  spanId: string;
  /** Absent for a root span. */
  parentSpanId?: string;
  name: string;
  kind: number;
  startTimeUnixNano: bigint;
  endTimeUnixNano: bigint;
  attributes: OtlpAttributes;
  events: OtlpEvent[];
  status: { code: number; message: string };
}

export interface OtlpResourceSpans {
  resource: OtlpAttributes;
  spans: OtlpSpan[];
}

export class OtlpDecodeError extends Error {
  override name = 'OtlpDecodeError';
}

// ---------------------------------------------------------------- protobuf

const WIRE = { varint: 0, fixed64: 1, lengthDelimited: 2, fixed32: 5 } as const;

/** A minimal protobuf reader: just the wire types OTLP uses. */
class ProtoReader {
  private offset = 0;
  constructor(
    private readonly bytes: Uint8Array,
    private readonly what: string,
  ) {}

  get done(): boolean {
    return this.offset >= this.bytes.length;
  }

  private fail(message: string): never {
    throw new OtlpDecodeError(`${this.what}: ${message} at byte ${this.offset}`);
  }

  varint(): bigint {
    let result = 0n;
    for (let shift = 0n; shift < 70n; shift += 7n) {
      if (this.offset >= this.bytes.length) this.fail('truncated varint');
      const byte = this.bytes[this.offset++];
      result |= BigInt(byte & 0x7f) << shift;
      if ((byte & 0x80) === 0) return result & 0xffffffffffffffffn;
    }
    this.fail('varint longer than 10 bytes');
  }

  tag(): { field: number; wire: number } {
    const key = Number(this.varint());
    const field = key >>> 3;
    if (field === 0) this.fail('field number 0');
    return { field, wire: key & 7 };
  }

  fixed64(): bigint {
    const end = this.take(8);
    return new DataView(this.bytes.buffer, this.bytes.byteOffset + end - 8, 8).getBigUint64(0, true);
  }

  double(): number {
    const end = this.take(8);
    return new DataView(this.bytes.buffer, this.bytes.byteOffset + end - 8, 8).getFloat64(0, true);
  }

  bytesField(): Uint8Array {
    const length = Number(this.varint());
    const end = this.take(length);
    return this.bytes.subarray(end - length, end);
  }

  string(): string {
    return new TextDecoder('utf-8', { fatal: true }).decode(this.bytesField());
  }

  skip(wire: number): void {
    if (wire === WIRE.varint) this.varint();
    else if (wire === WIRE.fixed64) this.take(8);
    else if (wire === WIRE.lengthDelimited) this.bytesField();
    else if (wire === WIRE.fixed32) this.take(4);
    else this.fail(`unsupported wire type ${wire}`);
  }

  /** Checks a field has the wire type its proto declares (a mismatch means the bytes are not this message). */
  expect(wire: number, expected: number, field: string): void {
    if (wire !== expected) this.fail(`${field} has wire type ${wire}, expected ${expected}`);
  }

  private take(length: number): number {
    if (length < 0 || this.offset + length > this.bytes.length) this.fail('truncated field');
    this.offset += length;
    return this.offset;
  }
}

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');

/** Reads every field of a message, calling `onField` for each; unknown fields are skipped, as protobuf allows. */
function readMessage(
  bytes: Uint8Array,
  what: string,
  onField: (reader: ProtoReader, field: number, wire: number) => boolean,
): void {
  const reader = new ProtoReader(bytes, what);
  while (!reader.done) {
    const { field, wire } = reader.tag();
    if (!onField(reader, field, wire)) reader.skip(wire);
  }
}

function decodeAnyValue(bytes: Uint8Array): OtlpValue {
  let value: OtlpValue = null;
  readMessage(bytes, 'AnyValue', (r, field, wire) => {
    switch (field) {
      case 1:
        r.expect(wire, WIRE.lengthDelimited, 'string_value');
        value = r.string();
        return true;
      case 2:
        r.expect(wire, WIRE.varint, 'bool_value');
        value = r.varint() !== 0n;
        return true;
      case 3:
        r.expect(wire, WIRE.varint, 'int_value');
        value = Number(BigInt.asIntN(64, r.varint()));
        return true;
      case 4:
        r.expect(wire, WIRE.fixed64, 'double_value');
        value = r.double();
        return true;
      case 5: {
        r.expect(wire, WIRE.lengthDelimited, 'array_value');
        const values: OtlpValue[] = [];
        readMessage(r.bytesField(), 'ArrayValue', (a, f, w) => {
          if (f !== 1) return false;
          a.expect(w, WIRE.lengthDelimited, 'values');
          values.push(decodeAnyValue(a.bytesField()));
          return true;
        });
        value = values;
        return true;
      }
      case 6: {
        r.expect(wire, WIRE.lengthDelimited, 'kvlist_value');
        const entries: OtlpAttributes = {};
        readMessage(r.bytesField(), 'KeyValueList', (l, f, w) => {
          if (f !== 1) return false;
          l.expect(w, WIRE.lengthDelimited, 'values');
          const [key, item] = decodeKeyValue(l.bytesField());
          entries[key] = item;
          return true;
        });
        value = entries;
        return true;
      }
      // bytes_value: X-Ray has no bytes type; keep it readable as base64.
      case 7:
        r.expect(wire, WIRE.lengthDelimited, 'bytes_value');
        value = Buffer.from(r.bytesField()).toString('base64');
        return true;
      default:
        return false;
    }
  });
  return value;
}

function decodeKeyValue(bytes: Uint8Array): [string, OtlpValue] {
  let key = '';
  let value: OtlpValue = null;
  readMessage(bytes, 'KeyValue', (r, field, wire) => {
    if (field === 1) {
      r.expect(wire, WIRE.lengthDelimited, 'key');
      key = r.string();
      return true;
    }
    if (field === 2) {
      r.expect(wire, WIRE.lengthDelimited, 'value');
      value = decodeAnyValue(r.bytesField());
      return true;
    }
    return false;
  });
  return [key, value];
}

function addAttribute(target: OtlpAttributes, r: ProtoReader, wire: number): true {
  r.expect(wire, WIRE.lengthDelimited, 'attributes');
  const [key, value] = decodeKeyValue(r.bytesField());
  target[key] = value;
  return true;
}

function decodeEvent(bytes: Uint8Array): OtlpEvent {
  const event: OtlpEvent = { name: '', timeUnixNano: 0n, attributes: {} };
  readMessage(bytes, 'Span.Event', (r, field, wire) => {
    if (field === 1) {
      r.expect(wire, WIRE.fixed64, 'time_unix_nano');
      event.timeUnixNano = r.fixed64();
      return true;
    }
    if (field === 2) {
      r.expect(wire, WIRE.lengthDelimited, 'name');
      event.name = r.string();
      return true;
    }
    if (field === 3) return addAttribute(event.attributes, r, wire);
    return false;
  });
  return event;
}

function decodeStatus(bytes: Uint8Array): OtlpSpan['status'] {
  const status = { code: STATUS_CODE.unset as number, message: '' };
  readMessage(bytes, 'Status', (r, field, wire) => {
    if (field === 2) {
      r.expect(wire, WIRE.lengthDelimited, 'message');
      status.message = r.string();
      return true;
    }
    if (field === 3) {
      r.expect(wire, WIRE.varint, 'code');
      status.code = Number(r.varint());
      return true;
    }
    return false;
  });
  return status;
}

function decodeSpan(bytes: Uint8Array): OtlpSpan {
  const span: OtlpSpan = {
    traceId: '',
    spanId: '',
    name: '',
    kind: SPAN_KIND.unspecified,
    startTimeUnixNano: 0n,
    endTimeUnixNano: 0n,
    attributes: {},
    events: [],
    status: { code: STATUS_CODE.unset, message: '' },
  };
  readMessage(bytes, 'Span', (r, field, wire) => {
    switch (field) {
      case 1:
        r.expect(wire, WIRE.lengthDelimited, 'trace_id');
        span.traceId = hex(r.bytesField());
        return true;
      case 2:
        r.expect(wire, WIRE.lengthDelimited, 'span_id');
        span.spanId = hex(r.bytesField());
        return true;
      case 4: {
        r.expect(wire, WIRE.lengthDelimited, 'parent_span_id');
        const parent = hex(r.bytesField());
        if (parent) span.parentSpanId = parent;
        return true;
      }
      case 5:
        r.expect(wire, WIRE.lengthDelimited, 'name');
        span.name = r.string();
        return true;
      case 6:
        r.expect(wire, WIRE.varint, 'kind');
        span.kind = Number(r.varint());
        return true;
      case 7:
        r.expect(wire, WIRE.fixed64, 'start_time_unix_nano');
        span.startTimeUnixNano = r.fixed64();
        return true;
      case 8:
        r.expect(wire, WIRE.fixed64, 'end_time_unix_nano');
        span.endTimeUnixNano = r.fixed64();
        return true;
      case 9:
        return addAttribute(span.attributes, r, wire);
      case 11:
        r.expect(wire, WIRE.lengthDelimited, 'events');
        span.events.push(decodeEvent(r.bytesField()));
        return true;
      case 15:
        r.expect(wire, WIRE.lengthDelimited, 'status');
        span.status = decodeStatus(r.bytesField());
        return true;
      default:
        return false;
    }
  });
  return checkSpan(span);
}

function decodeResourceSpans(bytes: Uint8Array): OtlpResourceSpans {
  const result: OtlpResourceSpans = { resource: {}, spans: [] };
  readMessage(bytes, 'ResourceSpans', (r, field, wire) => {
    if (field === 1) {
      r.expect(wire, WIRE.lengthDelimited, 'resource');
      readMessage(r.bytesField(), 'Resource', (rr, f, w) => (f === 1 ? addAttribute(result.resource, rr, w) : false));
      return true;
    }
    if (field === 2) {
      r.expect(wire, WIRE.lengthDelimited, 'scope_spans');
      readMessage(r.bytesField(), 'ScopeSpans', (s, f, w) => {
        if (f !== 2) return false;
        s.expect(w, WIRE.lengthDelimited, 'spans');
        result.spans.push(decodeSpan(s.bytesField()));
        return true;
      });
      return true;
    }
    return false;
  });
  return result;
}

/** Decodes a binary `ExportTraceServiceRequest`. */
export function decodeOtlpProtobuf(bytes: Uint8Array): OtlpResourceSpans[] {
  const batches: OtlpResourceSpans[] = [];
  readMessage(bytes, 'ExportTraceServiceRequest', (r, field, wire) => {
    if (field !== 1) return false;
    r.expect(wire, WIRE.lengthDelimited, 'resource_spans');
    batches.push(decodeResourceSpans(r.bytesField()));
    return true;
  });
  return batches;
}

/** The fields every span must have, whichever encoding it came in (otlp-json.ts checks its spans with it too). */
export function checkSpan(span: OtlpSpan): OtlpSpan {
  const name = span.name || span.spanId || 'span';
  if (!/^[0-9a-f]{32}$/.test(span.traceId) || /^0+$/.test(span.traceId))
    throw new OtlpDecodeError(`span ${name}: trace_id must be 16 non-zero bytes`);
  if (!/^[0-9a-f]{16}$/.test(span.spanId) || /^0+$/.test(span.spanId))
    throw new OtlpDecodeError(`span ${name}: span_id must be 8 non-zero bytes`);
  if (span.parentSpanId !== undefined && !/^[0-9a-f]{16}$/.test(span.parentSpanId))
    throw new OtlpDecodeError(`span ${name}: parent_span_id must be 8 bytes`);
  if (span.startTimeUnixNano === 0n) throw new OtlpDecodeError(`span ${name}: start_time_unix_nano is required`);
  if (span.endTimeUnixNano < span.startTimeUnixNano)
    throw new OtlpDecodeError(`span ${name}: end_time_unix_nano is before start_time_unix_nano`);
  return span;
}
