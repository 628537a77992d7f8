/**
 * A trace's segment documents (BatchGetTraces) as the timeline shows them: the entry segment first, each
 * segment's subsegments nested under it, and each downstream segment (a traced callee, or a node BatchGetTraces
 * inferred) right after the subsegment that called it, one level deeper. Also what the detail tabs show, and the
 * `QuestionId` that links a question's traces. Pure: no DOM.
 */
import { filterString } from './format';

export interface StackFrame {
  path?: string;
  line?: number;
  label?: string;
}

export interface ExceptionJson {
  id?: string;
  type?: string;
  message?: string;
  remote?: boolean;
  stack?: StackFrame[];
  truncated?: number;
  cause?: string;
}

export interface Entity {
  id: string;
  name: string;
  start_time: number;
  end_time?: number;
  in_progress?: boolean;
  parent_id?: string;
  origin?: string;
  inferred?: boolean;
  namespace?: string;
  error?: boolean;
  fault?: boolean;
  throttle?: boolean;
  http?: { request?: Record<string, unknown>; response?: { status?: number; content_length?: number } };
  aws?: Record<string, unknown>;
  sql?: Record<string, unknown>;
  annotations?: Record<string, string | number | boolean>;
  metadata?: Record<string, Record<string, unknown>>;
  cause?: string | { working_directory?: string; paths?: string[]; exceptions?: ExceptionJson[] };
  subsegments?: Entity[];
}

export type Status = 'ok' | 'error' | 'fault' | 'throttle';

export interface TimelineRow {
  readonly entity: Entity;
  /** The segment the entity belongs to (itself for a segment). */
  readonly segment: Entity;
  readonly isSegment: boolean;
  readonly depth: number;
  readonly status: Status;
  /** Seconds from the trace's start. */
  readonly offset: number;
  /** Undefined while in progress. */
  readonly duration?: number;
}

export const statusOf = (e: Entity): Status => (e.fault ? 'fault' : e.throttle ? 'throttle' : e.error ? 'error' : 'ok');

/** The segment that received the request: not inferred, and with no parent in this trace; the earliest such. */
export function entrySegment(segments: readonly Entity[]): Entity | undefined {
  const ids = new Set<string>();
  for (const segment of segments) walk(segment, (e) => ids.add(e.id));
  const roots = segments.filter((s) => !s.inferred && !(s.parent_id && ids.has(s.parent_id)));
  const pool = roots.length ? roots : segments;
  return [...pool].sort((a, b) => a.start_time - b.start_time)[0];
}

export function walk(entity: Entity, visit: (e: Entity) => void): void {
  visit(entity);
  for (const sub of entity.subsegments ?? []) walk(sub, visit);
}

export function traceBounds(segments: readonly Entity[]): { start: number; end: number } {
  let start = Infinity;
  let end = -Infinity;
  for (const segment of segments) {
    walk(segment, (e) => {
      start = Math.min(start, e.start_time);
      end = Math.max(end, e.end_time ?? e.start_time);
    });
  }
  return Number.isFinite(start) ? { start, end } : { start: 0, end: 0 };
}

/** Every row of the timeline, in display order. */
export function timelineRows(segments: readonly Entity[]): TimelineRow[] {
  const { start } = traceBounds(segments);
  const entry = entrySegment(segments);
  // Which segments hang below which entity: a segment's parent_id is an entity of another segment.
  const ids = new Set<string>();
  for (const segment of segments) walk(segment, (e) => ids.add(e.id));
  const children = new Map<string, Entity[]>();
  const tops: Entity[] = [];
  for (const segment of segments) {
    if (segment !== entry && segment.parent_id && ids.has(segment.parent_id)) {
      children.set(segment.parent_id, [...(children.get(segment.parent_id) ?? []), segment]);
    } else {
      tops.push(segment);
    }
  }
  const byStart = (a: Entity, b: Entity) => a.start_time - b.start_time;
  tops.sort((a, b) => (a === entry ? -1 : b === entry ? 1 : byStart(a, b)));

  const rows: TimelineRow[] = [];
  const placed = new Set<Entity>();
  const addEntity = (entity: Entity, segment: Entity, depth: number) => {
    rows.push({
      entity,
      segment,
      isSegment: entity === segment,
      depth,
      status: statusOf(entity),
      offset: entity.start_time - start,
      duration: entity.in_progress || entity.end_time === undefined ? undefined : entity.end_time - entity.start_time,
    });
    for (const sub of [...(entity.subsegments ?? [])].sort(byStart)) addEntity(sub, segment, depth + 1);
    for (const downstream of [...(children.get(entity.id) ?? [])].sort(byStart)) addSegment(downstream, depth + 1);
  };
  const addSegment = (segment: Entity, depth: number) => {
    if (placed.has(segment)) return; // a parent_id loop cannot repeat a segment
    placed.add(segment);
    addEntity(segment, segment, depth);
  };
  for (const top of tops) addSegment(top, 0);
  // Segments only reachable through a parent_id cycle are still shown.
  for (const segment of [...segments].sort(byStart)) addSegment(segment, 0);
  return rows;
}

/** The exceptions recorded on an entity (a `cause` that is only an exception id refers to another entity). */
export function exceptionsOf(entity: Entity): ExceptionJson[] {
  const cause = entity.cause;
  if (!cause || typeof cause !== 'object') return [];
  return cause.exceptions ?? [];
}

export function causeText(entity: Entity): string {
  return exceptionsOf(entity)
    .map((x) => `${x.type ? `${x.type}: ` : ''}${x.message ?? ''}`)
    .join('; ');
}

/** The annotation that ties a question's post-question trace to its stream trace. */
export const QUESTION_ID = 'QuestionId';

/** The distinct string values of annotation `key` anywhere in the trace. */
export function annotationValues(segments: readonly Entity[], key = QUESTION_ID): string[] {
  const values = new Set<string>();
  for (const segment of segments) {
    walk(segment, (e) => {
      const value = e.annotations?.[key];
      if (value !== undefined) values.add(String(value));
    });
  }
  return [...values].sort();
}

/** The filter finding every trace annotated with one of `values`; undefined when there is none. */
export function relatedTracesFilter(values: readonly string[], key = QUESTION_ID): string | undefined {
  if (!values.length) return undefined;
  return values.map((v) => `annotation.${key} = ${filterString(v)}`).join(' OR ');
}
