/**
 * Test support for the trace checker: the recorded fixtures (templated), a fake X-Ray behind
 * aws-sdk-client-mock (filters, time window, pagination, the 5-id limit, traces that arrive late), and a local
 * HTTP stub standing in for the three APIs (it keeps the trace ids the probes send, as API Gateway does).
 */
import {
  BatchGetTracesCommand,
  GetTraceSegmentDestinationCommand,
  GetTraceSummariesCommand,
  ListRetrievedTracesCommand,
  StartTraceRetrievalCommand,
  XRayClient,
  type GetTraceSummariesCommandInput,
  type ListRetrievedTracesCommandInput,
  type StartTraceRetrievalCommandInput,
} from '@aws-sdk/client-xray';
import { mockClient } from 'aws-sdk-client-mock';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { PROBE_MYSFIT_ID } from '../../tools/check-traces/probes';
import type { XRayEntity } from '../../system/segment-document';

type FixtureKey =
  | 'question'
  | 'questionStream'
  | 'questionStreamInProgress'
  | 'click'
  | 'otherClick'
  | 'clickEnrichment'
  | 'invalidQuestion';

const FIXTURES = JSON.parse(fs.readFileSync(path.join(__dirname, 'fixtures', 'traces.json'), 'utf8')) as {
  traces: Record<FixtureKey, { id: string; segments: unknown[] }>;
};

/** X-Ray's answers in an account with CloudWatch Transaction Search, as documented (see the fixture's sources). */
const TRANSACTION_SEARCH = JSON.parse(
  fs.readFileSync(path.join(__dirname, 'fixtures', 'transaction-search.json'), 'utf8'),
) as {
  getTraceSegmentDestination: { Destination: string; Status: string };
  getTraceSegmentDestinationUnknownToDaemon: { name: string; message: string; $metadata: { httpStatusCode: number } };
  startTraceRetrieval: { RetrievalToken: string };
  listRetrievedTracesRunning: { RetrievalStatus: string; Traces: unknown[] };
  batchGetTracesNotIndexed: { Traces: unknown[] };
};

export type Vars = Record<string, string | number | boolean>;

/**
 * The fixtures' variables for a healthy system: the trace ids are the ones the probes actually sent (known once
 * they ran), times are relative to `baseSeconds`. Tests override what their scenario changes.
 */
export function fixtureVars(stub: ApiStub, questionId: string, baseSeconds: number, overrides: Vars = {}): Vars {
  return {
    questionTraceId: stub.traceIds.question ?? 'not-sent',
    clickTraceId: stub.traceIds.click ?? 'not-sent',
    invalidTraceId: stub.traceIds.invalid ?? 'not-sent',
    questionId,
    epochHex: Math.floor(baseSeconds).toString(16),
    mysfitId: PROBE_MYSFIT_ID,
    mysfitsHost: '127.0.0.1',
    mysfitsApi: stub.url,
    dynamoDbEnd: 0.3,
    invalidStatus: 400,
    invalidError: true,
    invalidFault: false,
    otherSuffix: 'a0a0a0a0a0a0a0a0a0a0a0a0',
    ...overrides,
  };
}

/** Fills `{{name}}` placeholders (a whole-string placeholder takes the variable's type) and shifts times by `base`. */
function fill(value: unknown, vars: Vars, base: number, key?: string): unknown {
  if (typeof value === 'string') {
    const whole = /^\{\{(\w+)\}\}$/.exec(value);
    const filled =
      whole && whole[1] in vars
        ? vars[whole[1]]
        : value.replace(/\{\{(\w+)\}\}/g, (m, name: string) => (name in vars ? String(vars[name]) : m));
    if (typeof filled === 'string' && /\{\{\w+\}\}/.test(filled))
      throw new Error(`fixture: unfilled placeholder in ${filled}`);
    return (key === 'start_time' || key === 'end_time') && typeof filled === 'number' ? base + filled : filled;
  }
  if (typeof value === 'number' && (key === 'start_time' || key === 'end_time')) return base + value;
  if (Array.isArray(value)) return value.map((v) => fill(v, vars, base));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, fill(v, vars, base, k)]));
  }
  return value;
}

