/**
 * POST /questions (API Gateway proxy): validates a customer's question and stores it.
 * 201 { questionId } | 400/415/422 { message, errors: [{ field, reason }] } | 500 { message, requestId }.
 * With an Idempotency-Key header a retry gets the first answer and stores nothing new (see ./idempotency).
 * A filled-in honeypot field gets the same 201 shape, and nothing is stored (so nothing is e-mailed).
 * The store comes in (./store): index.ts passes the questions table, the unit tests an in-memory one.
 */
import { randomUUID } from 'node:crypto';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { IDEMPOTENCY_KEY } from '../../system/api';
import { TABLES } from '../../system/resources';
import { ANNOTATIONS } from '../../system/trace-names';
import { httpHandler, type HttpRequest } from '../shared/http-handler';
import { badRequest, jsonResponse } from '../shared/http-responses';
import type { Logger } from '../shared/logger';
import { annotate, recordClientError, withSubsegment } from '../shared/tracing';
import { maybeHang, type HangingSwitch } from './hanging-exception';
import { questionIdForKey, readIdempotencyKey, requestHash } from './idempotency';
import { parseQuestionRequest, type Question } from './question';
import type { QuestionStore, StoredQuestion } from './store';

export interface PostQuestionSettings {
  allowedOrigin: string;
  retentionDays: number;
  hanging: HangingSwitch;
}

export interface PostQuestionDependencies {
  service: string;
  settings: PostQuestionSettings;
  store: QuestionStore;
  logger: Logger;
  /** Milliseconds since the epoch (CreatedAt, ExpiresAt). */
  now?: () => number;
  newQuestionId?: () => string;
}

/** A new question's random id was taken: not the caller's fault, and nothing was overwritten. */
export class QuestionIdTaken extends Error {
  constructor(questionId: string) {
    super(`a question with id ${questionId} is already stored`);
    this.name = 'QuestionIdTaken';
  }
}

type StoreOutcome = { kind: 'stored' | 'replayed' | 'key-reused'; questionId: string };

const DAY_SECONDS = 24 * 3600;

export function createPostQuestionHandler(deps: PostQuestionDependencies) {
  const { settings, store } = deps;
  const origin = settings.allowedOrigin;
  const now = deps.now ?? Date.now;
  const newQuestionId = deps.newQuestionId ?? randomUUID;

  async function storeQuestion(question: Question, idempotencyKey: string | undefined): Promise<StoreOutcome> {
    const at = now();
    const item: StoredQuestion = {
      QuestionId: idempotencyKey ? questionIdForKey(idempotencyKey) : newQuestionId(),
      QuestionText: question.questionText,
      UserEmailAddress: question.email,
      CreatedAt: new Date(at).toISOString(),
      [TABLES.questions.ttlAttribute]: Math.floor(at / 1000) + settings.retentionDays * DAY_SECONDS,
      ...(idempotencyKey ? { RequestHash: requestHash(question) } : {}),
    };
    const outcome = await store.putIfAbsent(item);
    if (outcome.stored) return { kind: 'stored', questionId: item.QuestionId };
    if (!idempotencyKey) throw new QuestionIdTaken(item.QuestionId);
    const kind = outcome.existing.RequestHash === item.RequestHash ? 'replayed' : 'key-reused';
    return { kind, questionId: item.QuestionId };
  }

  return httpHandler(
    { service: deps.service, allowedOrigin: origin, logger: deps.logger, failureMessage: 'question failed' },
    async (event: APIGatewayProxyEvent, { invocation, log }: HttpRequest) => {
      const parsed = await withSubsegment('validateQuestion', async (subsegment) => {
        const result = parseQuestionRequest(event);
        if (!result.ok) recordClientError(subsegment, result.errors);
        return result;
      });
      if (!parsed.ok) {
        log.info('question rejected', { errors: parsed.errors });
        if (parsed.status === 415) {
          return jsonResponse(origin, 415, {
            message: 'The body is not in a supported charset',
            errors: parsed.errors,
          });
        }
        return badRequest(origin, 'The question is not valid', parsed.errors);
      }
      const key = readIdempotencyKey(event.headers);
      if (!key.ok) {
        const errors = [{ field: IDEMPOTENCY_KEY.header, reason: key.reason }];
        log.info('question rejected', { errors });
        return badRequest(origin, `The ${IDEMPOTENCY_KEY.header} header is not valid`, errors);
      }
      if (parsed.honeypotFilled) {
        // A bot: answer as a success (nothing to learn from the answer), store and e-mail nothing.
        log.info('question dropped: honeypot filled');
        return jsonResponse(origin, 201, { questionId: key.key ? questionIdForKey(key.key) : newQuestionId() });
      }
      await maybeHang(settings.hanging);
      const outcome = await withSubsegment('storeQuestion', async (subsegment) => {
        const result = await storeQuestion(parsed.question, key.key);
        annotate(subsegment, ANNOTATIONS.questionId, result.questionId);
        if (result.kind === 'key-reused') recordClientError(subsegment, { reason: 'idempotency key reused' });
        return result;
      });
      annotate(invocation, ANNOTATIONS.questionId, outcome.questionId);
      if (outcome.kind === 'key-reused') {
        log.info('question rejected: idempotency key reused', { questionId: outcome.questionId });
        // A key reused with another payload is 422, as the IETF Idempotency-Key draft says ("Error Scenarios",
        // https://datatracker.ietf.org/doc/draft-ietf-httpapi-idempotency-key-header/).
        return jsonResponse(origin, 422, {
          message: `This ${IDEMPOTENCY_KEY.header} was already used for a different question`,
          errors: [
            {
              field: IDEMPOTENCY_KEY.header,
              reason: 'was already used with a different body: send a new key per question',
            },
          ],
        });
      }
      log.info(outcome.kind === 'stored' ? 'question stored' : 'question already stored (idempotent retry)', {
        questionId: outcome.questionId,
      });
      return jsonResponse(origin, 201, { questionId: outcome.questionId });
    },
  );
}
