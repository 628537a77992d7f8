/**
 * `runCheck`: sends the probes, waits for X-Ray (backoff, overall timeout, progress lines), judges every
 * expected flow and returns the report. The CLI (`cli.ts`) is a thin shell around it; tests call it in-process.
 * Why one file: probing, polling and judging share the run's clock and its progress lines; the trace graph, the
 * expectations and the report formats are already modules of their own.
 */
import type { XRayClient } from '@aws-sdk/client-xray';
import { names, type ApiKey, type TraceProbe } from '../../system/definition';
import { ConfigError, resolveConfig, type CheckSettings, type ResolvedConfig } from './config';
import {
  describeMatcher,
  evaluateFlow,
  matches,
  resolveFlows,
  type FlowVerdict,
  type ResolvedFlow,
} from './expectations';
import { sendProbes, type ProbeResult } from './probes';
import { buildTraceGraph, splitEdgeKey, type NodeStatus, type TraceGraph } from './trace-graph';
import { classifyXRayError, createXRayClient, detectTraceStore, XRaySource, type TraceStore } from './xray-source';

export interface RunCheckOptions extends CheckSettings {
  /** First wait between polls; grows by half each poll up to `maxPollIntervalMs`. */
  pollIntervalMs?: number;
  maxPollIntervalMs?: number;
  /** Per-probe HTTP timeout. */
  probeTimeoutMs?: number;
  onProgress?: (line: string) => void;
  /** Injected client (tests); default: one built from region/endpoint. */
  client?: XRayClient;
  /**
   * Read traces through CloudWatch Transaction Search (true) or X-Ray's BatchGetTraces (false); undefined = ask
   * X-Ray where the account's segments go (GetTraceSegmentDestination).
   */
  transactionSearch?: boolean;
}

export interface ReportRow {
  node: string;
  type: string;
  inferred: boolean;
  depth: number;
  durationMs?: number;
  status: NodeStatus;
  httpStatus?: number;
  problems: string[];
}

export interface ReportTrace {
  traceId: string;
  flows: string[];
  inProgress: boolean;
  rows: ReportRow[];
}

export interface ReportFlow {
  id: string;
  description: string;
  state: 'passed' | 'failed';
  traceIds: string[];
  edges: { from: string; to: string; found: boolean }[];
  problems: string[];
  notes: string[];
}

export interface MapNode {
  id: string;
  name: string;
  type: string;
  inferred: boolean;
  /** Seen in a trace; false = expected but missing. */
  seen: boolean;
  status: 'ok' | 'error' | 'fault' | 'missing';
  count: number;
  avgMs?: number;
}

export interface MapEdge {
  from: string;
  to: string;
  expected: boolean;
  missing: boolean;
}