export interface FakeTrace {
  id: string;
  documents: XRayEntity[];
}

export function loadTrace(key: FixtureKey, vars: Vars, baseSeconds: number): FakeTrace {
  const fixture = FIXTURES.traces[key];
  return {
    id: fill(fixture.id, vars, baseSeconds) as string,
    documents: fill(fixture.segments, vars, baseSeconds) as XRayEntity[],
  };
}

/** Every element (segment or nested subsegment) of a trace, for tests that alter a fixture. */
export function findElement(trace: FakeTrace, name: string): XRayEntity {
  const all: XRayEntity[] = [];
  const walk = (d: XRayEntity) => {
    all.push(d);
    d.subsegments?.forEach(walk);
  };
  trace.documents.forEach(walk);
  const found = all.find((d) => d.name === name);
  if (!found) throw new Error(`fixture: no element named ${name}`);
  return found;
}

function hasAnnotation(trace: FakeTrace, key: string, value: string) {
  const walk = (d: XRayEntity): boolean => d.annotations?.[key] === value || (d.subsegments ?? []).some(walk);
  return trace.documents.some(walk);
}

/**
 * Transaction Search keeps each span as its own record, so a retrieved trace in TraceFormat XRAY comes as one
 * document per span: subsegments detached from their parents (`type: "subsegment"`, `parent_id`, `trace_id`).
 */
export function asSpanDocuments(trace: FakeTrace): XRayEntity[] {
  const out: XRayEntity[] = [];
  const detach = (doc: XRayEntity, parentId: string | undefined, traceId: string) => {
    const { subsegments, ...own } = doc;
    out.push(parentId ? { ...own, type: 'subsegment', parent_id: parentId, trace_id: traceId } : own);
    for (const sub of subsegments ?? []) detach(sub, doc.id, traceId);
  };
  for (const segment of trace.documents) detach(segment, undefined, trace.id);
  return out;
}

export interface FakeXRayOptions {
  pageSize?: number;
  /**
   * `transaction-search`: GetTraceSegmentDestination says CloudWatchLogs, BatchGetTraces finds nothing, the traces
   * come through StartTraceRetrieval/ListRetrievedTraces; `unknown`: the destination operation does not exist (the
   * sandbox's daemon). Default `xray`.
   */
  store?: 'xray' | 'transaction-search' | 'unknown';
  /** Which traces X-Ray indexed as summaries (Transaction Search indexes a share); default all. */
  indexed?: (trace: FakeTrace) => boolean;
  /** ListRetrievedTraces answers RUNNING this many times per retrieval before COMPLETE (default 2). */
  runningPolls?: number;
  /** Traces per ListRetrievedTraces page (default 3). */
  retrievedPageSize?: number;
  /** Final status of the first retrieval instead of COMPLETE (e.g. FAILED); later ones complete. */
  firstRetrievalEnds?: string;
  /** GetTraceSegmentDestination fails with this error (e.g. AccessDeniedException for a role without the action). */
  destinationError?: string;
}

/**
 * A fake X-Ray: `traces()` says what X-Ray holds at the moment of each call (so a test can make traces arrive late,
 * in pieces, or never). GetTraceSummaries pages by `pageSize`; BatchGetTraces rejects more than 5 ids as AWS does.
 */
