/**
 * Builds a trace's service graph from its segment documents, the way X-Ray's service map does, so the checker
 * does not depend on GetServiceGraph:
 * - a node per segment (service name + `origin` type);
 * - a segment whose `parent_id` points into another segment (or one of its subsegments) is an edge from that
 *   segment's node: the stage's `Lambda` subsegment parents the `AWS::Lambda` segment, which parents the
 *   `AWS::Lambda::Function` segment;
 * - an `aws` / `remote` subsegment that no traced segment continues is an inferred node (`DynamoDB`, `SNS`,
 *   `Firehose`, or the remote host);
 * - independent subsegments (sent on their own) are folded into their parents; in-progress pieces are kept and
 *   flagged; a completed copy of a piece replaces its in-progress copy.
 */
import type { XRayEntity } from '../../system/segment-document';

/** The document types are the project's one definition, shared with the local X-Ray daemon (types only). */
export type { XRayEntity } from '../../system/segment-document';

export type NodeStatus = 'ok' | 'error' | 'fault' | 'in progress';

export interface GraphNode {
  readonly id: string;
  readonly name: string;
  /** Segment origin, or the inferred type (`AWS::DynamoDB::Table`, `remote`); '' when the segment names none. */
  readonly type: string;
  readonly inferred: boolean;
}

/** A fault or error found on a segment or one of its local subsegments, with where exactly it was recorded. */
export interface RecordedProblem {
  readonly kind: 'error' | 'fault';
  /** `<node name> › <subsegment> › ...`, e.g. `mysfits-dev-post-question › hangingException`. */
  readonly path: string;
  readonly httpStatus?: number;
  readonly cause?: string;
}

/** One appearance of a node in a trace: a row of the per-trace table. */
export interface NodeVisit {
  readonly nodeId: string;
  readonly name: string;
  readonly type: string;
  readonly inferred: boolean;
  readonly durationMs?: number;
  readonly status: NodeStatus;
  readonly httpStatus?: number;
  readonly problems: readonly RecordedProblem[];
  /** Depth below the trace's root, for indenting the table. */
  readonly depth: number;
  readonly startTime?: number;
}

export interface TraceGraph {
  readonly traceId: string;
  readonly nodes: ReadonlyMap<string, GraphNode>;
  /** Edges as edgeKey(from, to). */
  readonly edges: ReadonlySet<string>;
  readonly visits: readonly NodeVisit[];
  /** Nodes of segments with no parent in the trace: where the trace starts. */
  readonly rootNodeIds: readonly string[];
  readonly inProgress: boolean;
  /** Pieces that could not be placed (unknown parent, unreadable document). */
  readonly notes: readonly string[];
  readonly annotations: Readonly<Record<string, readonly unknown[]>>;
}

/** Node ids contain \u0000 (name, type); edges join two ids with \u0001. */
export const edgeKey = (from: string, to: string) => `${from}\u0001${to}`;
export const splitEdgeKey = (key: string) => key.split('\u0001') as [string, string];
export const nodeKey = (name: string, type: string) => `${name}\u0000${type}`;

/** X-Ray's types for the inferred nodes of AWS SDK calls; others get `AWS::<name>`. */
const INFERRED_AWS_TYPES: Record<string, string> = {
  DynamoDB: 'AWS::DynamoDB::Table',
  SNS: 'AWS::SNS',
  SQS: 'AWS::SQS::Queue',
  S3: 'AWS::S3::Bucket',
  Lambda: 'AWS::Lambda',
  Firehose: 'AWS::Kinesis::Firehose',
};

function inferredType(sub: XRayEntity): string {
  if (sub.namespace === 'remote') return 'remote';
  return INFERRED_AWS_TYPES[sub.name] ?? `AWS::${sub.name}`;
}

function causeText(cause: XRayEntity['cause']): string | undefined {
  if (!cause) return undefined;
  // A string cause is the id of an exception recorded elsewhere: not readable on its own.
  if (typeof cause === 'string') return undefined;
  const exception = cause.exceptions?.find((e) => e.message || e.type);
  if (exception) return [exception.type, exception.message].filter(Boolean).join(': ');
  return cause.message;
}

function ownStatus(doc: XRayEntity): 'ok' | 'error' | 'fault' {
  const status = doc.http?.response?.status;
  if (doc.fault || (status !== undefined && status >= 500)) return 'fault';
  if (doc.error || doc.throttle || (status !== undefined && status >= 400)) return 'error';
  return 'ok';
}

