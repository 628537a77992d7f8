/** mysfits-api's routing and validation over an in-memory catalogue (the table is tested in ../mysfits-api.test.ts). */
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { ANNOTATIONS, type MysfitView } from '../../../system/definition';
import type { Filter, MysfitCatalogue } from '../../../handlers/mysfits-api/catalogue';
import { createMysfitsApiHandler } from '../../../handlers/mysfits-api/handler';
import { apiEvent, json, lambdaContext, memoryLogger, traced } from './support';

const ORIGIN = 'https://mysfits.example';

const mysfit = (
  id: string,
  name: string,
  goodEvil: MysfitView['goodEvil'],
  lawChaos: MysfitView['lawChaos'],
): MysfitView => ({
  mysfitId: id,
  name,
  species: 'Yeti',
  age: 3,
  goodEvil,
  lawChaos,
  description: '',
  thumbImageUri: '',
  profileImageUri: '',
  likes: 0,
  adopted: false,
});

const ALL = [
  mysfit('m1', 'Pauly', 'Neutral', 'Lawful'),
  mysfit('m2', 'Evangeline', 'Evil', 'Chaotic'),
  mysfit('m3', 'Gretta', 'Good', 'Chaotic'),
];

class MemoryCatalogue implements MysfitCatalogue {
  readonly filters: (Filter | undefined)[] = [];
  failure?: Error;
  async list(filter?: Filter) {
    this.filters.push(filter);
    if (this.failure) throw this.failure;
    return ALL.filter(
      (m) => !filter || m[filter.attribute === 'GoodEvil' ? 'goodEvil' : 'lawChaos'] === filter.value,
    ).sort((a, b) => a.name.localeCompare(b.name));
  }
  async get(id: string) {
    if (this.failure) throw this.failure;
    return ALL.find((m) => m.mysfitId === id);
  }
}

let catalogue: MemoryCatalogue;
let logger: ReturnType<typeof memoryLogger>;
const handler = () => createMysfitsApiHandler({ service: 'mysfits-api', allowedOrigin: ORIGIN, catalogue, logger });

beforeEach(() => {
  catalogue = new MemoryCatalogue();
  logger = memoryLogger();
});

function list(query: Record<string, string[]> | null): APIGatewayProxyEvent {
  const single = query && Object.fromEntries(Object.entries(query).map(([k, v]) => [k, v[v.length - 1]]));
  return apiEvent({
    resource: '/mysfits',
    path: '/mysfits',
    queryStringParameters: single,
    multiValueQueryStringParameters: query,
  });
}

test('GET /mysfits answers every mysfit, with the CORS origin', async () => {
  const response = await handler()(list(null), lambdaContext());
  expect(response.statusCode).toBe(200);
  expect(response.headers?.['Access-Control-Allow-Origin']).toBe(ORIGIN);
  expect(json(response.body).mysfits.map((m: MysfitView) => m.name)).toEqual(['Evangeline', 'Gretta', 'Pauly']);
  expect(catalogue.filters).toEqual([undefined]);
});

test('a valid filter is passed to the catalogue', async () => {
  const response = await handler()(list({ filter: ['LawChaos'], value: ['Chaotic'] }), lambdaContext());
  expect(json(response.body).mysfits.map((m: MysfitView) => m.mysfitId)).toEqual(['m2', 'm3']);
  expect(catalogue.filters).toEqual([{ attribute: 'LawChaos', value: 'Chaotic' }]);
});

test.each([
  [{ filter: ['Species'], value: ['Yeti'] }, 'filter'],
  [{ value: ['Good'] }, 'filter'],
  [{ filter: ['GoodEvil'] }, 'value'],
  [{ filter: ['GoodEvil'], value: ['Lawful'] }, 'value'],
  [{ 'filter[]': ['GoodEvil'], value: ['Good'] }, 'filter[]'],
  [{ filter: ['GoodEvil', 'LawChaos'], value: ['Good'] }, 'filter'],
  [{ filter: ['GoodEvil'], value: ['Good', 'Evil'] }, 'value'],
  [{ species: ['Yeti'] }, 'species'],
])('%p is 400 naming %s, logged with the request id, and the catalogue is not read', async (query, field) => {
  const { result, find } = await traced(() => handler()(list(query), lambdaContext('req-400')));
  expect(result.statusCode).toBe(400);
  expect(json(result.body).errors.map((e: { field: string }) => e.field)).toEqual([field]);
  expect(catalogue.filters).toEqual([]);
  expect(find('validateFilter')[0]).toMatchObject({ error: true });
  expect(logger.lines).toEqual([
    expect.objectContaining({ level: 'WARN', message: 'request refused', requestId: 'req-400', statusCode: 400 }),
  ]);
});

test('GET /mysfits/{id} answers the mysfit, annotated with its id', async () => {
  const { result, find } = await traced(() =>
    handler()(apiEvent({ pathParameters: { mysfitId: 'm3' } }), lambdaContext()),
  );
  expect(result.statusCode).toBe(200);
  expect(json(result.body)).toEqual(ALL[2]);
  expect(find('getMysfit')[0].annotations?.[ANNOTATIONS.mysfitId]).toBe('m3');
});

test('an unknown mysfit is 404: an error on getMysfit, not a fault', async () => {
  const { result, find } = await traced(() =>
    handler()(apiEvent({ pathParameters: { mysfitId: 'nobody' } }), lambdaContext()),
  );
  expect(result.statusCode).toBe(404);
  expect(json(result.body)).toEqual({ message: 'Mysfit nobody not found' });
  expect(find('getMysfit')[0]).toMatchObject({ error: true });
  expect(find('getMysfit')[0].fault).toBeFalsy();
});

test('a method other than GET is 405, OPTIONS a 204 preflight', async () => {
  expect((await handler()(apiEvent({ httpMethod: 'DELETE' }), lambdaContext())).statusCode).toBe(405);
  expect((await handler()(apiEvent({ httpMethod: 'OPTIONS' }), lambdaContext())).statusCode).toBe(204);
});

test('a catalogue failure is a 500 with the request id, and a fault with its cause on ## handler', async () => {
  catalogue.failure = new Error('table unavailable');
  const { result, handler: invocation } = await traced(() => handler()(list(null), lambdaContext('req-500')));
  expect(result.statusCode).toBe(500);
  expect(json(result.body)).toEqual({ message: 'Internal server error', requestId: 'req-500' });
  expect(result.body).not.toContain('table unavailable');
  expect(invocation.fault).toBe(true);
  expect(invocation.cause?.exceptions[0]).toMatchObject({ message: 'table unavailable', stack: expect.any(Array) });
  expect(logger.lines).toContainEqual(
    expect.objectContaining({ level: 'ERROR', message: 'mysfits request failed', requestId: 'req-500' }),
  );
});
