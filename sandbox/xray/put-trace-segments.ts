/**
 * PutTraceSegments (POST /TraceSegments): segment documents over HTTP, as the real daemon uploads them.
 * https://docs.aws.amazon.com/xray/latest/api/API_PutTraceSegments.html
 *
 * Each entry of TraceSegmentDocuments is a JSON string holding a segment, an independent subsegment, or an
 * array of subsegments. Each document is checked exactly as a UDP datagram's is (checkDocument); one that fails
 * is reported in UnprocessedTraceSegments with its Id, an ErrorCode and a Message in X-Ray's form
 * ("Invalid segment. ErrorCode: MissingId", as seen in aws/aws-xray-daemon#184 and humanmade/aws-xray#29),
 * and the others are stored. A request that is not a list of strings is refused whole (400 naming the field).
 */
import { invalidRequest, type ApiResponse, type Body } from './api-support';
import { checkDocument, type SegmentDocument } from './segment-document';
import type { TraceStore } from './trace-store';

/** "Segment document size: 64 KB" (https://docs.aws.amazon.com/general/latest/gr/xray.html, service quotas). */
export const MAX_SEGMENT_DOCUMENT_BYTES = 64 * 1024;

export interface UnprocessedTraceSegment {
  Id?: string;
  ErrorCode: string;
  Message: string;
}

/** X-Ray's ErrorCode names: Missing<Field> when absent, Invalid<Field> when wrong (MissingId, InvalidName...). */
const FIELD_CODES: Record<string, string> = {
  id: 'Id',
  trace_id: 'TraceId',
  name: 'Name',
  start_time: 'StartTime',
  end_time: 'EndTime',
  parent_id: 'ParentId',
  in_progress: 'InProgress',
  type: 'Type',
  annotations: 'Annotations',
  subsegments: 'Subsegments',
};

function errorCode(field: string, missing: boolean): string {
  const name = FIELD_CODES[field.split('.')[0]];
  if (!name) return 'InvalidSegment';
  return `${missing ? 'Missing' : 'Invalid'}${name}`;
}

/** An Id for the report: the document's id when it has a readable one. */
function idOf(raw: unknown): string | undefined {
  const id = typeof raw === 'object' && raw !== null ? (raw as Body).id : undefined;
  return typeof id === 'string' ? id : undefined;
}

function unprocessed(raw: unknown, code: string, cause: string): UnprocessedTraceSegment {
  const kind =
    typeof raw === 'object' && raw !== null && (raw as Body).type === 'subsegment' ? 'subsegment' : 'segment';
  const id = idOf(raw);
  return {
    ...(id === undefined ? {} : { Id: id }),
    ErrorCode: code,
    Message: `Invalid ${kind}. ErrorCode: ${code}, Cause: ${cause}`,
  };
}

/** The documents one TraceSegmentDocuments entry holds, each checked; refusals carry the report entry. */
function checkEntry(text: string): (SegmentDocument | UnprocessedTraceSegment)[] {
  if (Buffer.byteLength(text) > MAX_SEGMENT_DOCUMENT_BYTES) {
    return [unprocessed(undefined, 'SegmentTooLarge', `document is over ${MAX_SEGMENT_DOCUMENT_BYTES / 1024} KB`)];
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    return [unprocessed(undefined, 'InvalidJson', (err as Error).message)];
  }
  const documents = Array.isArray(parsed) ? parsed : [parsed];
  if (!documents.length) return [unprocessed(undefined, 'MissingId', 'an empty array holds no segment')];
  return documents.map((raw) => {
    const checked = checkDocument(raw);
    return checked.ok ? checked.document : unprocessed(raw, errorCode(checked.field, checked.missing), checked.reason);
  });
}

const isReport = (item: SegmentDocument | UnprocessedTraceSegment): item is UnprocessedTraceSegment =>
  'ErrorCode' in item;

export function putTraceSegments(store: TraceStore, body: Body): ApiResponse {
  const entries = body.TraceSegmentDocuments;
  if (!Array.isArray(entries) || entries.some((entry) => typeof entry !== 'string')) {
    throw invalidRequest('TraceSegmentDocuments is required: a list of JSON strings, one segment document each');
  }
  const report: UnprocessedTraceSegment[] = [];
  for (const item of (entries as string[]).flatMap(checkEntry)) {
    if (isReport(item)) report.push(item);
    else store.put(item);
  }
  return { status: 200, body: { UnprocessedTraceSegments: report } };
}
