/** The shared API handler wrapper: OPTIONS, the request id, and a thrown error recorded with its cause. */
import { httpHandler, REQUEST_ID_HEADER } from '../../../handlers/shared/http-handler';
import { jsonResponse } from '../../../handlers/shared/http-responses';
import { apiEvent, json, lambdaContext, memoryLogger, traced } from './support';

const ORIGIN = 'https://mysfits.example';

function wrapped(handle: Parameters<typeof httpHandler>[1]) {
  const logger = memoryLogger();
  const handler = httpHandler(
    { service: 'unit', allowedOrigin: ORIGIN, logger, failureMessage: 'unit failed' },
    handle,
  );
  return { handler, logger };
}

test('OPTIONS is answered 204 with the CORS headers, and the handler does not run', async () => {
  const handle = jest.fn();
  const { handler } = wrapped(handle);
  const response = await handler(apiEvent({ httpMethod: 'OPTIONS' }), lambdaContext());
  expect(response.statusCode).toBe(204);
  expect(response.headers).toMatchObject({
    'Access-Control-Allow-Origin': ORIGIN,
    'Access-Control-Allow-Methods': expect.any(String),
  });
  expect(handle).not.toHaveBeenCalled();
});

test("the request id is Lambda's, else API Gateway's, and is on every log line the handler writes", async () => {
  const seen: string[] = [];
  const { handler, logger } = wrapped(async (_event, { requestId, log }) => {
    seen.push(requestId);
    log.info('handled', { extra: 1 });
    return jsonResponse(ORIGIN, 200, {});
  });
  const answers = [await handler(apiEvent(), lambdaContext('lambda-1')), await handler(apiEvent(), undefined)];
  expect(seen).toEqual(['lambda-1', 'apigw-request']);
  // Every answer names it, readable by the site's scripts (CORS exposes it).
  expect(answers.map((a) => a.headers?.[REQUEST_ID_HEADER])).toEqual(['lambda-1', 'apigw-request']);
  expect(answers[0].headers?.['Access-Control-Expose-Headers']).toBe(REQUEST_ID_HEADER);
  expect(logger.lines).toEqual([
    { level: 'INFO', message: 'handled', requestId: 'lambda-1', extra: 1 },
    { level: 'INFO', message: 'handled', requestId: 'apigw-request', extra: 1 },
  ]);
});

test(
  'a thrown error is a 500 with the request id, logged, and ' + 'recorded on ## handler as a fault with its cause',
  async () => {
    class StoreDown extends Error {}
    const { handler, logger } = wrapped(async () => {
      throw new StoreDown('the store is down');
    });
    const { result, handler: invocation } = await traced(() => handler(apiEvent(), lambdaContext('req-500')));
    expect(result.statusCode).toBe(500);
    expect(result.headers?.['Access-Control-Allow-Origin']).toBe(ORIGIN);
    expect(json(result.body)).toEqual({ message: 'Internal server error', requestId: 'req-500' });
    expect(result.headers?.[REQUEST_ID_HEADER]).toBe('req-500');
    expect(invocation.fault).toBe(true);
    expect(invocation.cause?.exceptions[0]).toMatchObject({
      message: 'the store is down',
      stack: expect.arrayContaining([
        expect.objectContaining({ path: expect.stringContaining('http-handler.test.ts') }),
      ]),
    });
    expect(logger.lines).toEqual([
      expect.objectContaining({
        level: 'ERROR',
        message: 'unit failed',
        requestId: 'req-500',
        error: expect.any(StoreDown),
      }),
    ]);
  },
);

test('a thrown non-Error is recorded as an error with its text', async () => {
  const { handler } = wrapped(async () => {
    throw 'plain string';
  });
  const { result, handler: invocation } = await traced(() => handler(apiEvent(), lambdaContext()));
  expect(result.statusCode).toBe(500);
  expect(invocation.cause?.exceptions[0].message).toBe('plain string');
});

test('the ## handler subsegment carries ColdStart and Service', async () => {
  const { handler } = wrapped(async () => jsonResponse(ORIGIN, 200, {}));
  const { handler: invocation } = await traced(() => handler(apiEvent(), lambdaContext()));
  expect(invocation.annotations).toMatchObject({ Service: 'unit', ColdStart: expect.any(Boolean) });
  expect(invocation.fault).toBeFalsy();
});
