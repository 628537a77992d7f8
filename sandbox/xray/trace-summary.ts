/**
 * TraceSummary (GetTraceSummaries) and the facts a filter expression is evaluated against, from one trace.
 */
import type { FilterSubject } from './filter-expression';
import { entityDuration, walkEntities, type AnnotationScalar, type XRayEntity } from './segment-document';
import {
  CLIENT_IDENTITY,
  inferredIdentity,
  nodeKey,
  segmentIdentity,
  type ServiceIdentity,
  type TraceGraph,
} from './service-graph';
import type { AssembledTrace } from './trace-store';

export interface ServiceIdJson {
  Name: string;
  Names: string[];
  Type?: string;
  AccountId?: string;
}

type AnnotationValueJson = { StringValue: string } | { NumberValue: number } | { BooleanValue: boolean };

export interface TraceSummaryJson {
  Id: string;
  StartTime: number;
  Duration: number;
  ResponseTime?: number;
  HasFault: boolean;
  HasError: boolean;
  HasThrottle: boolean;
  IsPartial: boolean;
  Http?: { HttpURL?: string; HttpStatus?: number; HttpMethod?: string; UserAgent?: string; ClientIp?: string };
  Annotations: Record<string, { AnnotationValue: AnnotationValueJson; ServiceIds: ServiceIdJson[] }[]>;
  ServiceIds: ServiceIdJson[];
  EntryPoint?: ServiceIdJson;
  Revision: number;
}

export function serviceIdJson(identity: ServiceIdentity): ServiceIdJson {
  const json: ServiceIdJson = { Name: identity.name, Names: [identity.name] };
  if (identity.type) json.Type = identity.type;
  if (identity.accountId) json.AccountId = identity.accountId;
  return json;
}

function annotationValueJson(value: AnnotationScalar): AnnotationValueJson {
  if (typeof value === 'number') return { NumberValue: value };
  if (typeof value === 'boolean') return { BooleanValue: value };
  return { StringValue: value };
}

const round = (seconds: number) => Math.round(seconds * 1000) / 1000;

/** Segments and the nodes X-Ray infers from aws/remote subsegments: what "any segment" means for error flags. */
function statusEntities(trace: AssembledTrace): XRayEntity[] {
  const entities: XRayEntity[] = [];
  for (const segment of trace.segments) {
    walkEntities(segment, (e) => {
      if (e === segment || inferredIdentity(e)) entities.push(e);
    });
  }
  return entities;
}

/** Everything about one trace that summaries and filters need, computed once per request. */
export interface TraceFacts {
  readonly summary: TraceSummaryJson;
  readonly subject: FilterSubject;
}

type AnnotationIndex = Map<string, { value: AnnotationScalar; services: Map<string, ServiceIdentity> }[]>;

/** Annotations with the services that recorded them; one entry per distinct value. */
function annotationIndex(trace: AssembledTrace): AnnotationIndex {
  const annotations: AnnotationIndex = new Map();
  for (const segment of trace.segments) {
    const identity = segmentIdentity(segment);
    walkEntities(segment, (entity) => {
      for (const [key, value] of Object.entries(entity.annotations ?? {})) {
        const values = annotations.get(key) ?? [];
        let entry = values.find((v) => v.value === value);
        if (!entry) {
          entry = { value, services: new Map() };
          values.push(entry);
        }
        entry.services.set(nodeKey(identity), identity);
        annotations.set(key, values);
      }
    });
  }
  return annotations;
}

function annotationsJson(annotations: AnnotationIndex): TraceSummaryJson['Annotations'] {
  return Object.fromEntries(
    [...annotations.entries()].map(([key, values]) => [
      key,
      values.map((v) => ({
        AnnotationValue: annotationValueJson(v.value),
        ServiceIds: [...v.services.values()].map(serviceIdJson),
      })),
    ]),
  );
}

/** The root segment's request and response, as the summary's `Http`. */
function httpJson(root: XRayEntity | undefined): TraceSummaryJson['Http'] {
  const request = root?.http?.request;
  const status = root?.http?.response?.status;
  if (!request && status === undefined) return undefined;
  return {
    HttpURL: request?.url,
    HttpStatus: status,
    HttpMethod: request?.method,
    UserAgent: request?.user_agent,
    ClientIp: request?.client_ip,
  };
}

/** Fault, error and throttle over the segments and inferred nodes. */
function flags(trace: AssembledTrace) {
  const entities = statusEntities(trace);
  return {
    hasFault: entities.some((e) => e.fault === true),
    hasThrottle: entities.some((e) => e.throttle === true),
    hasError: entities.some((e) => e.error === true || e.throttle === true),
  };
}

export function traceFacts(trace: AssembledTrace, graph: TraceGraph): TraceFacts {
  const { hasFault, hasError, hasThrottle } = flags(trace);
  const root = graph.rootSegment;
  const responseTime = root ? entityDuration(root) : undefined;
  const annotations = annotationIndex(trace);
  const services = [...graph.nodes.values()].filter((n) => n.key !== nodeKey(CLIENT_IDENTITY)).map((n) => n.identity);
  const http = httpJson(root);
  const entry = graph.entryKey ? graph.nodes.get(graph.entryKey)?.identity : undefined;

  const summary: TraceSummaryJson = {
    Id: trace.id,
    StartTime: trace.startTime,
    Duration: round(trace.endTime - trace.startTime),
    ResponseTime: responseTime === undefined ? undefined : round(responseTime),
    HasFault: hasFault,
    HasError: hasError,
    HasThrottle: hasThrottle,
    IsPartial: trace.partial,
    Http: http,
    Annotations: annotationsJson(annotations),
    ServiceIds: services.map(serviceIdJson),
    EntryPoint: entry ? serviceIdJson(entry) : undefined,
    Revision: trace.revision,
  };

  const subject: FilterSubject = {
    ok: !hasFault && !hasError && !hasThrottle,
    error: hasError,
    fault: hasFault,
    throttle: hasThrottle,
    partial: trace.partial,
    responseTime: summary.ResponseTime,
    duration: summary.Duration,
    http: {
      status: http?.HttpStatus,
      url: http?.HttpURL,
      method: http?.HttpMethod,
      useragent: http?.UserAgent,
      clientip: http?.ClientIp,
    },
    annotations: new Map([...annotations.entries()].map(([key, values]) => [key, values.map((v) => v.value)])),
    services,
    edges: graph.edges.map((e) => [graph.nodes.get(e.from)!.identity, graph.nodes.get(e.to)!.identity] as const),
  };
  return { summary, subject };
}