export function installFakeXRay(traces: () => FakeTrace[], options: FakeXRayOptions = {}) {
  const pageSize = options.pageSize ?? 2;
  const store = options.store ?? 'xray';
  const indexed = options.indexed ?? (() => true);
  const mock = mockClient(XRayClient);
  const log = {
    summaries: [] as GetTraceSummariesCommandInput[],
    batchSizes: [] as number[],
    rejectedBatches: 0,
    retrievals: [] as StartTraceRetrievalCommandInput[],
    listCalls: [] as ListRetrievedTracesCommandInput[],
    destinationCalls: 0,
  };

  mock.on(GetTraceSegmentDestinationCommand).callsFake(() => {
    log.destinationCalls++;
    if (options.destinationError) {
      throw Object.assign(new Error(`not authorized to perform: xray:GetTraceSegmentDestination`), {
        name: options.destinationError,
        $metadata: { httpStatusCode: 403 },
      });
    }
    if (store === 'unknown') {
      const recorded = TRANSACTION_SEARCH.getTraceSegmentDestinationUnknownToDaemon;
      throw Object.assign(new Error(recorded.message), { name: recorded.name, $metadata: recorded.$metadata });
    }
    return store === 'transaction-search'
      ? TRANSACTION_SEARCH.getTraceSegmentDestination
      : { Destination: 'XRay', Status: 'ACTIVE' };
  });

  mock.on(GetTraceSummariesCommand).callsFake((input: GetTraceSummariesCommandInput) => {
    log.summaries.push(input);
    const filter = input.FilterExpression ?? '';
    const annotation = /^annotation\.(\w+) = "([^"]*)"$/.exec(filter);
    const service = /^service\("([^"]+)"\)$/.exec(filter);
    if (!annotation && !service)
      throw Object.assign(new Error(`unsupported filter ${filter}`), { name: 'InvalidRequestException' });
    const start = (input.StartTime as Date).getTime() / 1000;
    const end = (input.EndTime as Date).getTime() / 1000;
    const matching = traces().filter((t) => {
      if (!indexed(t)) return false;
      const first = Math.min(...t.documents.map((d) => d.start_time ?? Infinity));
      if (first < start || first > end) return false;
      return annotation
        ? hasAnnotation(t, annotation[1], annotation[2])
        : t.documents.some((d) => d.name === service![1] && d.type !== 'subsegment');
    });
    const offset = input.NextToken ? Number(input.NextToken) : 0;
    const page = matching.slice(offset, offset + pageSize);
    return {
      TraceSummaries: page.map((t) => ({ Id: t.id, IsPartial: t.documents.some((d) => d.in_progress) })),
      NextToken: offset + pageSize < matching.length ? String(offset + pageSize) : undefined,
      ApproximateTime: new Date(),
      TracesProcessedCount: matching.length,
    };
  });

  mock.on(BatchGetTracesCommand).callsFake((input: { TraceIds: string[] }) => {
    log.batchSizes.push(input.TraceIds.length);
    // "You cannot find traces through this API if Transaction Search is enabled" (API_BatchGetTraces).
    if (store === 'transaction-search')
      return { ...TRANSACTION_SEARCH.batchGetTracesNotIndexed, UnprocessedTraceIds: input.TraceIds };
    if (input.TraceIds.length > 5) {
      log.rejectedBatches++;
      throw Object.assign(
        new Error(
          '1 validation error detected: Value at traceIds failed to satisfy constraint: Member must have length less ' +
            'than or equal to 5',
        ),
        {
          name: 'ValidationException',
        },
      );
    }
    const held = traces();
    const found = input.TraceIds.map((id) => held.find((t) => t.id === id)).filter((t): t is FakeTrace => !!t);
    return {
      Traces: found.map((t) => ({
        Id: t.id,
        Segments: t.documents.map((d, i) => ({ Id: d.id ?? String(i), Document: JSON.stringify(d) })),
      })),
      UnprocessedTraceIds: input.TraceIds.filter((id) => !found.some((t) => t.id === id)),
    };
  });

  // Retrievals: each token remembers its ids and time range, answers RUNNING a few times, then COMPLETE, paged.
  const retrievals = new Map<string, { ids: string[]; start: number; end: number; polls: number; ends: string }>();
  mock.on(StartTraceRetrievalCommand).callsFake((input: StartTraceRetrievalCommandInput) => {
    log.retrievals.push(input);
    if (!input.TraceIds || input.TraceIds.length > 100 || !input.StartTime || !input.EndTime) {
      throw Object.assign(
        new Error(
          '1 validation error detected: Value at traceIds failed to satisfy constraint: Member must have length less ' +
            'than or equal to 100',
        ),
        {
          name: 'InvalidRequestException',
        },
      );
    }
    const token = `${TRANSACTION_SEARCH.startTraceRetrieval.RetrievalToken}-${retrievals.size + 1}`;
    const ends = retrievals.size === 0 && options.firstRetrievalEnds ? options.firstRetrievalEnds : 'COMPLETE';
    retrievals.set(token, {
      ids: input.TraceIds,
      start: +input.StartTime / 1000,
      end: +input.EndTime / 1000,
      polls: 0,
      ends,
    });
    return { RetrievalToken: token };
  });
  mock.on(ListRetrievedTracesCommand).callsFake((input: ListRetrievedTracesCommandInput) => {
    log.listCalls.push(input);
    const retrieval = retrievals.get(input.RetrievalToken ?? '');
    if (!retrieval) throw Object.assign(new Error('Retrieval token not found'), { name: 'ResourceNotFoundException' });
    if (retrieval.polls++ < (options.runningPolls ?? 2))
      return { ...TRANSACTION_SEARCH.listRetrievedTracesRunning, TraceFormat: input.TraceFormat };
    if (retrieval.ends !== 'COMPLETE')
      return { RetrievalStatus: retrieval.ends, Traces: [], TraceFormat: input.TraceFormat };
    if (input.TraceFormat !== 'XRAY')
      throw new Error(`the fake holds X-Ray segment documents only, asked for ${input.TraceFormat}`);
    const found = traces().filter((t) => {
      const first = Math.min(...t.documents.map((d) => d.start_time ?? Infinity));
      return retrieval.ids.includes(t.id) && first >= retrieval.start && first <= retrieval.end;
    });
    const size = options.retrievedPageSize ?? 3;
    const offset = input.NextToken ? Number(input.NextToken) : 0;
    return {
      RetrievalStatus: 'COMPLETE',
      TraceFormat: 'XRAY',
      Traces: found.slice(offset, offset + size).map((t) => {
        const spans = asSpanDocuments(t);
        const ends = spans.map((d) => d.end_time ?? 0);
        return {
          Id: t.id,
          Duration: Math.max(...ends) - Math.min(...spans.map((d) => d.start_time ?? Infinity)),
          Spans: spans.map((d) => ({ Id: d.id, Document: JSON.stringify(d) })),
        };
      }),
      NextToken: offset + size < found.length ? String(offset + size) : undefined,
    };
  });
  return { mock, log };
}

