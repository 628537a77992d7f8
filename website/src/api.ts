/** Calls to the three APIs. Every failure becomes an `ApiError` whose message names the API and what went wrong. */
import { IDEMPOTENCY_KEY, type MYSFIT_FILTERS, QUESTION_RULES, type MysfitView } from '../../system/api';
import type { SiteConfig } from './config';
import type { FieldProblem, QuestionInput } from './question-rules';

const TIMEOUT_MS = 10_000;

export type MysfitFilter = {
  [K in keyof typeof MYSFIT_FILTERS]: { filter: K; value: (typeof MYSFIT_FILTERS)[K][number] };
}[keyof typeof MYSFIT_FILTERS];

export class ApiError extends Error {
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message);
  }
}

async function call(what: string, url: string, init: RequestInit = {}): Promise<Response> {
  try {
    return await fetch(url, { ...init, signal: AbortSignal.timeout(TIMEOUT_MS) });
  } catch (err) {
    const timedOut = err instanceof DOMException && err.name === 'TimeoutError';
    throw new ApiError(
      timedOut
        ? `The ${what} did not answer within ${TIMEOUT_MS / 1000} seconds.`
        : `The ${what} cannot be reached (${new URL(url).origin}). Check your connection and try again.`,
    );
  }
}

async function json<T>(what: string, response: Response): Promise<T> {
  try {
    return (await response.json()) as T;
  } catch {
    throw new ApiError(`The ${what} sent an answer the page cannot read (HTTP ${response.status}).`, response.status);
  }
}

export async function listMysfits(config: SiteConfig, filter?: MysfitFilter): Promise<MysfitView[]> {
  const url = new URL(`${config.mysfitsApiEndpoint}/mysfits`);
  if (filter) {
    url.searchParams.set('filter', filter.filter);
    url.searchParams.set('value', filter.value);
  }
  const response = await call('mysfits API', url.href);
  if (!response.ok) throw new ApiError(`The mysfits API answered HTTP ${response.status}.`, response.status);
  const body = await json<{ mysfits?: MysfitView[] }>('mysfits API', response);
  if (!Array.isArray(body.mysfits)) throw new ApiError('The mysfits API answered without a list of mysfits.');
  return body.mysfits;
}

export async function getMysfit(config: SiteConfig, mysfitId: string): Promise<MysfitView | undefined> {
  const response = await call('mysfits API', `${config.mysfitsApiEndpoint}/mysfits/${encodeURIComponent(mysfitId)}`);
  if (response.status === 404) return undefined;
  if (!response.ok) throw new ApiError(`The mysfits API answered HTTP ${response.status}.`, response.status);
  return json<MysfitView>('mysfits API', response);
}

/**
 * Records a profile view. Fire and forget: the page never waits for it and the visitor never sees it fail
 * (a lost click costs a data point, not the visit). `keepalive` lets it finish if the visitor navigates away.
 */
export function sendClick(config: SiteConfig, click: { userId: string; mysfitId: string }): void {
  fetch(`${config.streamingApiEndpoint}/clicks`, {
    method: 'PUT',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(click),
    keepalive: true,
  })
    .then((response) => {
      if (!response.ok) console.debug(`click for ${click.mysfitId} not recorded: HTTP ${response.status}`);
    })
    .catch((err: unknown) => console.debug(`click for ${click.mysfitId} not sent:`, err));
}

export type QuestionOutcome =
  | { readonly ok: true; readonly questionId: string }
  | { readonly ok: false; readonly problems: FieldProblem[] };

export interface QuestionSending {
  /** Same key for a retry of the same submission, a new one per question (./submission). */
  readonly idempotencyKey: string;
  /** The honeypot field's value: empty when a person filled the form in. */
  readonly honeypot: string;
}

/**
 * Posts a question; a 400 (or 422: key reused) comes back as the API's per-field problems, anything else
 * unexpected throws.
 */
export async function postQuestion(
  config: SiteConfig,
  question: QuestionInput,
  sending: QuestionSending,
): Promise<QuestionOutcome> {
  const response = await call('questions API', `${config.questionsApiEndpoint}/questions`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', [IDEMPOTENCY_KEY.header]: sending.idempotencyKey },
    body: JSON.stringify({ ...question, [QUESTION_RULES.honeypotField]: sending.honeypot }),
  });
  if (response.status === 201 || response.status === 200) {
    const body = await json<{ questionId?: string }>('questions API', response);
    return { ok: true, questionId: String(body.questionId ?? '') };
  }
  if (response.status === 400 || response.status === 422) {
    const body = await json<{ message?: string; errors?: { field?: string; reason?: string }[] }>(
      'questions API',
      response,
    );
    const problems: FieldProblem[] = (body.errors ?? []).map((e) => ({
      field: e.field === 'email' || e.field === 'questionText' ? e.field : 'body',
      reason: e.reason || body.message || 'The question was not accepted.',
    }));
    if (problems.length === 0)
      problems.push({ field: 'body', reason: body.message || 'The question was not accepted.' });
    return { ok: false, problems };
  }
  throw new ApiError(
    `The questions API answered HTTP ${response.status}; your question was not sent. Please try again.`,
    response.status,
  );
}
