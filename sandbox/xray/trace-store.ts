/**
 * In-memory trace storage: what the X-Ray service keeps after the daemon forwards segment documents.
 * Documents are kept as received (a repeated id replaces the earlier one, as an in-progress segment is
 * later sent completed); a trace is assembled on read, grafting independent subsegments into their parents.
 */
import {
  parseDatagram,
  traceIdEpochSeconds,
  walkEntities,
  type SegmentDocument,
  type XRayEntity,
} from './segment-document';

/** Oldest traces are dropped beyond this, so a long-running sandbox does not grow without bound. */
export const MAX_TRACES = 20000;

/** A trace as the query API sees it. */
export interface AssembledTrace {
  readonly id: string;
  /** Segments (not subsegments), each with independent subsegments nested where they belong. */
  readonly segments: readonly XRayEntity[];
  /** Independent subsegments whose parent has not arrived (yet). */
  readonly orphans: readonly SegmentDocument[];
  /** An in-progress segment/subsegment, or an orphan, is present. */
  readonly partial: boolean;
  /** Earliest start and latest end over the segments (epoch seconds). */
  readonly startTime: number;
  readonly endTime: number;
  /** Number of documents received for this trace, repeats included (X-Ray's summary `Revision`). */
  readonly revision: number;
}

interface StoredTrace {
  id: string;
  /** Segment and independent subsegment documents by id, in arrival order. */
  documents: Map<string, SegmentDocument>;
  revision: number;
  assembled?: AssembledTrace;
}

export class TraceStore {
  private readonly traces = new Map<string, StoredTrace>();
  private malformedCount = 0;
  private lastMalformedReason: string | undefined;
  private receivedCount = 0;
  private saveDocument?: (document: SegmentDocument) => void;

  /** Handles one UDP datagram. Malformed ones are counted and dropped. Returns whether it was stored. */
  ingestDatagram(datagram: Buffer | string): boolean {
    const parsed = parseDatagram(datagram);
    if (!parsed.ok) {
      this.countMalformed(parsed.reason);
      return false;
    }
    this.put(parsed.document);
    return true;
  }

  /** Counts a datagram or request that was dropped as malformed (also OTLP spans that X-Ray would refuse). */
  countMalformed(reason: string): void {
    this.malformedCount += 1;
    this.lastMalformedReason = reason;
  }

  /** Stores a document, replacing an earlier one with the same id (in progress -> completed). */
  put(document: SegmentDocument): void {
    this.receivedCount += 1;
    let trace = this.traces.get(document.trace_id);
    if (!trace) {
      trace = { id: document.trace_id, documents: new Map(), revision: 0 };
      this.traces.set(document.trace_id, trace);
      if (this.traces.size > MAX_TRACES) this.traces.delete(this.traces.keys().next().value!);
    }
    trace.documents.set(document.id, document);
    trace.revision += 1;
    trace.assembled = undefined;
    this.saveDocument?.(document);
  }

  /**
   * Stores documents kept from an earlier run (`npm start -- --persist`), in their order, under the same limit
   * (MAX_TRACES): they count as neither received now nor to be saved again.
   */
  load(documents: Iterable<SegmentDocument>): void {
    const { receivedCount, saveDocument } = this;
    this.saveDocument = undefined;
    try {
      for (const document of documents) this.put(document);
    } finally {
      this.receivedCount = receivedCount;
      this.saveDocument = saveDocument;
    }
  }

  /** Hands every document stored from now on to `save` (the trace journal appends it to its file). */
  save(save: ((document: SegmentDocument) => void) | undefined): void {
    this.saveDocument = save;
  }

  /** Counters for tests and the console. */
  stats(): { received: number; malformed: number; lastMalformedReason?: string; traces: number } {
    return {
      received: this.receivedCount,
      malformed: this.malformedCount,
      lastMalformedReason: this.lastMalformedReason,
      traces: this.traces.size,
    };
  }

  /** Every stored document as received (segments and independent subsegments). */
  segments(): SegmentDocument[] {
    return [...this.traces.values()].flatMap((t) => [...t.documents.values()]);
  }

  traceIds(): string[] {
    return [...this.traces.keys()];
  }

  trace(id: string): AssembledTrace | undefined {
    const stored = this.traces.get(id);
    if (!stored) return undefined;
    stored.assembled ??= assemble(stored);
    return stored.assembled;
  }

  allTraces(): AssembledTrace[] {
    return this.traceIds().map((id) => this.trace(id)!);
  }

  clear(): void {
    this.traces.clear();
    this.malformedCount = 0;
    this.lastMalformedReason = undefined;
    this.receivedCount = 0;
  }
}

function assemble(stored: StoredTrace): AssembledTrace {
  // Work on copies: the stored documents stay as received, so a later replacement re-assembles cleanly.
  const documents = [...stored.documents.values()].map((d) => structuredClone(d));
  const segments = documents.filter((d) => d.type !== 'subsegment');
  let pending = documents.filter((d) => d.type === 'subsegment');

  const byId = new Map<string, XRayEntity>();
  for (const segment of segments) walkEntities(segment, (e) => byId.set(e.id, e));

  // Graft until nothing moves: a subsegment's parent may itself be an independent subsegment.
  let moved = true;
  while (moved && pending.length) {
    moved = false;
    const still: SegmentDocument[] = [];
    for (const sub of pending) {
      const parent = byId.get(sub.parent_id!);
      if (!parent) {
        still.push(sub);
        continue;
      }
      const nested = withoutTopLevelFields(sub);
      if (!byId.has(nested.id)) {
        parent.subsegments = [...(parent.subsegments ?? []), nested];
        walkEntities(nested, (e) => byId.set(e.id, e));
      }
      moved = true;
    }
    pending = still;
  }

  let partial = pending.length > 0;
  for (const entity of byId.values()) if (entity.in_progress) partial = true;

  const starts = segments.map((s) => s.start_time);
  const ends = segments.map((s) => s.end_time ?? s.start_time);
  const fallback = traceIdEpochSeconds(stored.id);
  return {
    id: stored.id,
    segments,
    orphans: pending,
    partial,
    startTime: starts.length ? Math.min(...starts) : fallback,
    endTime: ends.length ? Math.max(...ends) : fallback,
    revision: stored.revision,
  };
}

/** A nested subsegment carries neither `type`, `trace_id` nor `parent_id` (the tree says where it belongs). */
function withoutTopLevelFields(sub: SegmentDocument): XRayEntity {
  const { type: _type, trace_id: _traceId, parent_id: _parentId, ...rest } = sub;
  return rest as XRayEntity;
}
