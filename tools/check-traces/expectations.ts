/**
 * The expected graph (`EXPECTED_TRACE_FLOWS` in system/definition.ts) resolved for one environment, and the
 * verdict of one flow over the traces found so far.
 */
import {
  EXPECTED_TRACE_FLOWS,
  FUNCTIONS,
  names,
  type ApiKey,
  type ExpectedFlow,
  type ExpectedNode,
  type FunctionKey,
} from '../../system/definition';
import {
  edgeKey,
  splitEdgeKey,
  type GraphNode,
  type NodeVisit,
  type RecordedProblem,
  type TraceGraph,
} from './trace-graph';

export interface NodeMatcher {
  readonly names: readonly string[];
  readonly type?: string;
}

export interface ResolvedFlow {
  readonly id: ExpectedFlow['id'];
  readonly description: string;
  readonly probe: ExpectedFlow['probe'];
  readonly findBy: { readonly annotation: string } | { readonly service: string };
  readonly entry: NodeMatcher;
  readonly edges: readonly (readonly [NodeMatcher, NodeMatcher])[];
  readonly expect: 'ok' | 'error';
  readonly latencyBudgetsMs: readonly { readonly node: NodeMatcher; readonly maxMs: number }[];
}

export interface NameContext {
  readonly env: string;
  /** Endpoints of the three APIs, for `{host:<api>}`. */
  readonly apiUrls: Readonly<Record<ApiKey, string>>;
}

const isFunctionKey = (key: string): key is FunctionKey => key in FUNCTIONS;
const isApiKey = (key: string): key is ApiKey => key === 'questions' || key === 'clicks' || key === 'mysfits';

/**
 * `{host:<api>}` is the API's host name (what the X-Ray SDK names an HTTP subsegment); `hostWithPort` gives
 * `host:port` instead, which is what a node inferred from the request URL is called when the URL has a port.
 */
export function resolveName(template: string, context: NameContext, hostWithPort = false): string {
  return template.replace(/\{(stage|fn|host):([A-Za-z]+)\}/g, (whole, kind: string, key: string) => {
    if (kind === 'fn' && isFunctionKey(key)) return names.function(context.env, key);
    if (kind === 'stage' && isApiKey(key)) return names.stageSegment(context.env, key);
    if (kind === 'host' && isApiKey(key)) return new URL(context.apiUrls[key])[hostWithPort ? 'host' : 'hostname'];
    throw new Error(`EXPECTED_TRACE_FLOWS: unknown placeholder ${whole}`);
  });
}

function resolveNode(node: ExpectedNode, context: NameContext): NodeMatcher {
  const templates = typeof node.name === 'string' ? [node.name] : node.name;
  const resolved = templates.flatMap((t) => [resolveName(t, context), resolveName(t, context, true)]);
  return { names: [...new Set(resolved)], type: node.type };
}

export function resolveFlows(
  context: NameContext,
  flows: readonly ExpectedFlow[] = EXPECTED_TRACE_FLOWS,
  latencyBudgetFactor = 1,
): ResolvedFlow[] {
  return flows.map((flow) => ({
    id: flow.id,
    description: flow.description,
    probe: flow.probe,
    findBy:
      'annotation' in flow.findBy
        ? { annotation: flow.findBy.annotation }
        : { service: resolveName(flow.findBy.service, context) },
    entry: resolveNode(flow.entry, context),
    edges: flow.edges.map(([from, to]) => [resolveNode(from, context), resolveNode(to, context)] as const),
    expect: flow.expect,
    latencyBudgetsMs: (flow.latencyBudgetsMs ?? []).map((b) => ({
      node: resolveNode(b.node, context),
      maxMs: b.maxMs * latencyBudgetFactor,
    })),
  }));
}

export const matches = (matcher: NodeMatcher, node: { name: string; type: string }) =>
  matcher.names.includes(node.name) && (matcher.type === undefined || matcher.type === node.type);

export const describeMatcher = (matcher: NodeMatcher) =>
  matcher.names.join(' or ') + (matcher.type ? ` (${matcher.type})` : '');

