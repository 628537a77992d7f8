/**
 * GetTimeSeriesServiceStatistics (POST /TimeSeriesServiceStatistics): request statistics per period.
 * https://docs.aws.amazon.com/xray/latest/api/API_GetTimeSeriesServiceStatistics.html
 *
 * - EntitySelectorExpression picks what is counted: `service("name")`, `id(name: "n", type: "t")` (a service)
 *   or `edge("from", "to")`. Without one, the reference says edge statistics are returned: here, those of the
 *   edges into the traces' entry services (the requests the application received).
 * - GroupName / GroupARN keeps only the traces that pass the group's filter.
 * - Each entry has Timestamp (the period's start), ServiceSummaryStatistics or EdgeSummaryStatistics, and
 *   ResponseTimeHistogram; periods without a completed request are left out.
 */
import {
  analyse,
  forEachInSlices,
  invalidRequest,
  optionalString,
  parseFilterField,
  passes,
  timeRange,
  type ApiResponse,
  type Body,
} from './api-support';
import { matches, type ServiceMatcher } from './filter-expression';
import { resolveGroup } from './groups';
import { CLIENT_IDENTITY, histogram, nodeKey, statistics, type Observation, type TraceGraph } from './service-graph';
import type { TraceStore } from './trace-store';

/**
 * The periods this daemon aggregates by: one minute and five minutes. An assumption, not AWS's documented rule: the
 * API reference (docs.aws.amazon.com/xray/latest/api/API_GetTimeSeriesServiceStatistics.html) only says
 * "aggregation period in seconds" and lists no allowed values; any other value is refused here rather than silently
 * rounded, so a client relying on another period finds out locally. Absent, one minute.
 */
export const TIME_SERIES_PERIODS = [60, 300] as const;
const MAX_SELECTOR_LENGTH = 500;

type Selector =
  | { kind: 'service'; service?: ServiceMatcher }
  | { kind: 'edge'; from: ServiceMatcher; to: ServiceMatcher }
  | { kind: 'entry' };

function period(body: Body): number {
  const value = body.Period;
  if (value === undefined || value === null) return TIME_SERIES_PERIODS[0];
  if (!TIME_SERIES_PERIODS.includes(value as 60 | 300)) {
    throw invalidRequest(`Period must be ${TIME_SERIES_PERIODS.join(' or ')} (seconds), got ${JSON.stringify(value)}`);
  }
  return value as number;
}

function selector(body: Body): Selector {
  const expression = optionalString(body, 'EntitySelectorExpression', invalidRequest);
  if (expression === undefined) return { kind: 'entry' };
  if (expression.length < 1 || expression.length > MAX_SELECTOR_LENGTH) {
    throw invalidRequest(`EntitySelectorExpression must be 1 to ${MAX_SELECTOR_LENGTH} characters`);
  }
  // A bare id(...) selects a service, as service(id(...)) does.
  const source = /^\s*id\s*\(/i.test(expression) ? `service(${expression})` : expression;
  const node = parseFilterField(source, 'EntitySelectorExpression', invalidRequest);
  if (node?.kind === 'service' || node?.kind === 'edge') return node;
  throw invalidRequest('EntitySelectorExpression must be one service(...), id(...) or edge(...)');
}

/** The observations of one trace that the selector counts. */
function selectedObservations(graph: TraceGraph, chosen: Selector): Observation[] {
  const identity = (key: string) => graph.nodes.get(key)?.identity ?? { name: '' };
  if (chosen.kind === 'service') {
    return [...graph.nodes.values()]
      .filter((n) => n.key !== nodeKey(CLIENT_IDENTITY) && (!chosen.service || matches(chosen.service, n.identity)))
      .flatMap((n) => n.observations);
  }
  const edges =
    chosen.kind === 'edge'
      ? graph.edges.filter((e) => matches(chosen.from, identity(e.from)) && matches(chosen.to, identity(e.to)))
      : graph.edges.filter((e) => e.from === nodeKey(CLIENT_IDENTITY));
  return edges.flatMap((e) => e.observations);
}

function rejectUnknownToken(body: Body): void {
  if (optionalString(body, 'NextToken', invalidRequest) !== undefined)
    throw invalidRequest('NextToken is not a token this API returned');
}

export async function getTimeSeriesServiceStatistics(store: TraceStore, body: Body): Promise<ApiResponse> {
  const [start, end] = timeRange(body, invalidRequest);
  const seconds = period(body);
  const chosen = selector(body);
  const group = resolveGroup(store, body);
  rejectUnknownToken(body);

  const buckets = new Map<number, Observation[]>();
  await forEachInSlices(store.traceIds(), (id) => {
    const trace = store.trace(id);
    if (!trace || trace.endTime < start || trace.startTime > end || !passes(group?.filter, trace)) return;
    for (const o of selectedObservations(analyse(trace).graph, chosen)) {
      if (o.responseTime === undefined || o.start < start || o.start >= end) continue;
      const timestamp = Math.floor(o.start / seconds) * seconds;
      const bucket = buckets.get(timestamp);
      if (bucket) bucket.push(o);
      else buckets.set(timestamp, [o]);
    }
  });
  const statisticsKey = chosen.kind === 'service' ? 'ServiceSummaryStatistics' : 'EdgeSummaryStatistics';
  const series = [...buckets.entries()]
    .sort(([a], [b]) => a - b)
    .map(([timestamp, observations]) => ({
      Timestamp: timestamp,
      [statisticsKey]: statistics(observations),
      ResponseTimeHistogram: histogram(observations),
    }));
  return { status: 200, body: { TimeSeriesServiceStatistics: series, ContainsOldGroupVersions: false } };
}
