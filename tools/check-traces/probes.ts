/**
 * The three requests whose traces are checked. Each carries its own `X-Amzn-Trace-Id` (a new root, sampled):
 * API Gateway keeps a trace id it is given, so the checker knows which trace is its own even when other
 * traffic lands in the same time window.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import catalogue from '../../data/mysfits.json';
import { CLICKS_ROUTE, type ApiKey, type TraceProbe } from '../../system/definition';
import { ConfigError, type ResolvedConfig } from './config';

export interface ProbeResult {
  readonly probe: TraceProbe;
  readonly method: string;
  readonly url: string;
  readonly expectedStatus: number;
  readonly status?: number;
  /** Whether the answer was the expected one. */
  readonly ok: boolean;
  /** The trace id the probe sent. */
  readonly traceId: string;
  readonly sentAt: number;
  readonly durationMs: number;
  /** What the flows look traces up by: the QuestionId of the 201, the clicked MysfitId. */
  readonly annotationValue?: string;
  readonly message: string;
}

/** A new X-Ray trace id: `1-<epoch seconds, 8 hex>-<96 random bits, 24 hex>`. */
export function newTraceId(now = Date.now()): string {
  return `1-${Math.floor(now / 1000)
    .toString(16)
    .padStart(8, '0')}-${randomBytes(12).toString('hex')}`;
}

/** A mysfit every environment has (seeded from data/mysfits.json). */
export const PROBE_MYSFIT_ID: string = catalogue[0].MysfitId;

interface ProbeRequest {
  probe: TraceProbe;
  api: ApiKey;
  method: string;
  path: string;
  body: unknown;
  expectedStatus: number;
}

async function send(config: ResolvedConfig, request: ProbeRequest, timeoutMs: number) {
  const url = `${config.apiUrls[request.api]}${request.path}`;
  const traceId = newTraceId();
  const sentAt = Date.now();
  let response: Response;
  try {
    response = await fetch(url, {
      method: request.method,
      headers: { 'content-type': 'application/json', 'x-amzn-trace-id': `Root=${traceId};Sampled=1` },
      body: JSON.stringify(request.body),
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (err) {
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    if ((err as Error).name === 'TimeoutError') {
      return {
        url,
        traceId,
        sentAt,
        durationMs: Date.now() - sentAt,
        status: undefined,
        text: `no answer within ${timeoutMs} ms`,
      };
    }
    throw new ConfigError(
      config.apiUrlSources[request.api],
      `${request.method} ${url} failed: ${cause?.code ?? cause?.message ?? (err as Error).message} (is the URL right?)`,
    );
  }
  const text = await response.text();
  return { url, traceId, sentAt, durationMs: Date.now() - sentAt, status: response.status, text };
}

const excerpt = (text: string) => (text.length > 200 ? `${text.slice(0, 200)}…` : text);

export async function sendProbes(config: ResolvedConfig, options: { timeoutMs?: number } = {}): Promise<ProbeResult[]> {
  const timeoutMs = options.timeoutMs ?? 30_000;
  const marker = `check-traces-${randomUUID()}`;
  const results: ProbeResult[] = [];

  // 1. A valid question with a unique marker: its QuestionId finds both the request and the stream trace.
  {
    const request: ProbeRequest = {
      probe: 'question',
      api: 'questions',
      method: 'POST',
      path: '/questions',
      body: { email: 'check-traces@example.com', questionText: `Trace check probe ${marker}: are the mysfits traced?` },
      expectedStatus: 201,
    };
    const answer = await send(config, request, timeoutMs);
    let questionId: string | undefined;
    try {
      const parsed = JSON.parse(answer.text) as { questionId?: unknown };
      if (typeof parsed.questionId === 'string') questionId = parsed.questionId;
    } catch {
      /* reported below */
    }
    const ok = answer.status === 201 && !!questionId;
    results.push({
      probe: request.probe,
      method: request.method,
      url: answer.url,
      expectedStatus: 201,
      status: answer.status,
      ok,
      traceId: answer.traceId,
      sentAt: answer.sentAt,
      durationMs: answer.durationMs,
      annotationValue: questionId,
      message: ok
        ? `201, QuestionId ${questionId} (marker ${marker})`
        : `answered ${answer.status ?? 'nothing'} (expected 201 with a questionId): ${excerpt(answer.text)}`,
    });
  }

  // 2. A click on a known mysfit: process-clicks looks it up in the mysfits API.
  {
    const request: ProbeRequest = {
      probe: 'click',
      api: 'clicks',
      method: CLICKS_ROUTE.method,
      path: CLICKS_ROUTE.path,
      body: { userId: marker.slice(0, 40), mysfitId: PROBE_MYSFIT_ID },
      expectedStatus: 200,
    };
    const answer = await send(config, request, timeoutMs);
    const ok = answer.status === 200;
    results.push({
      probe: request.probe,
      method: request.method,
      url: answer.url,
      expectedStatus: 200,
      status: answer.status,
      ok,
      traceId: answer.traceId,
      sentAt: answer.sentAt,
      durationMs: answer.durationMs,
      annotationValue: PROBE_MYSFIT_ID,
      message: ok
        ? `200, MysfitId ${PROBE_MYSFIT_ID}`
        : `answered ${answer.status ?? 'nothing'} (expected 200): ${excerpt(answer.text)}`,
    });
  }

  // 3. An invalid question: must be a 400, recorded by X-Ray as an error, not a fault.
  {
    const request: ProbeRequest = {
      probe: 'invalid-question',
      api: 'questions',
      method: 'POST',
      path: '/questions',
      body: { email: 'not-an-e-mail', questionText: '' },
      expectedStatus: 400,
    };
    const answer = await send(config, request, timeoutMs);
    const ok = answer.status === 400;
    results.push({
      probe: request.probe,
      method: request.method,
      url: answer.url,
      expectedStatus: 400,
      status: answer.status,
      ok,
      traceId: answer.traceId,
      sentAt: answer.sentAt,
      durationMs: answer.durationMs,
      message: ok
        ? '400 as expected'
        : `answered ${answer.status ?? 'nothing'} (expected 400): ${excerpt(answer.text)}`,
    });
  }
  return results;
}
