/**
 * Segment documents as the X-Ray daemon receives them over UDP: a JSON header line, a newline, and one
 * segment or independent subsegment document (the X-Ray segment document schema).
 * Only the fields X-Ray itself requires are checked; everything else is kept as sent.
 */
import { z } from 'zod';

export type AnnotationScalar = string | number | boolean;

/** A segment or subsegment; the fields the daemon reads, plus whatever else the SDK sent. */
export interface XRayEntity {
  id: string;
  name: string;
  start_time: number;
  end_time?: number;
  in_progress?: boolean;
  error?: boolean;
  fault?: boolean;
  throttle?: boolean;
  /** Segment: the service type (`AWS::Lambda::Function`, `AWS::ApiGateway::Stage`, ...). */
  origin?: string;
  /** Subsegment: `aws` for AWS SDK calls, `remote` for other downstream calls. */
  namespace?: string;
  parent_id?: string;
  trace_id?: string;
  type?: 'subsegment';
  /** Set on the nodes X-Ray infers from `aws`/`remote` subsegments (BatchGetTraces output only). */
  inferred?: boolean;
  http?: {
    request?: { method?: string; url?: string; user_agent?: string; client_ip?: string; traced?: boolean };
    response?: { status?: number; content_length?: number };
  };
  aws?: Record<string, unknown>;
  annotations?: Record<string, AnnotationScalar>;
  metadata?: Record<string, unknown>;
  cause?: unknown;
  subsegments?: XRayEntity[];
  [other: string]: unknown;
}

/** A top-level document: a segment, or an independent subsegment (`type: "subsegment"`). */
export type SegmentDocument = XRayEntity & { trace_id: string };

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
  .refine((d) => d.end_time !== undefined || d.in_progress === true, 'end_time is required unless in_progress')
  .refine((d) => d.type !== 'subsegment' || d.parent_id !== undefined, 'an independent subsegment needs parent_id');

const headerSchema = z.looseObject({ format: z.literal('json'), version: z.literal(1) });

export type ParsedDatagram = { ok: true; document: SegmentDocument } | { ok: false; reason: string };

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
  const parsed = documentSchema.safeParse(body);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return { ok: false, reason: `${issue.path.join('.') || 'document'}: ${issue.message}` };
  }
  return { ok: true, document: parsed.data as unknown as SegmentDocument };
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
