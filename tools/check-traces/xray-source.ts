/**
 * Reads traces from X-Ray (AWS or the sandbox's local daemon: the same API through @aws-sdk/client-xray):
 * GetTraceSummaries, paginated, then the full traces from where the account keeps them:
 * - X-Ray (the default destination): BatchGetTraces at most 5 ids per call (X-Ray's limit), paginated too;
 * - CloudWatch Transaction Search (destination CloudWatchLogs): X-Ray holds only the indexed share of traces, and
 *   "You cannot find traces through [BatchGetTraces] if Transaction Search is enabled"
 *   (https://docs.aws.amazon.com/xray/latest/api/API_BatchGetTraces.html). The spans are read from the `aws/spans`
 *   log group instead: StartTraceRetrieval (at most 100 ids, a time range; returns a RetrievalToken,
 *   https://docs.aws.amazon.com/xray/latest/api/API_StartTraceRetrieval.html), then ListRetrievedTraces until its
 *   RetrievalStatus is COMPLETE ("When the RetrievalStatus is not COMPLETE, the API will return an empty response",
 *   https://docs.aws.amazon.com/xray/latest/api/API_ListRetrievedTraces.html), paginated, in TraceFormat XRAY so
 *   each span's Document is a segment document like BatchGetTraces gives.
 */
import {
  BatchGetTracesCommand,
  GetTraceSegmentDestinationCommand,
  GetTraceSummariesCommand,
  ListRetrievedTracesCommand,
  StartTraceRetrievalCommand,
  XRayClient,
  type ListRetrievedTracesCommandOutput,
} from '@aws-sdk/client-xray';
import { ConfigError } from './config';

/** BatchGetTraces accepts at most this many trace ids per call. */
export const BATCH_GET_TRACES_LIMIT = 5;
/** StartTraceRetrieval accepts at most this many trace ids per call (TraceIds: "Maximum number of 100 items"). */
export const START_TRACE_RETRIEVAL_LIMIT = 100;
/** Guard against a service that never stops handing out NextTokens. */
const MAX_PAGES = 50;
/** A retrieval still SCHEDULED/RUNNING after this many ListRetrievedTraces calls is given up on for this poll. */
const MAX_RETRIEVAL_STATUS_POLLS = 20;

/** Where the account's trace segments go (GetTraceSegmentDestination): X-Ray itself, or CloudWatch Logs. */
export type TraceStore = 'xray' | 'transaction-search';

export interface TimeWindow {
  readonly start: Date;
  readonly end: Date;
}

/** A retrieval that ended without traces (FAILED, CANCELLED, TIMEOUT): the caller's next poll starts a new one. */
export class TraceRetrievalError extends Error {
  constructor(status: string) {
    super(`the Transaction Search retrieval ended ${status}`);
    this.name = 'TraceRetrievalError';
  }
}

export interface TraceDocuments {
  readonly traceId: string;
  readonly documents: readonly string[];
}

export function createXRayClient(options: { region: string; endpoint?: string; environment?: NodeJS.ProcessEnv }) {
  const env = options.environment ?? process.env;
  const local = options.endpoint && /^https?:\/\/(127\.0\.0\.1|localhost|\[::1\])(:|\/|$)/.test(options.endpoint);
  return new XRayClient({
    region: options.region,
    endpoint: options.endpoint,
    // The local daemon does not check signatures: don't make the sandbox need AWS credentials.
    credentials:
      local && !env.AWS_ACCESS_KEY_ID && !env.AWS_PROFILE
        ? { accessKeyId: 'local', secretAccessKey: 'local' }
        : undefined,
    maxAttempts: 3,
  });
}

