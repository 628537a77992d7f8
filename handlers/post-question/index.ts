/**
 * POST /questions (API Gateway proxy): validates a customer's question and stores it in the questions table.
 * 201 { questionId } | 400/415/422 { message, errors: [{ field, reason }] } | 500 { message, requestId }.
 * With an Idempotency-Key header a retry gets the first answer and stores nothing new (see ./idempotency).
 * A filled-in honeypot field gets the same 201 shape, and nothing is stored (so nothing is e-mailed).
 */
import { randomUUID } from 'node:crypto';
import { ConditionalCheckFailedException, DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { ANNOTATIONS, DEFAULTS, ENV, FUNCTIONS, IDEMPOTENCY_KEY, TABLES } from '../../system/definition';
import { badRequest, internalError, jsonResponse } from '../shared/http-responses';
import { createLogger } from '../shared/logger';
import { numberSetting, requiredSetting } from '../shared/settings';
import { annotate, captureClient, recordClientError, traceInvocation, withSubsegment } from '../shared/tracing';
import { maybeHang, readHangingSwitch } from './hanging-exception';
import { questionIdForKey, readIdempotencyKey, requestHash } from './idempotency';
import { parseQuestionRequest, type Question } from './question';

const service = process.env[ENV.serviceName] || FUNCTIONS.postQuestion.name;
const logger = createLogger(service);
const settings = {
  tableName: requiredSetting(process.env, ENV.questionsTableName),
  allowedOrigin: requiredSetting(process.env, ENV.allowedOrigin),
  hanging: readHangingSwitch(process.env),
  retentionDays: numberSetting(process.env, ENV.questionRetentionDays, {
    defaultValue: DEFAULTS.questionRetentionDays,
    min: 1,
    max: 3650,
    integer: true,
  }),
};
// The plain client and marshall, not the document client (which wraps the same client): less to load.
const dynamodb = captureClient(new DynamoDBClient({}));

export interface StoredQuestion {
  QuestionId: string;
  QuestionText: string;
  UserEmailAddress: string;
  CreatedAt: string;
  /** Epoch seconds: DynamoDB's TTL deletes the question after the retention period. */
  [TABLES.questions.ttlAttribute]: number;
  /** Set when an Idempotency-Key was sent: what a retry with the same key must match. */
  RequestHash?: string;
}

type StoreOutcome = { kind: 'stored' | 'replayed'; questionId: string } | { kind: 'key-reused'; questionId: string };

const DAY_SECONDS = 24 * 3600;

async function storeQuestion(question: Question, idempotencyKey: string | undefined): Promise<StoreOutcome> {
  const now = Date.now();
  const item: StoredQuestion = {
    QuestionId: idempotencyKey ? questionIdForKey(idempotencyKey) : randomUUID(),
    QuestionText: question.questionText,
    UserEmailAddress: question.email,
    CreatedAt: new Date(now).toISOString(),
    [TABLES.questions.ttlAttribute]: Math.floor(now / 1000) + settings.retentionDays * DAY_SECONDS,
    ...(idempotencyKey ? { RequestHash: requestHash(question) } : {}),
  };
  try {
    await dynamodb.send(
      new PutItemCommand({
        TableName: settings.tableName,
        Item: marshall(item),
        // A question is written once and never overwritten; a retry finds the first one in the failure.
        ConditionExpression: 'attribute_not_exists(QuestionId)',
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      }),
    );
    return { kind: 'stored', questionId: item.QuestionId };
  } catch (err) {
    if (!idempotencyKey || !(err instanceof ConditionalCheckFailedException)) throw err;
    const first = err.Item ? unmarshall(err.Item) : undefined;
    if (first?.RequestHash === item.RequestHash) return { kind: 'replayed', questionId: item.QuestionId };
    return { kind: 'key-reused', questionId: item.QuestionId };
  }
}

export async function handler(event: APIGatewayProxyEvent, context: Context): Promise<APIGatewayProxyResult> {
  const origin = settings.allowedOrigin;
  const requestId = context?.awsRequestId ?? event?.requestContext?.requestId ?? randomUUID();
  return traceInvocation(service, async (invocation) => {
    if (event?.httpMethod === 'OPTIONS') return jsonResponse(origin, 204, {});
    try {
      const parsed = await withSubsegment('validateQuestion', async (subsegment) => {
        const result = parseQuestionRequest(event ?? {});
        if (!result.ok) recordClientError(subsegment, result.errors);
        return result;
      });
      if (!parsed.ok) {
        logger.info('question rejected', { requestId, errors: parsed.errors });
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
        logger.info('question rejected', { requestId, errors });
        return badRequest(origin, `The ${IDEMPOTENCY_KEY.header} header is not valid`, errors);
      }
      if (parsed.honeypotFilled) {
        // A bot: answer as a success (nothing to learn from the answer), store and e-mail nothing.
        logger.info('question dropped: honeypot filled', { requestId });
        return jsonResponse(origin, 201, { questionId: key.key ? questionIdForKey(key.key) : randomUUID() });
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
        logger.info('question rejected: idempotency key reused', { requestId, questionId: outcome.questionId });
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
      logger.info(outcome.kind === 'stored' ? 'question stored' : 'question already stored (idempotent retry)', {
        requestId,
        questionId: outcome.questionId,
      });
      return jsonResponse(origin, 201, { questionId: outcome.questionId });
    } catch (err) {
      invocation?.addFaultFlag();
      logger.error('question failed', { requestId, error: err });
      return internalError(origin, requestId);
    }
  });
}
