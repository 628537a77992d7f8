/** mysfits-api against DynamoDB Local seeded with data/mysfits.json. */
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { ENV, MYSFIT_FILTERS, type MysfitView } from '../../system/definition';
import mysfits from '../../data/mysfits.json';
import {
  createTable,
  lambdaContext,
  loadHandler,
  seedMysfits,
  startLocalAws,
  type LocalAws,
} from '../support/local-aws';

type Handler = (event: APIGatewayProxyEvent, context: unknown) => Promise<APIGatewayProxyResult>;
const TABLE = 'mysfits-test';
const ORIGIN = 'https://mysfits.example';
let aws: LocalAws;
let handler: Handler;

const get = async (
  pathParameters: Record<string, string> | null,
  query: Record<string, string> | null = null,
  method = 'GET',
) => {
  const response = await handler(
    {
      httpMethod: method,
      resource: pathParameters ? '/mysfits/{mysfitId}' : '/mysfits',
      pathParameters,
      queryStringParameters: query,
      headers: {},
      requestContext: { requestId: 'apigw' },
    } as unknown as APIGatewayProxyEvent,
    lambdaContext(),
  );
  expect(response.headers?.['Access-Control-Allow-Origin']).toBe(ORIGIN);
  return { status: response.statusCode, body: JSON.parse(response.body) };
};

beforeAll(async () => {
  aws = await startLocalAws({ dynamodb: true });
  await createTable(aws.dynamodb!.endpoint, 'mysfits', TABLE);
  await seedMysfits(aws.dynamodb!.endpoint, TABLE);
  handler = loadHandler<{ handler: Handler }>('../../handlers/mysfits-api', {
    ...aws.env,
    [ENV.mysfitsTableName]: TABLE,
    [ENV.allowedOrigin]: ORIGIN,
    POWERTOOLS_LOG_LEVEL: 'SILENT',
  }).handler;
});
afterAll(async () => {
  await aws?.stop();
});

test('GET /mysfits lists every mysfit, sorted by name, in the camelCase view', async () => {
  const { status, body } = await get(null);
  expect(status).toBe(200);
  const names = body.mysfits.map((m: MysfitView) => m.name);
  expect(names).toEqual(mysfits.map((m) => m.Name).sort((a, b) => a.localeCompare(b)));
  const evangeline = body.mysfits.find((m: MysfitView) => m.name === 'Evangeline');
  const source = mysfits.find((m) => m.Name === 'Evangeline')!;
  expect(evangeline).toEqual({
    mysfitId: source.MysfitId,
    name: source.Name,
    species: source.Species,
    age: source.Age,
    goodEvil: source.GoodEvil,
    lawChaos: source.LawChaos,
    description: source.Description,
    thumbImageUri: source.ThumbImageUri,
    profileImageUri: source.ProfileImageUri,
    likes: source.Likes,
    adopted: source.Adopted,
  });
});

test.each(
  Object.entries(MYSFIT_FILTERS).flatMap(([filter, values]) => values.map((value) => [filter, value] as const)),
)('GET /mysfits?filter=%s&value=%s returns exactly the matching mysfits', async (filter, value) => {
  const { status, body } = await get(null, { filter, value });
  expect(status).toBe(200);
  const expected = mysfits
    .filter((m) => m[filter as 'GoodEvil' | 'LawChaos'] === value)
    .map((m) => m.MysfitId)
    .sort();
  expect(body.mysfits.map((m: MysfitView) => m.mysfitId).sort()).toEqual(expected);
});

test.each([
  [{ filter: 'Species', value: 'Yeti' }, 'filter'],
  [{ value: 'Good' }, 'filter'],
  [{ filter: 'GoodEvil' }, 'value'],
  [{ filter: 'GoodEvil', value: 'Lawful' }, 'value'],
  [{ filter: 'LawChaos', value: 'lawful' }, 'value'],
])('a bad filter %p is 400 naming %s', async (query, field) => {
  const { status, body } = await get(null, query as Record<string, string>);
  expect(status).toBe(400);
  expect(body.errors.map((e: { field: string }) => e.field)).toEqual([field]);
});

test.each([
  ['an array-style parameter', { 'filter[]': ['GoodEvil'], value: ['Good'] }, 'filter[]'],
  ['an empty array-style parameter', { 'filter[]': [''] }, 'filter[]'],
  ['a repeated filter', { filter: ['GoodEvil', 'LawChaos'], value: ['Good'] }, 'filter'],
  ['a repeated value', { filter: ['GoodEvil'], value: ['Good', 'Evil'] }, 'value'],
  ['an unknown parameter', { species: ['Yeti'] }, 'species'],
])('%s is 400 naming it, not the whole list', async (_what, multi, field) => {
  const single = Object.fromEntries(Object.entries(multi).map(([k, v]) => [k, v[v.length - 1]]));
  const response = await handler(
    {
      httpMethod: 'GET',
      resource: '/mysfits',
      pathParameters: null,
      // API Gateway: queryStringParameters holds the last value only, the multi-value map holds them all.
      queryStringParameters: single,
      multiValueQueryStringParameters: multi,
      headers: {},
      requestContext: { requestId: 'apigw' },
    } as unknown as APIGatewayProxyEvent,
    lambdaContext(),
  );
  expect(response.statusCode).toBe(400);
  expect(JSON.parse(response.body).errors.map((e: { field: string }) => e.field)).toEqual([field]);
});

test.each([
  ['over the 2,048-byte key limit', 'x'.repeat(2049)],
  ['multi-byte, over the limit in bytes', 'é'.repeat(1025)],
  ['not well-formed Unicode', 'pauly\ud800'],
])('GET /mysfits/{mysfitId} with an id %s is 404, not 500', async (_what, mysfitId) => {
  const { status, body } = await get({ mysfitId });
  expect(status).toBe(404);
  expect(body.message.length).toBeLessThan(200);
});

test('GET /mysfits/{mysfitId} returns that mysfit; an unknown id is 404 with a message', async () => {
  const source = mysfits[3];
  const found = await get({ mysfitId: source.MysfitId });
  expect(found.status).toBe(200);
  expect(found.body).toMatchObject({ mysfitId: source.MysfitId, name: source.Name, species: source.Species });
  const missing = await get({ mysfitId: 'no-such-mysfit' });
  expect(missing.status).toBe(404);
  expect(missing.body.message).toContain('no-such-mysfit');
});

test('methods other than GET are refused', async () => {
  const { status } = await get(null, null, 'DELETE');
  expect(status).toBe(405);
});

test('a failing table is a 500 with the request id and no internals', async () => {
  const broken = loadHandler<{ handler: Handler }>('../../handlers/mysfits-api', {
    [ENV.mysfitsTableName]: 'no-such-table',
  }).handler;
  const response = await broken(
    { httpMethod: 'GET', pathParameters: null } as unknown as APIGatewayProxyEvent,
    lambdaContext('req-9'),
  );
  expect(response.statusCode).toBe(500);
  expect(JSON.parse(response.body)).toEqual({ message: 'Internal server error', requestId: 'req-9' });
  process.env[ENV.mysfitsTableName] = TABLE;
});
