/**
 * What an X-Ray segment document is, as types only: the sandbox's X-Ray daemon, its OTLP converter and trace
 * store, and tools/check-traces all read and write these, so they share one definition. Types only (no code),
 * so the checker gets no sandbox runtime with them. The schema is AWS's:
 * https://docs.aws.amazon.com/xray/latest/devguide/xray-api-segmentdocuments.html
 */

/** An annotation value: X-Ray indexes strings, numbers and booleans only. */
export type AnnotationScalar = string | number | boolean;

/** One exception of a `cause` (the SDKs record the first one with its stack). */
export interface SegmentException {
  id?: string;
  message?: string;
  type?: string;
  remote?: boolean;
  truncated?: number;
  skipped?: number;
  cause?: string;
  stack?: { path?: string; line?: number; label?: string }[];
}

/** An error, fault or throttle's cause; a string is the id of an exception recorded on another entity. */
export type SegmentCause =
  | string
  | { working_directory?: string; paths?: string[]; exceptions?: SegmentException[]; message?: string };

export interface SegmentHttp {
  request?: {
    method?: string;
    url?: string;
    user_agent?: string;
    client_ip?: string;
    x_forwarded_for?: boolean;
    traced?: boolean;
  };
  response?: { status?: number; content_length?: number };
}

/** A segment or a subsegment: the fields X-Ray reads, plus whatever else the SDK sent. */
export interface XRayEntity {
  /** 16 hex digits, unique in the trace. */
  id: string;
  name: string;
  /** Epoch seconds (fractional). */
  start_time: number;
  end_time?: number;
  /** Sent instead of end_time while the work is not done; a later copy with the same id replaces it. */
  in_progress?: boolean;
  error?: boolean;
  fault?: boolean;
  throttle?: boolean;
  /** Segment: the service type (`AWS::Lambda::Function`, `AWS::ApiGateway::Stage`, ...). */
  origin?: string;
  /** Subsegment: `aws` for AWS SDK calls, `remote` for other downstream calls. */
  namespace?: string;
  /** The calling entity (another segment's subsegment, or the parent of an independent subsegment). */
  parent_id?: string;
  /** `1-<8 hex epoch seconds>-<24 hex>`; required on top-level documents, absent on nested subsegments. */
  trace_id?: string;
  /** Set on independent subsegments (sent as documents of their own). */
  type?: 'subsegment';
  /** Set on the nodes X-Ray infers from `aws`/`remote` subsegments (BatchGetTraces output only). */
  inferred?: boolean;
  http?: SegmentHttp;
  aws?: Record<string, unknown>;
  annotations?: Record<string, AnnotationScalar>;
  metadata?: Record<string, unknown>;
  cause?: SegmentCause;
  subsegments?: XRayEntity[];
  [other: string]: unknown;
}

/** A top-level document: a segment, or an independent subsegment (`type: "subsegment"`). */
export type SegmentDocument = XRayEntity & { trace_id: string };
