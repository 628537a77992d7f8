/**
 * POST /questions (API Gateway proxy): validates a customer's question and stores it in the questions table.
 * 201 { questionId } | 400 { message, errors: [{ field, reason }] } | 500 { message, requestId }.
 */
import { randomUUID } from 'node:crypto';
import { DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { ANNOTATIONS, ENV, FUNCTIONS } from '../../system/definition';
import { badRequest, internalError, jsonResponse } from '../shared/http-responses';
import { createLogger } from '../shared/logger';
import { requiredSetting } from '../shared/settings';
import { annotate, captureClient, recordClientError, traceInvocation, withSubsegment } from '../shared/tracing';
import { maybeHang, readHangingSwitch } from './hanging-exception';
import { parseQuestionRequest, type Question } from './question';

const service = process.env[ENV.serviceName] || FUNCTIONS.postQuestion.name;
const logger = createLogger(service);
const settings = {
  tableName: requiredSetting(process.env, ENV.questionsTableName),
  allowedOrigin: requiredSetting(process.env, ENV.allowedOrigin),
  hanging: readHangingSwitch(process.env),
};
// The plain client and marshall, not the document client (which wraps the same client): less to load.
const dynamodb = captureClient(new DynamoDBClient({}));

export interface StoredQuestion {
  QuestionId: string;
  QuestionText: string;
  UserEmailAddress: string;
  CreatedAt: string;
}

async function storeQuestion(question: Question): Promise<StoredQuestion> {
  const item: StoredQuestion = {
    QuestionId: randomUUID(),
    QuestionText: question.questionText,
    UserEmailAddress: question.email,
    CreatedAt: new Date().toISOString(),
  };
  await dynamodb.send(
    new PutItemCommand({
      TableName: settings.tableName,
      Item: marshall(item),
      // A question is written once and never overwritten.
      ConditionExpression: 'attribute_not_exists(QuestionId)',
    }),
  );
  return item;
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
        return badRequest(origin, 'The question is not valid', parsed.errors);
      }
      await maybeHang(settings.hanging);
      const stored = await withSubsegment('storeQuestion', async (subsegment) => {
        const item = await storeQuestion(parsed.question);
        annotate(subsegment, ANNOTATIONS.questionId, item.QuestionId);
        return item;
      });
      annotate(invocation, ANNOTATIONS.questionId, stored.QuestionId);
      logger.info('question stored', { requestId, questionId: stored.QuestionId });
      return jsonResponse(origin, 201, { questionId: stored.QuestionId });
    } catch (err) {
      invocation?.addFaultFlag();
      logger.error('question failed', { requestId, error: err });
      return internalError(origin, requestId);
    }
  });
}
