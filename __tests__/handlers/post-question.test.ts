/** post-question against DynamoDB Local: stores exactly one valid question, rejects bad input, writes nothing else. */
import fc from 'fast-check';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { DEFAULTS, ENV, IDEMPOTENCY_KEY, QUESTION_RULES, TABLES } from '../../system/definition';
import { createTable, lambdaContext, loadHandler, scanTable, startLocalAws, type LocalAws } from '../support/local-aws';

type Handler = (event: APIGatewayProxyEvent, context: unknown) => Promise<APIGatewayProxyResult>;
const HANDLER = '../../handlers/post-question';
const TABLE = 'questions-test';
const ORIGIN = 'https://mysfits.example';

let aws: LocalAws;
let handler: Handler;
let endpoint: string;

function request(body: unknown, headers: Record<string, string> = { 'Content-Type': 'application/json' }) {
  return {
    httpMethod: 'POST',
    resource: '/questions',
    path: '/questions',
    headers,
    body: typeof body === 'string' ? body : JSON.stringify(body),
    isBase64Encoded: false,
    requestContext: { requestId: 'apigw-request' },
  } as unknown as APIGatewayProxyEvent;
}

const post = (event: APIGatewayProxyEvent, requestId = 'req-1') => handler(event, lambdaContext(requestId));
const count = async () => (await scanTable(endpoint, TABLE)).length;

beforeAll(async () => {
  aws = await startLocalAws({ dynamodb: true });
  endpoint = aws.dynamodb!.endpoint;
  await createTable(endpoint, 'questions', TABLE);
  handler = loadHandler<{ handler: Handler }>(HANDLER, {
    ...aws.env,
    [ENV.questionsTableName]: TABLE,
    [ENV.allowedOrigin]: ORIGIN,
    POWERTOOLS_LOG_LEVEL: 'SILENT',
  }).handler;
});
afterAll(async () => {
  await aws?.stop();
});

test('a valid question is stored exactly once and answered 201 with its id and CORS headers', async () => {
  const before = await scanTable(endpoint, TABLE);
  const response = await post(request({ email: '  ada@example.com ', questionText: '  Is Pauly house-trained?  ' }));
  expect(response.statusCode).toBe(201);
  expect(response.headers?.['Access-Control-Allow-Origin']).toBe(ORIGIN);
  const { questionId } = JSON.parse(response.body);
  expect(questionId).toMatch(/^[0-9a-f-]{36}$/);
  const after = await scanTable(endpoint, TABLE);
  expect(after.length).toBe(before.length + 1);
  const item = after.find((i) => i.QuestionId.S === questionId)!;
  expect(item.UserEmailAddress.S).toBe('ada@example.com');
  expect(item.QuestionText.S).toBe('Is Pauly house-trained?');
  expect(new Date(item.CreatedAt.S!).toString()).not.toBe('Invalid Date');
  // Kept for the retention period, then deleted by DynamoDB's TTL (epoch seconds).
  const expiresAt = Number(item[TABLES.questions.ttlAttribute].N);
  const expected = Date.now() / 1000 + DEFAULTS.questionRetentionDays * 24 * 3600;
  expect(Math.abs(expiresAt - expected)).toBeLessThan(120);
});

test('the retention period comes from QUESTION_RETENTION_DAYS; a bad value fails at cold start naming it', async () => {
  const shortLived = loadHandler<{ handler: Handler }>(HANDLER, { [ENV.questionRetentionDays]: '15' }).handler;
  const response = await shortLived(
    request({ email: 'ttl@example.com', questionText: 'How long do you keep this?' }),
    lambdaContext(),
  );
  const { questionId } = JSON.parse(response.body);
  const item = (await scanTable(endpoint, TABLE)).find((i) => i.QuestionId.S === questionId)!;
  expect(Math.abs(Number(item.ExpiresAt.N) - (Date.now() / 1000 + 15 * 86400))).toBeLessThan(120);
  expect(() => loadHandler(HANDLER, { [ENV.questionRetentionDays]: 'forever' })).toThrow(ENV.questionRetentionDays);
  process.env[ENV.questionRetentionDays] = '';
});