export const describeNode = (node: { name: string; type: string }) =>
  node.type ? `${node.name} (${node.type})` : node.name;

export type FlowState = 'passed' | 'failed' | 'waiting';

export interface EdgeResult {
  readonly from: NodeMatcher;
  readonly to: NodeMatcher;
  /** The graph edge that satisfied it, as node ids. */
  readonly found?: readonly [string, string];
}

export interface FlowVerdict {
  readonly state: FlowState;
  /** `settled`: nothing that arrives later can change the verdict (a fault stays a fault). */
  readonly settled: boolean;
  /** The traces that belong to this flow (started at its entry node). */
  readonly traceIds: readonly string[];
  readonly edges: readonly EdgeResult[];
  /** Why it failed (or would fail if the wait ended now). Each names the missing edge, slow node or fault. */
  readonly problems: readonly string[];
  /** Things worth saying that are not failures (in-progress segments, pieces waiting for their parent). */
  readonly notes: readonly string[];
}

function problemText(problem: RecordedProblem) {
  const status = problem.httpStatus ? ` ${problem.httpStatus}` : '';
  return `${problem.kind}${status} at ${problem.path}${problem.cause ? `: ${problem.cause}` : ''}`;
}

/**
 * Faults and errors that are not explained by another one further down the same trace: a stage's 500 is the
 * consequence of its function's fault, a `## handler` fault the consequence of its `hangingException` subsegment's.
 */
function rootCauses(traces: readonly TraceGraph[]): { causes: RecordedProblem[]; consequences: RecordedProblem[] } {
  const rank = { error: 1, fault: 2 } as const;
  const causes: RecordedProblem[] = [];
  const consequences: RecordedProblem[] = [];
  for (const graph of traces) {
    const below = (from: string) => {
      const reached = new Set<string>();
      const queue = [from];
      while (queue.length > 0) {
        const at = queue.shift()!;
        for (const key of graph.edges) {
          const [a, b] = splitEdgeKey(key);
          if (a === at && !reached.has(b)) {
            reached.add(b);
            queue.push(b);
          }
        }
      }
      reached.delete(from);
      return reached;
    };
    const found = graph.visits.flatMap((v) => v.problems.map((p) => ({ nodeId: v.nodeId, p })));
    for (const { nodeId, p } of found) {
      const downstream = below(nodeId);
      const explained = found.some(
        (q) =>
          q.p !== p &&
          rank[q.p.kind] >= rank[p.kind] &&
          (downstream.has(q.nodeId) || (q.nodeId === nodeId && q.p.path.startsWith(`${p.path} › `))),
      );
      (explained ? consequences : causes).push(p);
    }
  }
  return { causes, consequences };
}

/**
 * Judges one flow over the candidate traces found for it. `preferredTraceIds` are the traces the probe itself
 * started (its own X-Amzn-Trace-Id): when one of them is among the flow's traces, other requests' traces in the
 * same time window are left out.
 */
