/**
 * The benchmark's peer: post-question written the common way, with Powertools for AWS Lambda (Tracer + Logger),
 * the DynamoDB document client and zod, as the Powertools documentation shows them. It does the same work as
 * handlers/post-question (same rules, same subsegments and annotations, same answers) and is bundled by
 * build/bundle.ts with the same options, so bench/bundles.ts compares like with like. Never deployed.
 */
import { randomUUID } from 'node:crypto';
import { Logger } from '@aws-lambda-powertools/logger';
import { Tracer } from '@aws-lambda-powertools/tracer';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
// As the Powertools parser documentation writes it (https://docs.aws.amazon.com/powertools/typescript/latest/utilities/parser/).
import { z } from 'zod';
import { ANNOTATIONS, CORS_ALLOW_HEADERS, ENV, QUESTION_RULES } from '../../system/definition';

const tracer = new Tracer({ serviceName: 'post-question' });
const logger = new Logger({ serviceName: 'post-question' });
const documents = DynamoDBDocumentClient.from(tracer.captureAWSv3Client(new DynamoDBClient({})));
const tableName = process.env[ENV.questionsTableName]!;
const allowedOrigin = process.env[ENV.allowedOrigin]!;

const QuestionSchema = z.object({
  email: z.string().trim().max(QUESTION_RULES.maxEmailLength).pipe(z.email()),
  questionText: z
    .string()
    .trim()
    .min(1)
    .refine((text) => [...text].length <= QUESTION_RULES.maxQuestionLength),
});

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
  const contentType = Object.entries(event.headers ?? {}).find(([name]) => name.toLowerCase() === 'content-type')?.[1];
  if (contentType?.split(';')[0].trim().toLowerCase() !== 'application/json') return undefined;
  const raw = event.isBase64Encoded ? Buffer.from(event.body ?? '', 'base64') : Buffer.from(event.body ?? '', 'utf8');
  if (raw.byteLength > QUESTION_RULES.maxBodyBytes) return undefined;
  try {
    return QuestionSchema.safeParse(JSON.parse(raw.toString('utf8')));
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
    const item = {
      QuestionId: randomUUID(),
      QuestionText: parsed.data.questionText,
      UserEmailAddress: parsed.data.email,
      CreatedAt: new Date().toISOString(),
    };
    await documents.send(
      new PutCommand({ TableName: tableName, Item: item, ConditionExpression: 'attribute_not_exists(QuestionId)' }),
    );
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
