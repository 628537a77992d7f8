/**
 * Segment documents as the X-Ray daemon receives them over UDP: a JSON header line, a newline, and one
 * segment or independent subsegment document (the X-Ray segment document schema).
 * Only the fields X-Ray itself requires are checked; everything else is kept as sent.
 */
import { z } from 'zod';
import type { SegmentDocument, XRayEntity } from '../../system/segment-document';

// The document types live in system/ so tools/check-traces shares them without importing sandbox code.
export type { AnnotationScalar, SegmentCause, SegmentDocument, XRayEntity } from '../../system/segment-document';

const TRACE_ID = /^1-[0-9a-f]{8}-[0-9a-f]{24}$/;
const ENTITY_ID = /^[0-9a-f]{16}$/;

const documentSchema = z
  .looseObject({
    trace_id: z.string().regex(TRACE_ID, 'trace_id must look like 1-<8 hex>-<24 hex>'),
    id: z.string().regex(ENTITY_ID, 'id must be 16 hex digits'),
    name: z.string().min(1).max(200),
    start_time: z.number().positive(),
    end_time: z.number().positive().optional(),
    in_progress: z.boolean().optional(),
    parent_id: z.string().regex(ENTITY_ID, 'parent_id must be 16 hex digits').optional(),
    type: z.literal('subsegment').optional(),
    annotations: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).optional(),
    subsegments: z.array(z.looseObject({ id: z.string(), name: z.string() })).optional(),
  })
  .refine((d) => d.end_time !== undefined || d.in_progress === true, {
    message: 'required unless in_progress',
    path: ['end_time'],
  })
  .refine((d) => d.type !== 'subsegment' || d.parent_id !== undefined, {
    message: 'required on an independent subsegment',
    path: ['parent_id'],
  });

const headerSchema = z.looseObject({ format: z.literal('json'), version: z.literal(1) });

export type ParsedDatagram = { ok: true; document: SegmentDocument } | { ok: false; reason: string };

/** Why a document was refused: the field at fault ('' for the document itself) and the reason. */
export interface DocumentProblem {
  field: string;
  /** The field was absent (rather than present and wrong). */
  missing: boolean;
  reason: string;
}

export type CheckedDocument = { ok: true; document: SegmentDocument } | ({ ok: false } & DocumentProblem);

/** Checks one parsed segment or independent subsegment document as X-Ray does; never throws. */
export function checkDocument(body: unknown): CheckedDocument {
  const parsed = documentSchema.safeParse(body);
  if (parsed.success) return { ok: true, document: parsed.data as unknown as SegmentDocument };
  const issue = parsed.error.issues[0];
  const field = issue.path.join('.');
  const missing =
    issue.path.length === 1 &&
    typeof body === 'object' &&
    body !== null &&
    (body as Record<string, unknown>)[field] === undefined;
  return { ok: false, field, missing, reason: `${field || 'document'}: ${issue.message}` };
}

/** Parses one UDP datagram (`{"format":"json","version":1}\n{document}`); never throws. */
export function parseDatagram(datagram: Buffer | string): ParsedDatagram {
  const text = typeof datagram === 'string' ? datagram : datagram.toString('utf8');
  const newline = text.indexOf('\n');
  if (newline < 0) return { ok: false, reason: 'no header line' };
  let header: unknown;
  let body: unknown;
  try {
    header = JSON.parse(text.slice(0, newline));
    body = JSON.parse(text.slice(newline + 1));
  } catch (err) {
    return { ok: false, reason: `invalid JSON: ${(err as Error).message}` };
  }
  if (!headerSchema.safeParse(header).success)
    return { ok: false, reason: 'header is not {"format":"json","version":1}' };
  const checked = checkDocument(body);
  return checked.ok ? checked : { ok: false, reason: checked.reason };
}

/** Epoch seconds encoded in a trace id (`1-<hex seconds>-...`). */
export function traceIdEpochSeconds(traceId: string): number {
  return parseInt(traceId.slice(2, 10), 16);
}

/** Calls `visit` on the entity and every nested subsegment, depth first. */
export function walkEntities(entity: XRayEntity, visit: (e: XRayEntity, parent: XRayEntity | undefined) => void) {
  const stack: [XRayEntity, XRayEntity | undefined][] = [[entity, undefined]];
  while (stack.length) {
    const [current, parent] = stack.pop()!;
    visit(current, parent);
    for (const child of current.subsegments ?? []) stack.push([child, current]);
  }
}

/** Seconds between start and end; undefined while in progress. */
export function entityDuration(entity: XRayEntity): number | undefined {
  return entity.end_time === undefined || entity.in_progress
    ? undefined
    : Math.max(0, entity.end_time - entity.start_time);
}

/** HTTP status family as X-Ray counts it: throttle (429) is an error too. */
export function entityStatus(entity: XRayEntity): 'ok' | 'error' | 'fault' {
  if (entity.fault) return 'fault';
  if (entity.error || entity.throttle) return 'error';
  return 'ok';
}
