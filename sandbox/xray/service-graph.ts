/**
 * The service graph as X-Ray builds it from segment documents:
 * - a node per segment name + origin (`AWS::ApiGateway::Stage`, `AWS::Lambda`, `AWS::Lambda::Function`, ...);
 * - inferred nodes for `aws` subsegments (named by the subsegment: `DynamoDB`, `SNS`, ...) and `remote`
 *   subsegments (named by the remote host), unless a traced downstream segment names that subsegment its parent;
 * - edges parent -> child across segments (a segment's `parent_id` is an entity of another segment);
 * - a `client` node in front of root segments that served an HTTP request.
 */
import { entityDuration, entityStatus, walkEntities, type XRayEntity } from './segment-document';
import type { AssembledTrace } from './trace-store';

export interface ServiceIdentity {
  readonly name: string;
  readonly type?: string;
  readonly accountId?: string;
}

/** One request seen by a node or an edge. */
export interface Observation {
  readonly start: number;
  readonly end: number;
  readonly status: 'ok' | 'error' | 'fault';
  readonly throttle: boolean;
  /** Undefined while in progress: such observations are not counted in statistics. */
  readonly responseTime?: number;
}

export interface TraceGraphNode {
  readonly key: string;
  readonly identity: ServiceIdentity;
  readonly root: boolean;
  readonly inferred: boolean;
  readonly observations: Observation[];
}

export interface TraceGraphEdge {
  readonly from: string;
  readonly to: string;
  readonly observations: Observation[];
}

export interface TraceGraph {
  readonly nodes: Map<string, TraceGraphNode>;
  readonly edges: TraceGraphEdge[];
  /** The node that received the request first (the root segment's node). */
  readonly entryKey?: string;
  /** The root segment. */
  readonly rootSegment?: XRayEntity;
}

export const CLIENT_IDENTITY: ServiceIdentity = { name: 'client', type: 'client' };

/** Types X-Ray gives inferred AWS nodes; anything else is `AWS::<subsegment name>`. */
function awsNodeType(sub: XRayEntity): string {
  const aws = sub.aws ?? {};
  switch (sub.name) {
    case 'DynamoDB':
      return aws.table_name ? 'AWS::DynamoDB::Table' : 'AWS::DynamoDB';
    case 'SQS':
      return aws.queue_url ? 'AWS::SQS::Queue' : 'AWS::SQS';
    case 'S3':
      return aws.bucket_name ? 'AWS::S3::Bucket' : 'AWS::S3';
    case 'Firehose':
      return 'AWS::Kinesis::Firehose';
    default:
      return `AWS::${sub.name}`;
  }
}

function remoteHost(sub: XRayEntity): string {
  const url = sub.http?.request?.url;
  if (url) {
    try {
      return new URL(url).host;
    } catch {
      // not a URL: fall back to the subsegment's name, which the SDK sets to the host
    }
  }
  return sub.name;
}

export const nodeKey = (identity: ServiceIdentity) => `${identity.type ?? ''}|${identity.name}`;

export function segmentIdentity(segment: XRayEntity): ServiceIdentity {
  const accountId = typeof segment.aws?.account_id === 'string' ? segment.aws.account_id : undefined;
  return { name: segment.name, type: segment.origin, accountId };
}

/** The identity of the node X-Ray infers from an `aws`/`remote` subsegment, or undefined for local work. */
export function inferredIdentity(sub: XRayEntity): ServiceIdentity | undefined {
  if (sub.namespace === 'aws') return { name: sub.name, type: awsNodeType(sub) };
  if (sub.namespace === 'remote') return { name: remoteHost(sub), type: 'remote' };
  return undefined;
}

function observe(entity: XRayEntity): Observation {
  const responseTime = entityDuration(entity);
  return {
    start: entity.start_time,
    end: entity.end_time ?? entity.start_time,
    status: entityStatus(entity),
    throttle: entity.throttle === true,
    responseTime,
  };
}

