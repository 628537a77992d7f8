/**
 * The X-Ray REST-JSON API over the local store, so `@aws-sdk/client-xray` and the AWS CLI work unchanged:
 * POST /TraceSummaries, /Traces, /ServiceGraph, /TraceGraph, /GetSamplingRules, /SamplingTargets here;
 * /TraceSegments (put-trace-segments.ts), /TimeSeriesServiceStatistics (time-series.ts) and the group actions
 * /CreateGroup, /GetGroup, /Groups, /UpdateGroup, /DeleteGroup (groups.ts).
 * Shapes follow the client's models (timestamps are epoch seconds, as restJson1 sends them).
 */
import { createHash } from 'node:crypto';
import {
  analyse,
  forEachInSlices,
  optionalString,
  parseFilterField,
  passes,
  timeRange,
  validation,
  type ApiResponse,
  type Body,
} from './api-support';
import { GROUP_ACTIONS, resolveGroup } from './groups';
import { putTraceSegments } from './put-trace-segments';
import { traceIdEpochSeconds, walkEntities, type XRayEntity } from './segment-document';
import { aggregateServiceGraph, inferredIdentity, ServiceGraphAggregate } from './service-graph';
import { getTimeSeriesServiceStatistics } from './time-series';
import type { AssembledTrace, TraceStore } from './trace-store';

export { ApiError, type ApiResponse } from './api-support';

/** Traces per GetTraceSummaries page. */
export const SUMMARIES_PAGE_SIZE = 50;
/** BatchGetTraces accepts at most this many ids per call, as AWS does. */
export const MAX_BATCH_TRACE_IDS = 5;

/**
 * The sampling rule the daemon hands to SDKs. AWS's own `Default` rule samples 1 request a second plus 5%;
 * locally every request is sampled, so a test or a developer always finds the trace they just caused.
 */
export const LOCAL_DEFAULT_SAMPLING_RULE = {
  RuleName: 'Default',
  RuleARN: 'arn:aws:xray:us-east-1:000000000000:sampling-rule/Default',
  ResourceARN: '*',
  Priority: 10000,
  FixedRate: 1,
  ReservoirSize: 1,
  ServiceName: '*',
  ServiceType: '*',
  Host: '*',
  HTTPMethod: '*',
  URLPath: '*',
  Version: 1,
  Attributes: {},
} as const;

/* ---------- GetTraceSummaries ---------- */

type Cursor = [startTime: number, id: string];
const encodeCursor = (c: Cursor) => Buffer.from(JSON.stringify(c)).toString('base64url');
function decodeCursor(token: string): Cursor {
  try {
    const c = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
    if (Array.isArray(c) && typeof c[0] === 'number' && typeof c[1] === 'string') return c as Cursor;
  } catch {
    // fall through
  }
  throw validation('NextToken is not a token this API returned');
}
/** Newest first; the id breaks ties so pages never overlap, even while traces arrive. */
const newestFirst = (a: Cursor, b: Cursor) => b[0] - a[0] || (a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0);

async function getTraceSummaries(store: TraceStore, body: Body): Promise<ApiResponse> {
  const [start, end] = timeRange(body);
  const timeRangeType = optionalString(body, 'TimeRangeType') ?? 'TraceId';
  if (!['TraceId', 'Event', 'Service'].includes(timeRangeType)) {
    throw validation('TimeRangeType must be TraceId, Event or Service');
  }
  const filter = parseFilterField(optionalString(body, 'FilterExpression'), 'FilterExpression');
  const token = optionalString(body, 'NextToken');
  const after = token ? decodeCursor(token) : undefined;

  let inRange = 0;
  const matching: { trace: AssembledTrace; cursor: Cursor }[] = [];
  await forEachInSlices(store.traceIds(), (id) => {
    const trace = store.trace(id);
    if (!trace) return; // dropped from the store while this query yielded
    const at = timeRangeType === 'TraceId' ? traceIdEpochSeconds(trace.id) : trace.startTime;
    if (at < Math.floor(start) || at > end) return;
    inRange += 1;
    const cursor: Cursor = [trace.startTime, trace.id];
    if (after && newestFirst(after, cursor) >= 0) return;
    if (!passes(filter, trace)) return;
    matching.push({ trace, cursor });
  });
  matching.sort((a, b) => newestFirst(a.cursor, b.cursor));
  const page = matching.slice(0, SUMMARIES_PAGE_SIZE);
  return {
    status: 200,
    body: {
      TraceSummaries: page.map(({ trace }) => analyse(trace).facts.summary),
      ApproximateTime: Date.now() / 1000,
      TracesProcessedCount: inRange,
      NextToken: matching.length > page.length ? encodeCursor(page[page.length - 1].cursor) : undefined,
    },
  };
}

/* ---------- BatchGetTraces ---------- */

function traceIds(body: Body): string[] {
  const ids = body.TraceIds;
  if (!Array.isArray(ids) || ids.some((id) => typeof id !== 'string')) {
    throw validation('TraceIds is required: a list of trace ids');
  }
  return ids as string[];
}

/** The node X-Ray infers from an aws/remote subsegment, returned as its own segment as BatchGetTraces does. */
function inferredSegments(trace: AssembledTrace, segment: XRayEntity, downstreamParents: Set<string>) {
  const inferred: { Id: string; Document: string }[] = [];
  walkEntities(segment, (sub) => {
    if (sub === segment || downstreamParents.has(sub.id)) return;
    const identity = inferredIdentity(sub);
    if (!identity) return;
    const id = createHash('sha1').update(`${trace.id}/${sub.id}`).digest('hex').slice(0, 16);
    const document = {
      id,
      name: identity.name,
      start_time: sub.start_time,
      end_time: sub.end_time,
      in_progress: sub.in_progress,
      parent_id: sub.id,
      inferred: true,
      http: sub.http,
      aws: sub.aws,
      error: sub.error,
      fault: sub.fault,
      throttle: sub.throttle,
      cause: sub.cause,
      origin: identity.type,
      trace_id: trace.id,
    };
    inferred.push({ Id: id, Document: JSON.stringify(document) });
  });
  return inferred;
}