test('a question of exactly the maximum length is accepted', async () => {
  const text = '🦄'.repeat(QUESTION_RULES.maxQuestionLength); // counted as characters, not UTF-16 units
  const body = { email: 'max@example.com', questionText: text };
  expect(JSON.stringify(body).length).toBeLessThan(QUESTION_RULES.maxBodyBytes);
  const response = await post(request(body));
  expect(response.statusCode).toBe(201);
});

const valid = { email: 'bob@example.com', questionText: 'Hello?' };
// Every bad input (each field, the body, the encodings, the charsets, the Idempotency-Key) is a unit test
// (./unit/post-question.test.ts); here one shows the real table is left untouched.
test('bad input is 400 naming the field, and nothing is written to the table', async () => {
  const before = await count();
  const response = await post(request({ questionText: 'Hi' }));
  expect(response.statusCode).toBe(400);
  expect(response.headers?.['Access-Control-Allow-Origin']).toBe(ORIGIN);
  expect(JSON.parse(response.body).errors.map((e: { field: string }) => e.field)).toEqual(['email']);
  expect(await count()).toBe(before);
});

test('a question with invisible characters around visible text is accepted', async () => {
  expect((await post(request({ ...valid, questionText: '\u200bHello\u200b' }))).statusCode).toBe(201);
});

describe('Idempotency-Key', () => {
  const question = { email: 'retry@example.com', questionText: 'Did my question arrive?' };
  const withKey = (key: string, body: unknown = question) =>
    request(body, { 'Content-Type': 'application/json', [IDEMPOTENCY_KEY.header]: key });

  test('a retry with the same key gets the first answer and stores nothing new', async () => {
    const key = crypto.randomUUID();
    const first = await post(withKey(key));
    expect(first.statusCode).toBe(201);
    const before = await count();
    // The answer was lost (502/timeout): the client retries, with other spacing, and the header in lower case.
    const retry = await post(
      request(
        { ...question, questionText: `  ${question.questionText} ` },
        { 'content-type': 'application/json', 'idempotency-key': key },
      ),
    );
    expect(retry.statusCode).toBe(201);
    expect(JSON.parse(retry.body)).toEqual(JSON.parse(first.body));
    expect(await count()).toBe(before);
  });

  test('the same key with a different question is 422 naming the header, and stores nothing', async () => {
    const key = crypto.randomUUID();
    expect((await post(withKey(key))).statusCode).toBe(201);
    const before = await count();
    const reused = await post(withKey(key, { ...question, questionText: 'Another question' }));
    expect(reused.statusCode).toBe(422);
    expect(JSON.parse(reused.body).errors[0].field).toBe(IDEMPOTENCY_KEY.header);
    expect(await count()).toBe(before);
  });

  test('different keys store different questions', async () => {
    const before = await count();
    const a = await post(withKey(crypto.randomUUID()));
    const b = await post(withKey(crypto.randomUUID()));
    expect(JSON.parse(a.body).questionId).not.toBe(JSON.parse(b.body).questionId);
    expect(await count()).toBe(before + 2);
  });
});

test('a filled-in honeypot gets the success answer shape and nothing is stored', async () => {
  const before = await count();
  const response = await post(request({ ...valid, [QUESTION_RULES.honeypotField]: 'https://spam.example' }));
  expect(response.statusCode).toBe(201);
  expect(Object.keys(JSON.parse(response.body))).toEqual(['questionId']);
  expect(JSON.parse(response.body).questionId).toMatch(/^[0-9a-f-]{36}$/);
  expect(await count()).toBe(before);
  // An empty honeypot (what people send) is a normal question.
  expect((await post(request({ ...valid, [QUESTION_RULES.honeypotField]: '' }))).statusCode).toBe(201);
  expect(await count()).toBe(before + 1);
});

