/**
 * What every X-Ray API action of the local daemon shares: the error type, reading fields of a request body
 * (each refusal names its field), time-sliced iteration over the store, and the per-trace analysis cache.
 */
import { evaluateFilter, FilterSyntaxError, parseFilterExpression, type FilterNode } from './filter-expression';
import { buildTraceGraph, type TraceGraph } from './service-graph';
import type { AssembledTrace } from './trace-store';
import { traceFacts, type TraceFacts } from './trace-summary';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly type: string,
    message: string,
  ) {
    super(message);
  }
}

export interface ApiResponse {
  status: number;
  body: unknown;
}

export type Body = Record<string, unknown>;

export const validation = (message: string) => new ApiError(400, 'ValidationException', message);
/** The error X-Ray's model declares for its actions (CreateGroup, PutTraceSegments, ...): 400 InvalidRequestException. */
export const invalidRequest = (message: string) => new ApiError(400, 'InvalidRequestException', message);

type Refuse = (message: string) => ApiError;

export function epochSeconds(body: Body, field: string, required: true, refuse?: Refuse): number;
export function epochSeconds(body: Body, field: string, required: false, refuse?: Refuse): number | undefined;
export function epochSeconds(
  body: Body,
  field: string,
  required: boolean,
  refuse: Refuse = validation,
): number | undefined {
  const value = body[field];
  if (value === undefined || value === null) {
    if (required) throw refuse(`${field} is required (epoch seconds)`);
    return undefined;
  }
  const seconds = typeof value === 'number' ? value : typeof value === 'string' ? Date.parse(value) / 1000 : NaN;
  if (!Number.isFinite(seconds)) throw refuse(`${field} must be a timestamp (epoch seconds)`);
  return seconds;
}

export function timeRange(body: Body, refuse: Refuse = validation): [number, number] {
  const start = epochSeconds(body, 'StartTime', true, refuse);
  const end = epochSeconds(body, 'EndTime', true, refuse);
  if (end < start) throw refuse('EndTime must not be before StartTime');
  return [start, end];
}

export function optionalString(body: Body, field: string, refuse: Refuse = validation): string | undefined {
  const value = body[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw refuse(`${field} must be a string`);
  return value;
}

/**
 * Parses a filter expression; a syntax error is refused with its position, the field named after it (the
 * console shows the message as it comes, starting with the problem).
 */
export function parseFilterField(
  expression: string | undefined,
  field: string,
  refuse: Refuse = validation,
): FilterNode | undefined {
  try {
    return expression?.trim() ? parseFilterExpression(expression) : undefined;
  } catch (err) {
    if (err instanceof FilterSyntaxError) throw refuse(`${err.message} (field ${field})`);
    throw err;
  }
}

/**
 * The longest stretch a query computes before letting other work run. The daemon shares its process with the
 * sandbox's gateway: one query over a full store (20,000 traces) otherwise held the event loop for over a second
 * (bench/xray-query-stall.ts measures it).
 */
const SLICE_MS = 20;

/** Calls `visit` on each item, yielding to the event loop whenever SLICE_MS has passed since the last yield. */
export async function forEachInSlices<T>(items: Iterable<T>, visit: (item: T) => void): Promise<void> {
  let sliceStart = performance.now();
  for (const item of items) {
    visit(item);
    if (performance.now() - sliceStart > SLICE_MS) {
      await new Promise((resolve) => setImmediate(resolve));
      sliceStart = performance.now();
    }
  }
}

/** Per-trace graph and facts, recomputed only when a trace changes (the store re-assembles it then). */
const graphCache = new WeakMap<AssembledTrace, { graph: TraceGraph; facts: TraceFacts }>();
export function analyse(trace: AssembledTrace) {
  let cached = graphCache.get(trace);
  if (!cached) {
    const graph = buildTraceGraph(trace);
    cached = { graph, facts: traceFacts(trace, graph) };
    graphCache.set(trace, cached);
  }
  return cached;
}

/** Whether a trace passes a (group's or request's) filter; no filter passes everything. */
export const passes = (filter: FilterNode | undefined, trace: AssembledTrace) =>
  !filter || evaluateFilter(filter, analyse(trace).facts.subject);