function batchGetTraces(store: TraceStore, body: Body): ApiResponse {
  const ids = traceIds(body);
  if (ids.length > MAX_BATCH_TRACE_IDS) {
    throw validation(
      `1 validation error detected: Value at 'traceIds' failed to satisfy constraint: ` +
        `Member must have length less than or equal to ${MAX_BATCH_TRACE_IDS} (got ${ids.length})`,
    );
  }
  const traces: unknown[] = [];
  const unprocessed: string[] = [];
  for (const id of ids) {
    const trace = store.trace(id);
    if (!trace) {
      unprocessed.push(id);
      continue;
    }
    const downstreamParents = new Set(trace.segments.map((s) => s.parent_id).filter((p): p is string => !!p));
    traces.push({
      Id: trace.id,
      Duration: Math.round((trace.endTime - trace.startTime) * 1000) / 1000,
      LimitExceeded: false,
      Segments: trace.segments.flatMap((segment) => [
        { Id: segment.id, Document: JSON.stringify(segment) },
        ...inferredSegments(trace, segment, downstreamParents),
      ]),
    });
  }
  return { status: 200, body: { Traces: traces, UnprocessedTraceIds: unprocessed } };
}

/* ---------- GetServiceGraph / GetTraceGraph ---------- */

/** The service graph of the traces in the time range; with GroupName or GroupARN, of the group's traces only. */
async function getServiceGraph(store: TraceStore, body: Body): Promise<ApiResponse> {
  const [start, end] = timeRange(body);
  const group = resolveGroup(store, body);
  const aggregate = new ServiceGraphAggregate(start, end);
  await forEachInSlices(store.traceIds(), (id) => {
    const trace = store.trace(id);
    if (trace && trace.endTime >= start && trace.startTime <= end && passes(group?.filter, trace))
      aggregate.add(analyse(trace).graph);
  });
  return {
    status: 200,
    body: { StartTime: start, EndTime: end, Services: aggregate.services(), ContainsOldGroupVersions: false },
  };
}

function getTraceGraph(store: TraceStore, body: Body): ApiResponse {
  const graphs = traceIds(body)
    .map((id) => store.trace(id))
    .filter((t): t is AssembledTrace => !!t)
    .map((t) => analyse(t).graph);
  return { status: 200, body: { Services: aggregateServiceGraph(graphs, -Infinity, Infinity) } };
}

/* ---------- sampling (what the SDKs' centralized sampler asks the daemon) ---------- */

const RULES_CREATED_AT = Math.floor(Date.now() / 1000);

function getSamplingRules(): ApiResponse {
  return {
    status: 200,
    body: {
      SamplingRuleRecords: [
        { SamplingRule: LOCAL_DEFAULT_SAMPLING_RULE, CreatedAt: RULES_CREATED_AT, ModifiedAt: RULES_CREATED_AT },
      ],
    },
  };
}

function getSamplingTargets(body: Body): ApiResponse {
  const documents = body.SamplingStatisticsDocuments;
  if (!Array.isArray(documents)) throw validation('SamplingStatisticsDocuments is required: a list');
  const now = Date.now() / 1000;
  const known = documents.filter((d) => d?.RuleName === LOCAL_DEFAULT_SAMPLING_RULE.RuleName);
  const unknown = documents.filter((d) => d?.RuleName !== LOCAL_DEFAULT_SAMPLING_RULE.RuleName);
  return {
    status: 200,
    body: {
      SamplingTargetDocuments: known.map(() => ({
        RuleName: LOCAL_DEFAULT_SAMPLING_RULE.RuleName,
        FixedRate: LOCAL_DEFAULT_SAMPLING_RULE.FixedRate,
        ReservoirQuota: LOCAL_DEFAULT_SAMPLING_RULE.ReservoirSize,
        ReservoirQuotaTTL: now + 10,
        Interval: 10,
      })),
      LastRuleModification: RULES_CREATED_AT,
      UnprocessedStatistics: unknown.map((d) => ({
        RuleName: String(d?.RuleName ?? ''),
        ErrorCode: '400',
        Message: 'no such sampling rule',
      })),
    },
  };
}

/**
 * Routes an API call; rejects with ApiError for client mistakes. Resolves to undefined for paths that are not
 * API calls. The queries over the whole store yield while they run (see SLICE_MS).
 */
export async function handleApiCall(store: TraceStore, path: string, body: Body): Promise<ApiResponse | undefined> {
  const groupAction = Object.hasOwn(GROUP_ACTIONS, path) ? GROUP_ACTIONS[path] : undefined;
  if (groupAction) return groupAction(store, body);
  switch (path) {
    case '/TraceSegments':
      return putTraceSegments(store, body);
    case '/TimeSeriesServiceStatistics':
      return getTimeSeriesServiceStatistics(store, body);
    case '/TraceSummaries':
      return getTraceSummaries(store, body);
    case '/Traces':
      return batchGetTraces(store, body);
    case '/ServiceGraph':
      return getServiceGraph(store, body);
    case '/TraceGraph':
      return getTraceGraph(store, body);
    case '/GetSamplingRules':
      return getSamplingRules();
    case '/SamplingTargets':
      return getSamplingTargets(body);
    default:
      return undefined;
  }
}