export function evaluateFlow(
  flow: ResolvedFlow,
  candidates: readonly TraceGraph[],
  preferredTraceIds: readonly string[] = [],
): FlowVerdict {
  const entryNodes = (graph: TraceGraph) =>
    graph.rootNodeIds.map((id) => graph.nodes.get(id)).filter((n): n is GraphNode => !!n);
  let traces = candidates.filter((g) => entryNodes(g).some((n) => matches(flow.entry, n)));
  const own = traces.filter((g) => preferredTraceIds.includes(g.traceId));
  if (own.length > 0) traces = own;

  const notes = [...new Set(traces.flatMap((g) => g.notes))];
  const problems: string[] = [];
  if (traces.length === 0) {
    const seen = [...new Set(candidates.flatMap((g) => entryNodes(g).map(describeNode)))];
    problems.push(
      `no trace starting at ${describeMatcher(flow.entry)} yet` +
        (seen.length > 0 ? ` (the traces found start at: ${seen.join(', ')})` : ''),
    );
    return {
      state: 'waiting',
      settled: false,
      traceIds: [],
      edges: flow.edges.map(([from, to]) => ({ from, to })),
      problems,
      notes,
    };
  }

  const nodes = new Map<string, GraphNode>();
  const edgeSet = new Set<string>();
  for (const graph of traces) {
    for (const [id, node] of graph.nodes) nodes.set(id, node);
    for (const edge of graph.edges) edgeSet.add(edge);
  }
  const edges: EdgeResult[] = flow.edges.map(([from, to]) => {
    for (const a of nodes.values()) {
      if (!matches(from, a)) continue;
      for (const b of nodes.values()) {
        if (matches(to, b) && edgeSet.has(edgeKey(a.id, b.id))) return { from, to, found: [a.id, b.id] as const };
      }
    }
    return { from, to };
  });
  const seenNode = (matcher: NodeMatcher) => [...nodes.values()].some((n) => matches(matcher, n));
  const missing = edges
    .filter((e) => !e.found)
    .map((e) => {
      // A caller that is there with no segment from the Lambda function it called: the function sends no trace.
      const hint =
        e.to.type === 'AWS::Lambda' && seenNode(e.from) && !seenNode(e.to)
          ? ` (no segment from ${e.to.names[0]} arrived: is its tracing Active?)`
          : '';
      return `missing edge ${describeMatcher(e.from)} -> ${describeMatcher(e.to)}${hint}`;
    });

  // Status: faults and errors are final; a missing edge may still arrive.
  const visits: NodeVisit[] = traces.flatMap((g) => g.visits);
  const { causes: recorded, consequences } = rootCauses(traces);
  const causeTexts = new Set(recorded.map(problemText));
  for (const c of consequences) {
    if (!causeTexts.has(problemText(c))) notes.push(`${problemText(c)} (follows from one further down the trace)`);
  }
  const statusProblems: string[] = [];
  if (flow.expect === 'ok') {
    for (const p of recorded) statusProblems.push(problemText(p));
  } else {
    for (const p of recorded.filter((r) => r.kind === 'fault')) {
      statusProblems.push(`${problemText(p)} (expected an error (4xx), not a fault)`);
    }
    const entryVisits = visits.filter((v) => matches(flow.entry, v) && v.depth === 0);
    const entryErrored = entryVisits.some((v) => v.problems.some((p) => p.kind === 'error'));
    if (entryVisits.length > 0 && !entryErrored && !entryVisits.some((v) => v.status === 'in progress')) {
      const statuses = entryVisits.map((v) => v.httpStatus ?? v.status).join(', ');
      statusProblems.push(`${describeMatcher(flow.entry)} recorded ${statuses}, expected an error (4xx)`);
    }
  }
  const slow: string[] = [];
  for (const budget of flow.latencyBudgetsMs) {
    for (const v of visits) {
      if (matches(budget.node, v) && v.durationMs !== undefined && v.durationMs > budget.maxMs) {
        slow.push(`slow node ${describeNode(v)}: ${v.durationMs} ms > budget ${budget.maxMs} ms`);
      }
    }
  }
  // The same problem in several traces (a retried batch) is one line, with its count.
  const counted = (lines: string[]) =>
    [...new Set(lines)].map((line) => {
      const n = lines.filter((l) => l === line).length;
      return n > 1 ? `${line} (x${n})` : line;
    });
  const anyInProgress = traces.some((g) => g.inProgress);
  if (anyInProgress) notes.push('in-progress segments seen (normal while a request or batch is still running)');

  problems.push(...counted(statusProblems), ...counted(slow), ...missing);
  const traceIds = traces.map((g) => g.traceId);
  if (statusProblems.length > 0 || slow.length > 0)
    return { state: 'failed', settled: true, traceIds, edges, problems, notes: [...new Set(notes)] };
  if (missing.length > 0)
    return { state: 'waiting', settled: false, traceIds, edges, problems, notes: [...new Set(notes)] };
  return { state: 'passed', settled: !anyInProgress, traceIds, edges, problems, notes: [...new Set(notes)] };
}
