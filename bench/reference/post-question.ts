/**
 * The benchmark's peer: post-question written the common way, with Powertools for AWS Lambda (Tracer + Logger),
 * the DynamoDB document client and zod, as the Powertools documentation shows them. It does the same work as
 * handlers/post-question (the same rules: well-formed and non-blank text, UTF-8 only, Idempotency-Key with a
 * conditional put and a request hash, the honeypot, the TTL; the same subsegments and annotations; answers with
 * less detail) and is bundled by build/bundle.ts with the same options, so bench/bundles.ts compares like with
 * like. Never deployed.
 */
import { createHash, randomUUID } from 'node:crypto';
import { Logger } from '@aws-lambda-powertools/logger';
import { Tracer } from '@aws-lambda-powertools/tracer';
import { ConditionalCheckFailedException, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
// As the Powertools parser documentation writes it (https://docs.aws.amazon.com/powertools/typescript/latest/utilities/parser/).
import { z } from 'zod';
import { CORS_ALLOW_HEADERS, IDEMPOTENCY_KEY, QUESTION_RULES } from '../../system/api';
import { DEFAULTS, ENV } from '../../system/functions';
import { TABLES } from '../../system/resources';
import { ANNOTATIONS } from '../../system/trace-names';
// The same text rules as the handler (well-formed Unicode, blank as a person sees it, strict UTF-8).
import { decodeUtf8, isBlankText, isWellFormedText } from '../../handlers/shared/text';

const tracer = new Tracer({ serviceName: 'post-question' });
const logger = new Logger({ serviceName: 'post-question' });
const documents = DynamoDBDocumentClient.from(tracer.captureAWSv3Client(new DynamoDBClient({})));
const tableName = process.env[ENV.questionsTableName]!;
const allowedOrigin = process.env[ENV.allowedOrigin]!;
const retentionDays = Number(process.env[ENV.questionRetentionDays] ?? DEFAULTS.questionRetentionDays);

const text = () => z.string().refine(isWellFormedText, { abort: true });
const QuestionSchema = z.object({
  email: text().trim().max(QUESTION_RULES.maxEmailLength).pipe(z.email()),
  questionText: text()
    .trim()
    .refine((value) => !isBlankText(value), { abort: true })
    .refine((value) => [...value].length <= QUESTION_RULES.maxQuestionLength),
  [QUESTION_RULES.honeypotField]: text().optional(),
});

const sha256 = (value: string) => createHash('sha256').update(value, 'utf8').digest('hex');
const headerOf = (event: APIGatewayProxyEvent, name: string) =>
  Object.entries(event.headers ?? {}).find(([key]) => key.toLowerCase() === name.toLowerCase())?.[1];

const respond = (statusCode: number, body: unknown): APIGatewayProxyResult => ({
  statusCode,
  headers: {
    'Content-Type': 'application/json',
    'Access-Control-Allow-Origin': allowedOrigin,
    'Access-Control-Allow-Headers': CORS_ALLOW_HEADERS,
    'Access-Control-Allow-Methods': 'OPTIONS,GET,POST',
  },
  body: JSON.stringify(body),
});

function parseBody(event: APIGatewayProxyEvent) {
  const contentType = headerOf(event, 'content-type');
  if (contentType?.split(';')[0].trim().toLowerCase() !== 'application/json') return undefined;
  const charset = /;\s*charset="?([^";]+)/i.exec(contentType)?.[1].toLowerCase();
  if (charset !== undefined && charset !== 'utf-8' && charset !== 'utf8') return undefined;
  if (!event.isBase64Encoded && !isWellFormedText(event.body ?? '')) return undefined;
  const raw = event.isBase64Encoded ? Buffer.from(event.body ?? '', 'base64') : Buffer.from(event.body ?? '', 'utf8');
  if (raw.byteLength > QUESTION_RULES.maxBodyBytes) return undefined;
  const decoded = decodeUtf8(raw);
  if (!decoded.ok) return undefined;
  try {
    return QuestionSchema.safeParse(JSON.parse(decoded.text));
  } catch {
    return undefined;
  }
}

export const handler = async (event: APIGatewayProxyEvent, context: Context): Promise<APIGatewayProxyResult> => {
  logger.addContext(context);
  const segment = tracer.getSegment();
  const handlerSegment = segment?.addNewSubsegment('## handler');
  if (handlerSegment) tracer.setSegment(handlerSegment);
  tracer.annotateColdStart();
  tracer.addServiceNameAnnotation();
  try {
    if (event.httpMethod === 'OPTIONS') return respond(204, {});
    const parsed = parseBody(event);
    if (!parsed?.success) {
      const errors = parsed ? parsed.error.issues.map((i) => ({ field: i.path.join('.'), reason: i.message })) : [];
      logger.info('question rejected', { errors });
      return respond(400, { message: 'The question is not valid', errors });
    }
    const key = headerOf(event, IDEMPOTENCY_KEY.header);
    if (key !== undefined && !IDEMPOTENCY_KEY.pattern.test(key)) {
      return respond(400, {
        message: 'The Idempotency-Key header is not valid',
        errors: [{ field: IDEMPOTENCY_KEY.header }],
      });
    }
    const questionId = key ? sha256(key).slice(0, 32) : randomUUID();
    const honeypot = parsed.data[QUESTION_RULES.honeypotField];
    if (honeypot) return respond(201, { questionId });
    const now = Date.now();
    const item = {
      QuestionId: questionId,
      QuestionText: parsed.data.questionText,
      UserEmailAddress: parsed.data.email,
      CreatedAt: new Date(now).toISOString(),
      [TABLES.questions.ttlAttribute]: Math.floor(now / 1000) + retentionDays * 86400,
      ...(key ? { RequestHash: sha256(JSON.stringify([parsed.data.email, parsed.data.questionText])) } : {}),
    };
    try {
      await documents.send(
        new PutCommand({
          TableName: tableName,
          Item: item,
          ConditionExpression: 'attribute_not_exists(QuestionId)',
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
    } catch (err) {
      if (!key || !(err instanceof ConditionalCheckFailedException)) throw err;
      if (unmarshall(err.Item ?? {}).RequestHash !== item.RequestHash)
        return respond(422, { message: 'Idempotency-Key reused' });
    }
    tracer.putAnnotation(ANNOTATIONS.questionId, item.QuestionId);
    logger.info('question stored', { questionId: item.QuestionId });
    return respond(201, { questionId: item.QuestionId });
  } catch (err) {
    tracer.addErrorAsMetadata(err as Error);
    logger.error('question failed', err as Error);
    return respond(500, { message: 'Internal server error', requestId: context.awsRequestId });
  } finally {
    handlerSegment?.close();
    if (segment) tracer.setSegment(segment);
  }
};