const isDownstreamCall = (sub: XRayEntity) => sub.namespace === 'aws' || sub.namespace === 'remote';

function durationMs(doc: XRayEntity): number | undefined {
  if (doc.in_progress || doc.start_time === undefined || doc.end_time === undefined) return undefined;
  return Math.max(0, Math.round((doc.end_time - doc.start_time) * 1000));
}

/** Parses and merges the pieces of one trace (segments and independent subsegments, JSON strings or objects). */
function assemble(traceId: string, documents: readonly (string | XRayEntity)[], notes: string[]) {
  const segments = new Map<string, XRayEntity>();
  const looseSubsegments: XRayEntity[] = [];
  for (const raw of documents) {
    let doc: XRayEntity;
    try {
      doc = typeof raw === 'string' ? (JSON.parse(raw) as XRayEntity) : structuredClone(raw);
    } catch {
      notes.push(`trace ${traceId}: a segment document is not valid JSON (ignored)`);
      continue;
    }
    if (!doc || typeof doc.id !== 'string' || typeof doc.name !== 'string') {
      notes.push(`trace ${traceId}: a segment document has no id or name (ignored)`);
      continue;
    }
    if (doc.type === 'subsegment') {
      looseSubsegments.push(doc);
      continue;
    }
    const existing = segments.get(doc.id);
    // The same segment arrives in progress first, completed later: keep the completed one.
    if (!existing || (existing.in_progress && !doc.in_progress)) segments.set(doc.id, doc);
  }

  // Fold independent subsegments into their parents (a parent may itself be a loose subsegment).
  const index = new Map<string, XRayEntity>();
  const indexTree = (doc: XRayEntity) => {
    index.set(doc.id, doc);
    for (const sub of doc.subsegments ?? []) indexTree(sub);
  };
  for (const segment of segments.values()) indexTree(segment);
  let pending = looseSubsegments;
  for (let progress = true; progress && pending.length > 0; ) {
    progress = false;
    const next: XRayEntity[] = [];
    for (const sub of pending) {
      const parent = sub.parent_id ? index.get(sub.parent_id) : undefined;
      if (!parent) {
        next.push(sub);
        continue;
      }
      const siblings = (parent.subsegments ??= []);
      const at = siblings.findIndex((s) => s.id === sub.id);
      if (at < 0) siblings.push(sub);
      else if (siblings[at].in_progress && !sub.in_progress) siblings[at] = sub;
      indexTree(sub);
      progress = true;
    }
    pending = next;
  }
  for (const sub of pending) {
    notes.push(`trace ${traceId}: subsegment "${sub.name}" waits for its parent ${sub.parent_id ?? '(none)'}`);
  }
  return [...segments.values()];
}