/** The graph of a single trace. */
export function buildTraceGraph(trace: AssembledTrace): TraceGraph {
  const nodes = new Map<string, TraceGraphNode>();
  const edges = new Map<string, TraceGraphEdge>();
  const node = (identity: ServiceIdentity, flags: { root?: boolean; inferred?: boolean } = {}) => {
    const key = nodeKey(identity);
    let existing = nodes.get(key);
    if (!existing) {
      existing = { key, identity, root: false, inferred: flags.inferred ?? false, observations: [] };
      nodes.set(key, existing);
    }
    if (flags.root && !existing.root) nodes.set(key, (existing = { ...existing, root: true }));
    return existing;
  };
  const edge = (from: string, to: string) => {
    const key = `${from}->${to}`;
    let existing = edges.get(key);
    if (!existing) edges.set(key, (existing = { from, to, observations: [] }));
    return existing;
  };

  // Which segment owns each entity id, so a parent_id can be resolved to the calling segment.
  const owner = new Map<string, XRayEntity>();
  for (const segment of trace.segments) walkEntities(segment, (e) => owner.set(e.id, segment));
  const calledDownstream = new Set<string>();
  for (const segment of trace.segments) {
    if (segment.parent_id && owner.has(segment.parent_id) && owner.get(segment.parent_id) !== segment) {
      calledDownstream.add(segment.parent_id);
    }
  }

  let rootSegment: XRayEntity | undefined;
  for (const segment of trace.segments) {
    const caller = segment.parent_id ? owner.get(segment.parent_id) : undefined;
    const isRoot = !caller || caller === segment;
    const self = node(segmentIdentity(segment), { root: isRoot });
    const observation = observe(segment);
    self.observations.push(observation);
    if (!isRoot) {
      edge(nodeKey(segmentIdentity(caller)), self.key).observations.push(observation);
    } else {
      if (!rootSegment || segment.start_time < rootSegment.start_time) rootSegment = segment;
      if (segment.http?.request) {
        node(CLIENT_IDENTITY).observations.push(observation);
        edge(nodeKey(CLIENT_IDENTITY), self.key).observations.push(observation);
      }
    }
    walkEntities(segment, (entity) => {
      if (entity === segment || calledDownstream.has(entity.id)) return;
      const identity = inferredIdentity(entity);
      if (!identity) return;
      const callObservation = observe(entity);
      node(identity, { inferred: true }).observations.push(callObservation);
      edge(self.key, nodeKey(identity)).observations.push(callObservation);
    });
  }
  return {
    nodes,
    edges: [...edges.values()],
    entryKey: rootSegment ? nodeKey(segmentIdentity(rootSegment)) : undefined,
    rootSegment,
  };
}

/* ---------- aggregation into GetServiceGraph's shape ---------- */

export interface StatisticsJson {
  OkCount: number;
  ErrorStatistics: { ThrottleCount: number; OtherCount: number; TotalCount: number };
  FaultStatistics: { OtherCount: number; TotalCount: number };
  TotalCount: number;
  TotalResponseTime: number;
}

export interface HistogramEntryJson {
  Value: number;
  Count: number;
}

export interface EdgeJson {
  ReferenceId: number;
  StartTime: number;
  EndTime: number;
  SummaryStatistics: StatisticsJson;
  ResponseTimeHistogram: HistogramEntryJson[];
  Aliases: never[];
}

export interface ServiceJson {
  ReferenceId: number;
  Name: string;
  Names: string[];
  Type?: string;
  AccountId?: string;
  Root: boolean;
  State: 'active';
  StartTime: number;
  EndTime: number;
  Edges: EdgeJson[];
  SummaryStatistics: StatisticsJson;
  DurationHistogram: HistogramEntryJson[];
  ResponseTimeHistogram: HistogramEntryJson[];
}

export function statistics(observations: readonly Observation[]): StatisticsJson {
  const done = observations.filter((o) => o.responseTime !== undefined);
  const throttles = done.filter((o) => o.throttle).length;
  const errors = done.filter((o) => o.status === 'error').length;
  const faults = done.filter((o) => o.status === 'fault').length;
  return {
    OkCount: done.filter((o) => o.status === 'ok').length,
    ErrorStatistics: { ThrottleCount: throttles, OtherCount: errors - throttles, TotalCount: errors },
    FaultStatistics: { OtherCount: faults, TotalCount: faults },
    TotalCount: done.length,
    TotalResponseTime: round(done.reduce((sum, o) => sum + o.responseTime!, 0)),
  };
}

/**
 * Response times grouped to the millisecond, as the console's histograms show them: GetServiceGraph's
 * `Service.DurationHistogram` / `Service.ResponseTimeHistogram` and `Edge.ResponseTimeHistogram`, arrays of
 * HistogramEntry `{ Value (seconds), Count }` (https://docs.aws.amazon.com/xray/latest/api/API_Service.html,
 * https://docs.aws.amazon.com/xray/latest/api/API_HistogramEntry.html).
 */