/** Turns errors that no waiting can fix into ConfigErrors naming the setting; others are retried by the caller. */
export function classifyXRayError(err: unknown, endpoint: string | undefined): Error {
  const e = err as { name?: string; code?: string; message?: string; cause?: unknown };
  // Network errors come as they are or wrapped by the SDK's retry layer (`cause`, or only in the message).
  let code: string | undefined;
  for (let at: unknown = err, depth = 0; at && !code && depth < 5; at = (at as { cause?: unknown }).cause, depth++) {
    const c = at as { code?: string; message?: string };
    code = c.code ?? /\b(ECONNREFUSED|ENOTFOUND|EAI_AGAIN)\b/.exec(c.message ?? '')?.[1];
  }
  if (code === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === 'EAI_AGAIN') {
    return new ConfigError(
      endpoint ? '--endpoint' : '--region',
      `X-Ray at ${endpoint ?? 'the regional endpoint'} cannot be reached (${code})`,
    );
  }
  if (e.name === 'CredentialsProviderError') {
    return new ConfigError(
      'AWS credentials',
      `none found for X-Ray (${e.message}); set AWS_PROFILE or AWS_ACCESS_KEY_ID`,
    );
  }
  if (
    [
      'AccessDeniedException',
      'UnrecognizedClientException',
      'InvalidSignatureException',
      'ExpiredTokenException',
    ].includes(e.name ?? '')
  ) {
    return new ConfigError(
      'AWS credentials',
      `X-Ray refused them: ${e.name}: ${e.message} (needs xray:GetTraceSummaries and xray:BatchGetTraces, or with ` +
        `Transaction Search xray:StartTraceRetrieval and xray:ListRetrievedTraces; see docs/check-traces.md)`,
    );
  }
  return err instanceof Error ? err : new Error(String(err));
}

const sleep = (ms: number, abortSignal?: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    if (abortSignal?.aborted) return reject(abortSignal.reason);
    const timer = setTimeout(resolve, ms);
    abortSignal?.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        reject(abortSignal.reason);
      },
      { once: true },
    );
  });

/**
 * Asks X-Ray where segments go. `CloudWatchLogs` (ACTIVE, or PENDING while the switch is under way) means
 * Transaction Search. A daemon without the operation (the sandbox's) or a role without
 * xray:GetTraceSegmentDestination answers with an error: the caller falls back to X-Ray and says so.
 */
export async function detectTraceStore(
  client: XRayClient,
  abortSignal?: AbortSignal,
): Promise<{ store: TraceStore; detail: string }> {
  const answer = await client.send(new GetTraceSegmentDestinationCommand({}), { abortSignal });
  const store: TraceStore = answer?.Destination === 'CloudWatchLogs' ? 'transaction-search' : 'xray';
  return {
    store,
    detail: `segment destination ${answer?.Destination ?? 'not given'} (${answer?.Status ?? 'no status'})`,
  };
}

export interface XRaySourceOptions {
  endpoint?: string;
  /** Where full traces are read from; default X-Ray (BatchGetTraces). */
  store?: TraceStore;
  /** First wait between ListRetrievedTraces calls while a retrieval runs (then x1.5, up to `retrievalMaxPollMs`). */
  retrievalPollMs?: number;
  /** Longest wait between ListRetrievedTraces calls; default 2 s. */
  retrievalMaxPollMs?: number;
}

export class XRaySource {
  /** Calls made, for progress lines and tests. */
  readonly calls = { getTraceSummaries: 0, batchGetTraces: 0, startTraceRetrieval: 0, listRetrievedTraces: 0 };
  readonly store: TraceStore;
  private readonly endpoint?: string;
  private readonly retrievalPollMs: number;
  private readonly retrievalMaxPollMs: number;

  constructor(
    private readonly client: XRayClient,
    options: XRaySourceOptions = {},
  ) {
    this.endpoint = options.endpoint;
    this.store = options.store ?? 'xray';
    this.retrievalPollMs = options.retrievalPollMs ?? 500;
    this.retrievalMaxPollMs = options.retrievalMaxPollMs ?? 2000;
  }

  private async call<T>(send: () => Promise<T>): Promise<T> {
    try {
      return await send();
    } catch (err) {
      throw classifyXRayError(err, this.endpoint);
    }
  }

  /** Ids of traces matching a filter expression whose start lies in [start, end]. */
  async findTraceIds(filterExpression: string, start: Date, end: Date, abortSignal?: AbortSignal): Promise<string[]> {
    const ids = new Set<string>();
    let nextToken: string | undefined;
    for (let page = 0; page < MAX_PAGES; page++) {
      this.calls.getTraceSummaries++;
      const answer = await this.call(() =>
        this.client.send(
          new GetTraceSummariesCommand({
            StartTime: start,
            EndTime: end,
            FilterExpression: filterExpression,
            NextToken: nextToken,
            Sampling: false,
          }),
          { abortSignal },
        ),
      );
      for (const summary of answer.TraceSummaries ?? []) if (summary.Id) ids.add(summary.Id);
      nextToken = answer.NextToken;
      if (!nextToken) break;
    }
    return [...ids];
  }