export interface CheckReport {
  ok: boolean;
  exitCode: 0 | 1;
  env: string;
  region: string;
  xrayEndpoint: string;
  apiUrls: Record<ApiKey, string>;
  startedAt: string;
  finishedAt: string;
  durationMs: number;
  timedOut: boolean;
  polls: number;
  /** Where the full traces were read from: X-Ray (BatchGetTraces) or Transaction Search (StartTraceRetrieval). */
  traceStore: TraceStore;
  xrayCalls: XRaySource['calls'];
  probes: ProbeResult[];
  flows: ReportFlow[];
  traces: ReportTrace[];
  serviceMap: { nodes: MapNode[]; edges: MapEdge[] };
  /** Every reason the check failed, each naming its flow or probe. Empty when ok. */
  problems: string[];
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const PROBE_API: Record<TraceProbe, ApiKey> = {
  question: 'questions',
  click: 'clicks',
  'invalid-question': 'questions',
};

/** The probe's own request trace is a trace of this flow when the flow starts at the probe's stage. */
const startsAtProbeRequest = (flow: ResolvedFlow, env: string) =>
  flow.entry.names.includes(names.stageSegment(env, PROBE_API[flow.probe]));

export async function runCheck(options: RunCheckOptions): Promise<CheckReport> {
  const config = resolveConfig(options);
  const progress = options.onProgress ?? (() => {});
  const startedAt = Date.now();
  const deadline = startedAt + config.timeoutMs;
  const flows = resolveFlows({ env: config.env, apiUrls: config.apiUrls }, undefined, config.latencyBudgetFactor);
  const client = options.client ?? createXRayClient(config);

  // Reach X-Ray first: a wrong endpoint or missing credentials should not cost a probe question in the mailbox.
  progress(`X-Ray: ${config.endpoint ?? `the ${config.region} endpoint`}`);
  const store = await chooseTraceStore(client, options.transactionSearch, config, progress);
  const source = new XRaySource(client, {
    endpoint: config.endpoint,
    store,
    retrievalPollMs: Math.min(options.pollIntervalMs ?? 500, 500),
    retrievalMaxPollMs: Math.min(options.maxPollIntervalMs ?? 2000, 2000),
  });
  try {
    const stage = names.stageSegment(config.env, 'questions');
    await source.findTraceIds(
      `service("${stage}")`,
      new Date(startedAt - 1000),
      new Date(startedAt),
      AbortSignal.timeout(Math.min(30_000, config.timeoutMs)),
    );
  } catch (err) {
    if (err instanceof ConfigError) throw err;
    progress(`X-Ray: ${(err as Error).message} (will retry while waiting for the traces)`);
  }
  progress(`probing ${config.env}: question, click, invalid question`);
  const probes = await sendProbes(config, { timeoutMs: Math.min(options.probeTimeoutMs ?? 30_000, config.timeoutMs) });
  for (const probe of probes) progress(`  ${probe.probe}: ${probe.method} ${probe.url} -> ${probe.message}`);
  const probeOf = (flow: ResolvedFlow) => probes.find((p) => p.probe === flow.probe)!;

  // Traces are searched from a little before the first probe (clock skew) to a little after "now".
  const windowStart = new Date(Math.min(...probes.map((p) => p.sentAt)) - 30_000);
  const verdicts = new Map<string, FlowVerdict>();
  const graphs = new Map<string, TraceGraph>();
  const candidatesOf = new Map<string, string[]>();

  for (const flow of flows) {
    const probe = probeOf(flow);
    if ('annotation' in flow.findBy && !probe.annotationValue && !startsAtProbeRequest(flow, config.env)) {
      verdicts.set(flow.id, {
        state: 'failed',
        settled: true,
        traceIds: [],
        edges: flow.edges.map(([from, to]) => ({ from, to })),
        problems: [`not checked: the ${probe.probe} probe gave no ${flow.findBy.annotation} to find its traces by`],
        notes: [],
      });
    }
  }

  let interval = options.pollIntervalMs ?? 2000;
  const maxInterval = options.maxPollIntervalMs ?? 10_000;
  let polls = 0;
  let timedOut = false;
  let lastXRayError: string | undefined;
  for (;;) {
    polls++;
    const pending = flows.filter((f) => !verdicts.get(f.id)?.settled);
    const abort = AbortSignal.timeout(Math.max(1000, deadline - Date.now()));
    try {
      for (const flow of pending) {
        const probe = probeOf(flow);
        const filter =
          'annotation' in flow.findBy
            ? probe.annotationValue
              ? `annotation.${flow.findBy.annotation} = "${probe.annotationValue}"`
              : undefined
            : `service("${flow.findBy.service}")`;
        const found = filter ? await source.findTraceIds(filter, windowStart, new Date(Date.now() + 5000), abort) : [];
        if (startsAtProbeRequest(flow, config.env) && !found.includes(probe.traceId)) found.push(probe.traceId);
        candidatesOf.set(flow.id, found);
      }
      const wanted = [...new Set(pending.flatMap((f) => candidatesOf.get(f.id) ?? []))];
      const window = { start: windowStart, end: new Date(Date.now() + 5000) };
      for (const trace of await source.getTraces(wanted, window, abort)) {
        graphs.set(trace.traceId, buildTraceGraph(trace.traceId, trace.documents));
      }
      lastXRayError = undefined;
    } catch (err) {
      if (err instanceof ConfigError) throw err;
      // Throttling, a dropped connection, a slow answer: the next poll tries again.
      lastXRayError = `${(err as Error).name}: ${(err as Error).message}`;
    }
    for (const flow of pending) {
      const probe = probeOf(flow);
      const candidates = (candidatesOf.get(flow.id) ?? [])
        .map((id) => graphs.get(id))
        .filter((g): g is TraceGraph => !!g);
      verdicts.set(flow.id, evaluateFlow(flow, candidates, [probe.traceId]));
    }

    const elapsed = ((Date.now() - startedAt) / 1000).toFixed(1);
    const states = flows.map((f) => {
      const v = verdicts.get(f.id)!;
      const mark =
        v.state === 'passed'
          ? v.settled
            ? 'ok'
            : 'ok, in progress'
          : v.state === 'failed'
            ? 'FAILED'
            : `waiting (${v.traceIds.length} traces)`;
      return `${f.id} ${mark}`;
    });
    progress(
      `poll ${polls} at ${elapsed} s: ` +
        `${states.join('; ')}${lastXRayError ? `; X-Ray: ${lastXRayError}, retrying` : ''}`,
    );

    if (flows.every((f) => verdicts.get(f.id)!.settled)) break;
    if (Date.now() + interval >= deadline) {
      timedOut = true;
      break;
    }
    await sleep(interval);
    interval = Math.min(Math.round(interval * 1.5), maxInterval);
  }

  return buildReport({ config, startedAt, probes, flows, verdicts, graphs, polls, timedOut, source, lastXRayError });
}

/**
 * The flag decides; without it, X-Ray's segment destination does. An X-Ray that cannot be reached or credentials
 * that are missing stop the check (exit 2, before any probe); an X-Ray that cannot tell (the sandbox's daemon, a
 * role without xray:GetTraceSegmentDestination) means BatchGetTraces, said in a progress line.
 */
async function chooseTraceStore(
  client: XRayClient,
  flag: boolean | undefined,
  config: ResolvedConfig,
  progress: (line: string) => void,
): Promise<TraceStore> {
  if (flag !== undefined) {
    const store: TraceStore = flag ? 'transaction-search' : 'xray';
    progress(`traces: ${describeStore(store)} (${flag ? '--transaction-search' : '--no-transaction-search'})`);
    return store;
  }
  try {
    const { store, detail } = await detectTraceStore(client, AbortSignal.timeout(Math.min(30_000, config.timeoutMs)));
    progress(`traces: ${describeStore(store)} (${detail})`);
    return store;
  } catch (err) {
    const classified = classifyXRayError(err, config.endpoint);
    if (classified instanceof ConfigError && classified.setting !== 'AWS credentials') throw classified;
    if ((err as Error).name === 'CredentialsProviderError') throw classified;
    progress(
      `traces: ${describeStore('xray')} (the segment destination is unknown: ${(err as Error).name}: ` +
        `${(err as Error).message}; ` +
        'pass --transaction-search if the account uses CloudWatch Transaction Search)',
    );
    return 'xray';
  }
}

const describeStore = (store: TraceStore) =>
  store === 'transaction-search'
    ? 'CloudWatch Transaction Search (StartTraceRetrieval, ListRetrievedTraces)'
    : 'X-Ray (BatchGetTraces)';

/** Why a flow found by annotation or service may find nothing in an account with Transaction Search. */
const INDEXING_NOTE =
  'with Transaction Search, GetTraceSummaries finds only the indexed share of traces: index 100% while checking ' +
  '(`aws xray update-indexing-rule --name Default --rule \'{"Probabilistic":{"DesiredSamplingPercentage":100}}\'`, ' +
  'docs/check-traces.md)';

function buildReport(input: {
  config: ResolvedConfig;
  startedAt: number;
  probes: ProbeResult[];
  flows: ResolvedFlow[];
  verdicts: Map<string, FlowVerdict>;
  graphs: Map<string, TraceGraph>;
  polls: number;
  timedOut: boolean;
  source: XRaySource;
  lastXRayError?: string;
}): CheckReport {
  const { config, probes, flows, verdicts, graphs, timedOut } = input;
  const waitedSeconds = Math.round((Date.now() - input.startedAt) / 1000);
  const reportFlows: ReportFlow[] = flows.map((flow) => {
    const v = verdicts.get(flow.id)!;
    const passed = v.state === 'passed';
    const problems = passed
      ? []
      : v.state === 'waiting'
        ? v.problems.map((p) => `${p} (still missing after ${waitedSeconds} s)`)
        : [...v.problems];
    if (!passed && input.lastXRayError) problems.push(`X-Ray kept failing: ${input.lastXRayError}`);
    const notes = [...v.notes];
    if (passed && !v.settled) notes.push('passed with segments still in progress when the wait ended');
    if (!passed && v.traceIds.length === 0 && input.source.store === 'transaction-search') notes.push(INDEXING_NOTE);
    return {
      id: flow.id,
      description: flow.description,
      state: passed ? 'passed' : 'failed',
      traceIds: [...v.traceIds],
      edges: v.edges.map((e) => ({ from: describeMatcher(e.from), to: describeMatcher(e.to), found: !!e.found })),
      problems,
      notes,
    };
  });

  const traceFlows = new Map<string, string[]>();
  for (const flow of reportFlows)
    for (const id of flow.traceIds) traceFlows.set(id, [...(traceFlows.get(id) ?? []), flow.id]);
  const traces: ReportTrace[] = [...traceFlows].map(([traceId, flowIds]) => {
    const graph = graphs.get(traceId)!;
    return {
      traceId,
      flows: flowIds,
      inProgress: graph.inProgress,
      rows: graph.visits.map((v) => ({
        node: v.name,
        type: v.type,
        inferred: v.inferred,
        depth: v.depth,
        durationMs: v.durationMs,
        status: v.status,
        httpStatus: v.httpStatus,
        problems: v.problems.map((p) => `${p.kind} at ${p.path}${p.cause ? `: ${p.cause}` : ''}`),
      })),
    };
  });

  const serviceMap = buildServiceMap(flows, verdicts, graphs);
  const problems = [
    ...probes.filter((p) => !p.ok).map((p) => `probe ${p.probe}: ${p.method} ${p.url} ${p.message}`),
    ...reportFlows.flatMap((f) => f.problems.map((p) => `${f.id}: ${p}`)),
  ];
  const ok = problems.length === 0;
  return {
    ok,
    exitCode: ok ? 0 : 1,
    env: config.env,
    region: config.region,
    xrayEndpoint: config.endpoint ?? `https://xray.${config.region}.amazonaws.com`,
    apiUrls: { ...config.apiUrls },
    startedAt: new Date(input.startedAt).toISOString(),
    finishedAt: new Date().toISOString(),
    durationMs: Date.now() - input.startedAt,
    timedOut,
    polls: input.polls,
    traceStore: input.source.store,
    xrayCalls: { ...input.source.calls },
    probes,
    flows: reportFlows,
    traces,
    serviceMap,
    problems,
  };
}

/** The union of the flows' traces as one service map, with expected edges that never showed up drawn as missing. */
function buildServiceMap(
  flows: ResolvedFlow[],
  verdicts: Map<string, FlowVerdict>,
  graphs: Map<string, TraceGraph>,
): CheckReport['serviceMap'] {
  const nodes = new Map<string, MapNode & { totalMs: number; timed: number }>();
  const edges = new Map<string, MapEdge>();
  const rank = { ok: 0, 'in progress': 0, error: 1, fault: 2 } as const;
  const traceIds = new Set(flows.flatMap((f) => verdicts.get(f.id)?.traceIds ?? []));
  for (const id of traceIds) {
    const graph = graphs.get(id)!;
    for (const node of graph.nodes.values()) {
      if (!nodes.has(node.id))
        nodes.set(node.id, { ...node, seen: true, status: 'ok', count: 0, totalMs: 0, timed: 0 });
    }
    for (const visit of graph.visits) {
      const node = nodes.get(visit.nodeId)!;
      node.count++;
      if (visit.durationMs !== undefined) {
        node.totalMs += visit.durationMs;
        node.timed++;
      }
      const status = visit.status === 'in progress' ? 'ok' : visit.status;
      if (node.status !== 'missing' && rank[status] > rank[node.status]) node.status = status;
    }
    for (const key of graph.edges) {
      const [from, to] = splitEdgeKey(key);
      edges.set(`${from}->${to}`, { from, to, expected: false, missing: false });
    }
  }
  for (const flow of flows) {
    for (const edge of verdicts.get(flow.id)?.edges ?? []) {
      if (edge.found) {
        const existing = edges.get(`${edge.found[0]}->${edge.found[1]}`);
        if (existing) existing.expected = true;
        continue;
      }
      const endpoint = (matcher: typeof edge.from) => {
        const seen = [...nodes.values()].find((n) => n.seen && matches(matcher, n));
        if (seen) return seen.id;
        const id = `missing:${describeMatcher(matcher)}`;
        if (!nodes.has(id)) {
          nodes.set(id, {
            id,
            name: matcher.names[0],
            type: matcher.type ?? '',
            inferred: false,
            seen: false,
            status: 'missing',
            count: 0,
            totalMs: 0,
            timed: 0,
          });
        }
        return id;
      };
      const from = endpoint(edge.from);
      const to = endpoint(edge.to);
      edges.set(`${from}->${to}`, { from, to, expected: true, missing: true });
    }
  }
  return {
    nodes: [...nodes.values()].map(({ totalMs, timed, ...node }) => ({
      ...node,
      avgMs: timed > 0 ? Math.round(totalMs / timed) : undefined,
    })),
    edges: [...edges.values()],
  };
}
