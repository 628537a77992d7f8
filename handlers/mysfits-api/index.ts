/**
 * The mysfits catalogue (API Gateway proxy): `GET /mysfits` (sorted by name), `GET /mysfits?filter=GoodEvil|
 * LawChaos&value=...`, `GET /mysfits/{mysfitId}`. Answers in the camelCase MysfitView shape; the table holds
 * the PascalCase items of data/mysfits.json.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, ScanCommand, type ScanCommandInput } from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { ANNOTATIONS, ENV, FUNCTIONS, MYSFIT_FILTERS, type MysfitView } from '../../system/definition';
import { badRequest, jsonResponse, type FieldError } from '../shared/http-responses';
import { createLogger } from '../shared/logger';
import { requiredSetting } from '../shared/settings';
import { annotate, captureClient, recordClientError, traceInvocation, withSubsegment } from '../shared/tracing';

const service = process.env[ENV.serviceName] || FUNCTIONS.mysfitsApi.name;
const logger = createLogger(service);
const tableName = requiredSetting(process.env, ENV.mysfitsTableName);
const allowedOrigin = requiredSetting(process.env, ENV.allowedOrigin);
const documents = DynamoDBDocumentClient.from(captureClient(new DynamoDBClient({})));

type FilterName = keyof typeof MYSFIT_FILTERS;
type Filter = { attribute: FilterName; value: string };

function toView(item: Record<string, unknown>): MysfitView {
  return {
    mysfitId: String(item.MysfitId),
    name: String(item.Name),
    species: String(item.Species),
    age: Number(item.Age),
    goodEvil: item.GoodEvil as MysfitView['goodEvil'],
    lawChaos: item.LawChaos as MysfitView['lawChaos'],
    description: String(item.Description ?? ''),
    thumbImageUri: String(item.ThumbImageUri ?? ''),
    profileImageUri: String(item.ProfileImageUri ?? ''),
    likes: Number(item.Likes ?? 0),
    adopted: Boolean(item.Adopted),
  };
}

/** `filter` and `value` must come together, from MYSFIT_FILTERS. */
function parseFilter(query: Record<string, string | undefined> | null): { filter?: Filter; errors: FieldError[] } {
  const filter = query?.filter;
  const value = query?.value;
  if (filter === undefined && value === undefined) return { errors: [] };
  const names = Object.keys(MYSFIT_FILTERS) as FilterName[];
  if (filter === undefined || !names.includes(filter as FilterName)) {
    return { errors: [{ field: 'filter', reason: `must be one of ${names.join(', ')}` }] };
  }
  const allowed: readonly string[] = MYSFIT_FILTERS[filter as FilterName];
  if (value === undefined || !allowed.includes(value)) {
    return { errors: [{ field: 'value', reason: `must be one of ${allowed.join(', ')} for filter ${filter}` }] };
  }
  return { filter: { attribute: filter as FilterName, value }, errors: [] };
}

async function listMysfits(filter?: Filter): Promise<MysfitView[]> {
  const items: Record<string, unknown>[] = [];
  const input: ScanCommandInput = { TableName: tableName };
  if (filter) {
    input.FilterExpression = '#attribute = :value';
    input.ExpressionAttributeNames = { '#attribute': filter.attribute };
    input.ExpressionAttributeValues = { ':value': filter.value };
  }
  do {
    const page = await documents.send(new ScanCommand(input));
    items.push(...(page.Items ?? []));
    input.ExclusiveStartKey = page.LastEvaluatedKey;
  } while (input.ExclusiveStartKey);
  return items.map(toView).sort((a, b) => a.name.localeCompare(b.name));
}

async function route(event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> {
  if (event?.httpMethod === 'OPTIONS') return jsonResponse(allowedOrigin, 204, {});
  if (event?.httpMethod !== 'GET') {
    return jsonResponse(allowedOrigin, 405, { message: `Method ${event?.httpMethod} is not allowed: use GET` });
  }
  const mysfitId = event.pathParameters?.mysfitId;
  if (mysfitId !== undefined) {
    return withSubsegment('getMysfit', async (subsegment) => {
      annotate(subsegment, ANNOTATIONS.mysfitId, mysfitId);
      const { Item } = await documents.send(new GetCommand({ TableName: tableName, Key: { MysfitId: mysfitId } }));
      if (!Item) {
        recordClientError(subsegment, { mysfitId, reason: 'not found' });
        return jsonResponse(allowedOrigin, 404, { message: `Mysfit ${mysfitId} not found` });
      }
      return jsonResponse(allowedOrigin, 200, toView(Item));
    });
  }
  const parsed = await withSubsegment('validateFilter', async (subsegment) => {
    const result = parseFilter(event.queryStringParameters);
    if (result.errors.length) recordClientError(subsegment, result.errors);
    return result;
  });
  if (parsed.errors.length) return badRequest(allowedOrigin, 'The filter is not valid', parsed.errors);
  return jsonResponse(allowedOrigin, 200, { mysfits: await listMysfits(parsed.filter) });
}

export async function handler(event: APIGatewayProxyEvent, context?: { awsRequestId?: string }): Promise<APIGatewayProxyResult> {
  return traceInvocation(service, async (invocation) => {
    try {
      const response = await route(event);
      // Every refused request leaves a line in the function's log, as post-question's do.
      if (response.statusCode >= 400) logger.warn('request refused', { requestId: context?.awsRequestId, statusCode: response.statusCode, body: response.body });
      return response;
    } catch (err) {
      invocation?.addFaultFlag();
      const requestId = context?.awsRequestId ?? event?.requestContext?.requestId ?? 'unknown';
      logger.error('mysfits request failed', { requestId, error: err });
      return jsonResponse(allowedOrigin, 500, { message: 'Internal server error', requestId });
    }
  });
}
