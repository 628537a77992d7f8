/**
 * The mysfits catalogue (API Gateway proxy): `GET /mysfits` (sorted by name), `GET /mysfits?filter=GoodEvil|
 * LawChaos&value=...`, `GET /mysfits/{mysfitId}`. Answers in the camelCase MysfitView shape. The catalogue
 * comes in (./catalogue): index.ts passes the mysfits table, the unit tests an in-memory one.
 */
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { MYSFIT_FILTERS } from '../../system/api';
import { ANNOTATIONS } from '../../system/trace-names';
import { httpHandler } from '../shared/http-handler';
import { badRequest, jsonResponse, type FieldError } from '../shared/http-responses';
import type { Logger } from '../shared/logger';
import { annotate, recordClientError, withSubsegment } from '../shared/tracing';
import type { Filter, FilterName, MysfitCatalogue } from './catalogue';

export interface MysfitsApiDependencies {
  service: string;
  allowedOrigin: string;
  catalogue: MysfitCatalogue;
  logger: Logger;
}

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

export function createMysfitsApiHandler({ service, allowedOrigin, catalogue, logger }: MysfitsApiDependencies) {
  async function getMysfit(mysfitId: string): Promise<APIGatewayProxyResult> {
    return withSubsegment('getMysfit', async (subsegment) => {
      const shown = mysfitId.length > 100 ? `${mysfitId.slice(0, 100)}…` : mysfitId;
      annotate(subsegment, ANNOTATIONS.mysfitId, shown);
      const mysfit = await catalogue.get(mysfitId);
      if (!mysfit) {
        recordClientError(subsegment, { mysfitId: shown, reason: 'not found' });
        return jsonResponse(allowedOrigin, 404, { message: `Mysfit ${shown} not found` });
      }
      return jsonResponse(allowedOrigin, 200, mysfit);
    });
  }

  async function route(event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> {
    if (event.httpMethod !== 'GET') {
      return jsonResponse(allowedOrigin, 405, { message: `Method ${event.httpMethod} is not allowed: use GET` });
    }
    const mysfitId = event.pathParameters?.mysfitId;
    if (mysfitId !== undefined) return getMysfit(mysfitId);
    const parsed = await withSubsegment('validateFilter', async (subsegment) => {
      const result = parseFilter(event);
      if (result.errors.length) recordClientError(subsegment, result.errors);
      return result;
    });
    if (parsed.errors.length) return badRequest(allowedOrigin, 'The filter is not valid', parsed.errors);
    return jsonResponse(allowedOrigin, 200, { mysfits: await catalogue.list(parsed.filter) });
  }

  return httpHandler(
    { service, allowedOrigin, logger, failureMessage: 'mysfits request failed' },
    async (event, { log }) => {
      const response = await route(event);
      // Every refused request leaves a line in the function's log, as post-question's do.
      if (response.statusCode >= 400)
        log.warn('request refused', { statusCode: response.statusCode, body: response.body });
      return response;
    },
  );
}