export function histogram(observations: readonly Observation[]): HistogramEntryJson[] {
  const counts = new Map<number, number>();
  for (const o of observations) {
    if (o.responseTime === undefined) continue;
    const value = round(o.responseTime);
    counts.set(value, (counts.get(value) ?? 0) + 1);
  }
  return [...counts.entries()].sort((a, b) => a[0] - b[0]).map(([Value, Count]) => ({ Value, Count }));
}

const round = (seconds: number) => Math.round(seconds * 1000) / 1000;

/**
 * Merges the graphs of many traces into GetServiceGraph's `Services`, keeping only requests that overlap
 * [startTime, endTime] (epoch seconds).
 */
export function aggregateServiceGraph(
  graphs: readonly TraceGraph[],
  startTime: number,
  endTime: number,
): ServiceJson[] {
  const aggregate = new ServiceGraphAggregate(startTime, endTime);
  for (const graph of graphs) aggregate.add(graph);
  return aggregate.services();
}

/**
 * The service graph built one trace at a time, so a caller over many traces can yield between them (the query
 * API does, to keep a full store from holding the event loop).
 */
export class ServiceGraphAggregate {
  private readonly nodes = new Map<string, { identity: ServiceIdentity; root: boolean; observations: Observation[] }>();
  private readonly edges = new Map<string, { from: string; to: string; observations: Observation[] }>();

  constructor(
    private readonly startTime: number,
    private readonly endTime: number,
  ) {}

  add(graph: TraceGraph): void {
    const inWindow = (o: Observation) => o.start <= this.endTime && o.end >= this.startTime;
    for (const n of graph.nodes.values()) {
      const observations = n.observations.filter(inWindow);
      if (!observations.length) continue;
      const merged = this.nodes.get(n.key) ?? { identity: n.identity, root: false, observations: [] };
      merged.root ||= n.root;
      for (const o of observations) merged.observations.push(o);
      this.nodes.set(n.key, merged);
    }
    for (const e of graph.edges) {
      const observations = e.observations.filter(inWindow);
      if (!observations.length) continue;
      const key = `${e.from}->${e.to}`;
      const merged = this.edges.get(key) ?? { from: e.from, to: e.to, observations: [] };
      for (const o of observations) merged.observations.push(o);
      this.edges.set(key, merged);
    }
  }

  services(): ServiceJson[] {
    return servicesOf(this.nodes, this.edges);
  }
}

function servicesOf(
  nodes: Map<string, { identity: ServiceIdentity; root: boolean; observations: Observation[] }>,
  edges: Map<string, { from: string; to: string; observations: Observation[] }>,
): ServiceJson[] {
  // Clients first, then by name, so reference ids are stable between calls.
  const keys = [...nodes.keys()].sort((a, b) =>
    a === nodeKey(CLIENT_IDENTITY) ? -1 : b === nodeKey(CLIENT_IDENTITY) ? 1 : a.localeCompare(b),
  );
  const referenceId = new Map(keys.map((key, index) => [key, index]));
  // A loop, not Math.min(...spread): a node over a full store has more observations than a call takes arguments.
  const span = (obs: Observation[]) => {
    let start = Infinity;
    let end = -Infinity;
    for (const o of obs) {
      if (o.start < start) start = o.start;
      if (o.end > end) end = o.end;
    }
    return { StartTime: start, EndTime: end };
  };
  return keys.map((key) => {
    const n = nodes.get(key)!;
    const outgoing = [...edges.values()].filter((e) => e.from === key && referenceId.has(e.to));
    const service: ServiceJson = {
      ReferenceId: referenceId.get(key)!,
      Name: n.identity.name,
      Names: [n.identity.name],
      Root: n.root,
      State: 'active',
      ...span(n.observations),
      Edges: outgoing.map((e) => ({
        ReferenceId: referenceId.get(e.to)!,
        ...span(e.observations),
        SummaryStatistics: statistics(e.observations),
        ResponseTimeHistogram: histogram(e.observations),
        Aliases: [],
      })),
      SummaryStatistics: statistics(n.observations),
      DurationHistogram: histogram(n.observations),
      ResponseTimeHistogram: histogram(n.observations),
    };
    if (n.identity.type) service.Type = n.identity.type;
    if (n.identity.accountId) service.AccountId = n.identity.accountId;
    return service;
  });
}
