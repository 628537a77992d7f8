/**
 * Reads traces from X-Ray (AWS or the sandbox's local daemon: the same API through @aws-sdk/client-xray):
 * GetTraceSummaries, paginated, then BatchGetTraces at most 5 ids per call (X-Ray's limit), paginated too.
 */
import { BatchGetTracesCommand, GetTraceSummariesCommand, XRayClient } from '@aws-sdk/client-xray';
import { ConfigError } from './config';

/** BatchGetTraces accepts at most this many trace ids per call. */
export const BATCH_GET_TRACES_LIMIT = 5;
/** Guard against a service that never stops handing out NextTokens. */
const MAX_PAGES = 50;

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
      local && !env.AWS_ACCESS_KEY_ID && !env.AWS_PROFILE ? { accessKeyId: 'local', secretAccessKey: 'local' } : undefined,
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
    return new ConfigError(endpoint ? '--endpoint' : '--region', `X-Ray at ${endpoint ?? 'the regional endpoint'} cannot be reached (${code})`);
  }
  if (e.name === 'CredentialsProviderError') {
    return new ConfigError('AWS credentials', `none found for X-Ray (${e.message}); set AWS_PROFILE or AWS_ACCESS_KEY_ID`);
  }
  if (['AccessDeniedException', 'UnrecognizedClientException', 'InvalidSignatureException', 'ExpiredTokenException'].includes(e.name ?? '')) {
    return new ConfigError('AWS credentials', `X-Ray refused them: ${e.name}: ${e.message} (needs xray:GetTraceSummaries, xray:BatchGetTraces)`);
  }
  return err instanceof Error ? err : new Error(String(err));
}

export class XRaySource {
  /** Calls made, for progress lines and tests. */
  readonly calls = { getTraceSummaries: 0, batchGetTraces: 0 };

  constructor(
    private readonly client: XRayClient,
    private readonly endpoint?: string,
  ) {}

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
          new GetTraceSummariesCommand({ StartTime: start, EndTime: end, FilterExpression: filterExpression, NextToken: nextToken, Sampling: false }),
          { abortSignal },
        ),
      );
      for (const summary of answer.TraceSummaries ?? []) if (summary.Id) ids.add(summary.Id);
      nextToken = answer.NextToken;
      if (!nextToken) break;
    }
    return [...ids];
  }

  /** The segment documents of each trace X-Ray has (traces it does not know yet are simply absent). */
  async getTraces(traceIds: readonly string[], abortSignal?: AbortSignal): Promise<TraceDocuments[]> {
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
}
