/**
 * The mysfits catalogue (API Gateway proxy): `GET /mysfits` (sorted by name), `GET /mysfits?filter=GoodEvil|
 * LawChaos&value=...`, `GET /mysfits/{mysfitId}`. Answers in the camelCase MysfitView shape; the table holds
 * the PascalCase items of data/mysfits.json.
 */
import { DynamoDBClient, GetItemCommand, ScanCommand, type ScanCommandInput } from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { ANNOTATIONS, ENV, FUNCTIONS, MYSFIT_FILTERS, type MysfitView } from '../../system/definition';
import { badRequest, jsonResponse, type FieldError } from '../shared/http-responses';
import { createLogger } from '../shared/logger';
import { requiredSetting } from '../shared/settings';
import { isWellFormedText } from '../shared/text';
import { annotate, captureClient, recordClientError, traceInvocation, withSubsegment } from '../shared/tracing';

const service = process.env[ENV.serviceName] || FUNCTIONS.mysfitsApi.name;
const logger = createLogger(service);
const tableName = requiredSetting(process.env, ENV.mysfitsTableName);
const allowedOrigin = requiredSetting(process.env, ENV.allowedOrigin);
// The plain client and (un)marshall, not the document client: the same requests, less to load at cold start.
const dynamodb = captureClient(new DynamoDBClient({}));

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

/**
 * DynamoDB's limit on a partition key value (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/
 * Constraints.html#limits-partition-sort-keys): a longer id cannot name a stored mysfit, and GetItem would fail.
 */
const MAX_KEY_BYTES = 2048;

const QUERY_PARAMETERS = ['filter', 'value'] as const;

/**
 * Every query parameter as API Gateway received it: `multiValueQueryStringParameters` keeps repeated ones
 * (`queryStringParameters` holds only the last value). A repeated, unknown or array-style (`filter[]`)
 * parameter is an error naming it, never ignored (ignoring `filter[]` would answer the whole list).
 */
function queryParameters(event: APIGatewayProxyEvent): { query: Record<string, string>; errors: FieldError[] } {
  const multi: Record<string, (string | undefined)[] | undefined> =
    event.multiValueQueryStringParameters ??
    Object.fromEntries(Object.entries(event.queryStringParameters ?? {}).map(([name, value]) => [name, [value]]));
  const query: Record<string, string> = {};
  const errors: FieldError[] = [];
  for (const [name, values] of Object.entries(multi)) {
    if (!(QUERY_PARAMETERS as readonly string[]).includes(name)) {
      errors.push({
        field: name,
        reason: `is not a parameter of GET /mysfits (use ${QUERY_PARAMETERS.join(' and ')})`,
      });
    } else if ((values?.length ?? 0) !== 1) {
      errors.push({ field: name, reason: 'must be given once' });
    } else {
      query[name] = values![0] ?? '';
    }
  }
  return { query, errors };
}

/** `filter` and `value` must come together, from MYSFIT_FILTERS. */
function parseFilter(event: APIGatewayProxyEvent): { filter?: Filter; errors: FieldError[] } {
  const { query, errors } = queryParameters(event);
  if (errors.length) return { errors };
  const filter = query.filter;
  const value = query.value;
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
    input.ExpressionAttributeValues = marshall({ ':value': filter.value });
  }
  do {
    const page = await dynamodb.send(new ScanCommand(input));
    items.push(...(page.Items ?? []).map((item) => unmarshall(item)));
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
      const shown = mysfitId.length > 100 ? `${mysfitId.slice(0, 100)}…` : mysfitId;
      annotate(subsegment, ANNOTATIONS.mysfitId, shown);
      // An id no key can hold names no mysfit: 404 without asking DynamoDB (which would refuse the key).
      const storable = isWellFormedText(mysfitId) && Buffer.byteLength(mysfitId, 'utf8') <= MAX_KEY_BYTES;
      const { Item } = storable
        ? await dynamodb.send(new GetItemCommand({ TableName: tableName, Key: marshall({ MysfitId: mysfitId }) }))
        : { Item: undefined };
      if (!Item) {
        recordClientError(subsegment, { mysfitId: shown, reason: 'not found' });
        return jsonResponse(allowedOrigin, 404, { message: `Mysfit ${shown} not found` });
      }
      return jsonResponse(allowedOrigin, 200, toView(unmarshall(Item)));
    });
  }
  const parsed = await withSubsegment('validateFilter', async (subsegment) => {
    const result = parseFilter(event);
    if (result.errors.length) recordClientError(subsegment, result.errors);
    return result;
  });
  if (parsed.errors.length) return badRequest(allowedOrigin, 'The filter is not valid', parsed.errors);
  return jsonResponse(allowedOrigin, 200, { mysfits: await listMysfits(parsed.filter) });
}

export async function handler(
  event: APIGatewayProxyEvent,
  context?: { awsRequestId?: string },
): Promise<APIGatewayProxyResult> {
  return traceInvocation(service, async (invocation) => {
    try {
      const response = await route(event);
      // Every refused request leaves a line in the function's log, as post-question's do.
      if (response.statusCode >= 400)
        logger.warn('request refused', {
          requestId: context?.awsRequestId,
          statusCode: response.statusCode,
          body: response.body,
        });
      return response;
    } catch (err) {
      invocation?.addFaultFlag();
      const requestId = context?.awsRequestId ?? event?.requestContext?.requestId ?? 'unknown';
      logger.error('mysfits request failed', { requestId, error: err });
      return jsonResponse(allowedOrigin, 500, { message: 'Internal server error', requestId });
    }
  });
}