test('content type is matched case-insensitively and with parameters', async () => {
  const response = await post(request(valid, { 'content-type': 'Application/JSON; charset=utf-8' }));
  expect(response.statusCode).toBe(201);
});

test('base64-encoded bodies (binary media types) are decoded', async () => {
  const event = {
    ...request(valid),
    body: Buffer.from(JSON.stringify(valid)).toString('base64'),
    isBase64Encoded: true,
  };
  expect((await post(event)).statusCode).toBe(201);
});

test('property: random bodies never get a 5xx and never store an invalid item', async () => {
  const emailish = fc.oneof(fc.emailAddress(), fc.string(), fc.constant(''), fc.integer(), fc.constant(null));
  const textish = fc.oneof(
    fc.string({ maxLength: 50 }),
    fc.string({ minLength: 1990, maxLength: 2010 }),
    fc.constantFrom('   ', '\n', '🦄 ok'),
    fc.integer(),
    fc.constant(undefined),
  );
  const body = fc.oneof(
    fc.record({ email: emailish, questionText: textish }, { requiredKeys: [] }).map((o) => JSON.stringify(o)),
    fc.json(),
    fc.string(),
  );
  await fc.assert(
    fc.asyncProperty(body, async (raw) => {
      const before = await count();
      const response = await post(request(raw));
      expect([201, 400]).toContain(response.statusCode);
      const after = await scanTable(endpoint, TABLE);
      if (response.statusCode === 400) {
        expect(after.length).toBe(before);
        return;
      }
      expect(after.length).toBe(before + 1);
      const stored = after.find((i) => i.QuestionId.S === JSON.parse(response.body).questionId)!;
      const text = stored.QuestionText.S!;
      expect(text.trim()).toBe(text);
      expect(text.length).toBeGreaterThan(0);
      expect([...text].length).toBeLessThanOrEqual(QUESTION_RULES.maxQuestionLength);
      expect(stored.UserEmailAddress.S).toMatch(/^[^\s@]+@[^\s@]+\.[^\s@]+$/);
    }),
    { numRuns: 150 },
  );
});

test('an unexpected failure is a 500 with the request id and no internals', async () => {
  const broken = loadHandler<{ handler: Handler }>(HANDLER, { [ENV.questionsTableName]: 'no-such-table' }).handler;
  const response = await broken(request(valid), lambdaContext('req-500'));
  expect(response.statusCode).toBe(500);
  expect(response.headers?.['Access-Control-Allow-Origin']).toBe(ORIGIN);
  expect(JSON.parse(response.body)).toEqual({ message: 'Internal server error', requestId: 'req-500' });
  expect(response.body).not.toMatch(/no-such-table|ResourceNotFound|at /);
  process.env[ENV.questionsTableName] = TABLE;
});

test.each([
  [ENV.hangingExceptionRate, 'often'],
  [ENV.hangingExceptionRate, '1.5'],
  [ENV.hangingExceptionDelayMs, '-1'],
  [ENV.hangingExceptionDelayMs, '2.5'],
  [ENV.questionsTableName, ''],
  [ENV.allowedOrigin, undefined],
])('a bad %s (%p) fails at cold start, naming the setting', (name, value) => {
  const saved = process.env[name];
  try {
    expect(() => loadHandler(HANDLER, { [name]: value })).toThrow(name);
  } finally {
    if (saved === undefined) delete process.env[name];
    else process.env[name] = saved;
  }
});

test('outside Lambda and without a trace context the X-Ray SDK stays silent', async () => {
  const spies = (['log', 'info', 'warn', 'error', 'debug'] as const).map((m) => jest.spyOn(console, m));
  try {
    const ok = await post(request(valid));
    const bad = await post(request({ email: 'x' }));
    expect([ok.statusCode, bad.statusCode]).toEqual([201, 400]);
    for (const spy of spies) expect(spy).not.toHaveBeenCalled();
  } finally {
    for (const spy of spies) spy.mockRestore();
  }
});