  /**
   * The segment documents of each trace X-Ray has (traces it does not know yet are simply absent). `window` bounds
   * a Transaction Search retrieval; BatchGetTraces needs none.
   */
  async getTraces(
    traceIds: readonly string[],
    window: TimeWindow,
    abortSignal?: AbortSignal,
  ): Promise<TraceDocuments[]> {
    if (traceIds.length === 0) return [];
    return this.store === 'transaction-search'
      ? this.retrieveTraces(traceIds, window, abortSignal)
      : this.batchGetTraces(traceIds, abortSignal);
  }

  private async batchGetTraces(traceIds: readonly string[], abortSignal?: AbortSignal): Promise<TraceDocuments[]> {
    const byId = new Map<string, string[]>();
    for (let i = 0; i < traceIds.length; i += BATCH_GET_TRACES_LIMIT) {
      const chunk = traceIds.slice(i, i + BATCH_GET_TRACES_LIMIT);
      let nextToken: string | undefined;
      for (let page = 0; page < MAX_PAGES; page++) {
        this.calls.batchGetTraces++;
        const answer = await this.call(() =>
          this.client.send(new BatchGetTracesCommand({ TraceIds: chunk, NextToken: nextToken }), { abortSignal }),
        );
        for (const trace of answer.Traces ?? []) {
          if (!trace.Id) continue;
          const documents = byId.get(trace.Id) ?? [];
          for (const segment of trace.Segments ?? []) if (segment.Document) documents.push(segment.Document);
          byId.set(trace.Id, documents);
        }
        nextToken = answer.NextToken;
        if (!nextToken) break;
      }
    }
    return [...byId].map(([traceId, documents]) => ({ traceId, documents }));
  }

  /** Transaction Search: one retrieval per 100 ids, each polled until COMPLETE, then read page by page. */
  private async retrieveTraces(
    traceIds: readonly string[],
    window: TimeWindow,
    abortSignal?: AbortSignal,
  ): Promise<TraceDocuments[]> {
    const byId = new Map<string, string[]>();
    for (let i = 0; i < traceIds.length; i += START_TRACE_RETRIEVAL_LIMIT) {
      const chunk = traceIds.slice(i, i + START_TRACE_RETRIEVAL_LIMIT);
      this.calls.startTraceRetrieval++;
      const started = await this.call(() =>
        this.client.send(
          new StartTraceRetrievalCommand({ TraceIds: chunk, StartTime: window.start, EndTime: window.end }),
          { abortSignal },
        ),
      );
      if (!started.RetrievalToken) throw new Error('StartTraceRetrieval answered without a RetrievalToken');
      for (const page of await this.retrievedPages(started.RetrievalToken, abortSignal)) {
        for (const trace of page.Traces ?? []) {
          if (!trace.Id) continue;
          const documents = byId.get(trace.Id) ?? [];
          for (const span of trace.Spans ?? []) if (span.Document) documents.push(span.Document);
          byId.set(trace.Id, documents);
        }
      }
    }
    return [...byId].map(([traceId, documents]) => ({ traceId, documents }));
  }

  /** Waits (bounded) for the retrieval to be COMPLETE, then reads all its pages. */
  private async retrievedPages(
    retrievalToken: string,
    abortSignal?: AbortSignal,
  ): Promise<ListRetrievedTracesCommandOutput[]> {
    const list = (nextToken?: string) => {
      this.calls.listRetrievedTraces++;
      return this.call(() =>
        this.client.send(
          new ListRetrievedTracesCommand({ RetrievalToken: retrievalToken, TraceFormat: 'XRAY', NextToken: nextToken }),
          { abortSignal },
        ),
      );
    };
    let wait = this.retrievalPollMs;
    let answer = await list();
    for (let polls = 1; answer.RetrievalStatus !== 'COMPLETE'; polls++) {
      if (answer.RetrievalStatus !== 'SCHEDULED' && answer.RetrievalStatus !== 'RUNNING') {
        throw new TraceRetrievalError(answer.RetrievalStatus ?? 'without a status');
      }
      if (polls >= MAX_RETRIEVAL_STATUS_POLLS)
        throw new TraceRetrievalError(`still ${answer.RetrievalStatus} after ${polls} polls`);
      await sleep(wait, abortSignal);
      wait = Math.min(Math.round(wait * 1.5), this.retrievalMaxPollMs);
      answer = await list();
    }
    const pages = [answer];
    for (let page = 1; answer.NextToken && page < MAX_PAGES; page++) {
      answer = await list(answer.NextToken);
      pages.push(answer);
    }
    return pages;
  }
}