export function buildTraceGraph(traceId: string, documents: readonly (string | XRayEntity)[]): TraceGraph {
  const notes: string[] = [];
  const segments = assemble(traceId, documents, notes);
  const nodes = new Map<string, GraphNode>();
  const edges = new Set<string>();
  const annotations: Record<string, unknown[]> = {};
  let inProgress = false;

  // Which segment owns each element id (the segment itself and all its nested subsegments).
  const owner = new Map<string, XRayEntity>();
  const elements = new Map<string, XRayEntity>();
  /** `segment › subsegment › ...` of every element, to say where a problem was recorded. */
  const pathOf = new Map<string, string>();
  const walk = (segment: XRayEntity, doc: XRayEntity, path: string) => {
    owner.set(doc.id, segment);
    elements.set(doc.id, doc);
    pathOf.set(doc.id, path);
    for (const sub of doc.subsegments ?? []) walk(segment, sub, `${path} › ${sub.name}`);
  };
  for (const segment of segments) walk(segment, segment, segment.name);

  const segmentNode = (segment: XRayEntity) => {
    const type = segment.origin ?? '';
    const node: GraphNode = { id: nodeKey(segment.name, type), name: segment.name, type, inferred: !!segment.inferred };
    nodes.set(node.id, node);
    return node;
  };

  // Subsegments continued by a traced segment: the edge goes to that segment's node, not to an inferred one.
  const continued = new Set<string>();
  const parentOf = new Map<XRayEntity, XRayEntity>();
  for (const segment of segments) {
    if (!segment.parent_id) continue;
    const parentElement = elements.get(segment.parent_id);
    const parentSegment = owner.get(segment.parent_id);
    if (!parentElement || !parentSegment) {
      notes.push(`trace ${traceId}: segment "${segment.name}" has parent ${segment.parent_id}, not (yet) in the trace`);
      continue;
    }
    if (parentElement !== parentSegment) continued.add(parentElement.id);
    parentOf.set(segment, parentSegment);
  }

  const visits: NodeVisit[] = [];
  const depthOf = (segment: XRayEntity): number => {
    let depth = 0;
    for (let s = parentOf.get(segment); s && depth < 50; s = parentOf.get(s)) depth++;
    return depth;
  };

  for (const segment of segments) {
    const node = segmentNode(segment);
    const parent = parentOf.get(segment);
    if (parent) edges.add(edgeKey(segmentNode(parent).id, node.id));
    const depth = depthOf(segment);
    const problems: RecordedProblem[] = [];
    let segmentInProgress = !!segment.in_progress;

    const record = (doc: XRayEntity, path: string) => {
      const status = ownStatus(doc);
      if (status !== 'ok') {
        problems.push({ kind: status, path, httpStatus: doc.http?.response?.status, cause: causeText(doc.cause) });
      }
    };
    // An inferred segment (the DynamoDB / SNS node X-Ray returns for an SDK call) is named after its caller's call.
    const callPath = segment.inferred && segment.parent_id ? pathOf.get(segment.parent_id) : undefined;
    record(segment, callPath ?? segment.name);
    for (const [key, value] of Object.entries(segment.annotations ?? {})) (annotations[key] ??= []).push(value);

    // Local subsegments count towards this node; aws/remote ones are nodes of their own.
    const visitSubsegments = (doc: XRayEntity, path: string, subDepth: number) => {
      for (const sub of doc.subsegments ?? []) {
        for (const [key, value] of Object.entries(sub.annotations ?? {})) (annotations[key] ??= []).push(value);
        if (isDownstreamCall(sub)) {
          if (continued.has(sub.id)) {
            // The call into a traced service (the stage's Lambda integration): its node is the callee's
            // segment, but a failed call still counts against the caller.
            record(sub, `${path} › ${sub.name}`);
            continue;
          }
          const type = inferredType(sub);
          const inferred: GraphNode = { id: nodeKey(sub.name, type), name: sub.name, type, inferred: true };
          nodes.set(inferred.id, inferred);
          edges.add(edgeKey(node.id, inferred.id));
          const status = ownStatus(sub);
          const subProblems: RecordedProblem[] =
            status === 'ok'
              ? []
              : [
                  {
                    kind: status,
                    path: `${path} › ${sub.name}`,
                    httpStatus: sub.http?.response?.status,
                    cause: causeText(sub.cause),
                  },
                ];
          if (sub.in_progress) inProgress = true;
          visits.push({
            nodeId: inferred.id,
            name: inferred.name,
            type,
            inferred: true,
            durationMs: durationMs(sub),
            status: sub.in_progress ? 'in progress' : status,
            httpStatus: sub.http?.response?.status,
            problems: subProblems,
            depth: subDepth,
            startTime: sub.start_time,
          });
          continue;
        }
        if (sub.in_progress) segmentInProgress = true;
        record(sub, `${path} › ${sub.name}`);
        visitSubsegments(sub, `${path} › ${sub.name}`, subDepth);
      }
    };
    const at = visits.length;
    visitSubsegments(segment, segment.name, depth + 1);
    if (segmentInProgress) inProgress = true;
    const worst = problems.some((p) => p.kind === 'fault') ? 'fault' : problems.length > 0 ? 'error' : 'ok';
    visits.splice(at, 0, {
      nodeId: node.id,
      name: node.name,
      type: node.type,
      inferred: node.inferred,
      durationMs: durationMs(segment),
      status: segment.in_progress && worst === 'ok' ? 'in progress' : worst,
      httpStatus: segment.http?.response?.status,
      problems,
      depth,
      startTime: segment.start_time,
    });
  }

  // Table order: by depth-first position is hard to keep across segments; start time then depth reads well.
  visits.sort((a, b) => (a.startTime ?? Infinity) - (b.startTime ?? Infinity) || a.depth - b.depth);
  const rootNodeIds = [
    ...new Set(segments.filter((s) => !parentOf.has(s)).map((s) => nodeKey(s.name, s.origin ?? ''))),
  ];
  return { traceId, nodes, edges, visits, rootNodeIds, inProgress, notes, annotations };
}