export interface ApiStub {
  url: string;
  /** The trace ids the probes sent, by probe. */
  traceIds: { question?: string; invalid?: string; click?: string };
  close(): Promise<void>;
}

/** The three APIs on one local port. `questionStatus` lets a test make the valid question fail (e.g. 500). */
export async function startApiStub(options: {
  questionId: string;
  questionStatus?: number;
  /** Called once a probe's trace id is known, before the answer (e.g. to send its segments to a daemon). */
  onProbe?: (probe: 'question' | 'invalid' | 'click') => Promise<void>;
}): Promise<ApiStub> {
  const traceIds: ApiStub['traceIds'] = {};
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', async () => {
      const root = /Root=([^;]+)/.exec(String(req.headers['x-amzn-trace-id'] ?? ''))?.[1];
      const answer = (status: number, payload: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(payload));
      };
      const parsed = JSON.parse(body || '{}') as { email?: string; questionText?: string };
      if (req.method === 'POST' && req.url === '/questions') {
        if (!parsed.email?.includes('@') || !parsed.questionText) {
          traceIds.invalid = root;
          await options.onProbe?.('invalid');
          return answer(400, { message: 'The question is not valid', errors: [{ field: 'email', reason: 'invalid' }] });
        }
        traceIds.question = root;
        await options.onProbe?.('question');
        const status = options.questionStatus ?? 201;
        return status === 201
          ? answer(201, { questionId: options.questionId })
          : answer(status, { message: 'Internal server error' });
      }
      if (req.method === 'PUT' && req.url === '/clicks') {
        traceIds.click = root;
        await options.onProbe?.('click');
        return answer(200, { RecordId: 'abc', Encrypted: false });
      }
      answer(404, { message: 'not found' });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    traceIds,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
