/**
 * post-question's validation and flow over an in-memory question store (the table is tested in
 * ../post-question.test.ts).
 */
import type { APIGatewayProxyEvent } from 'aws-lambda';
import {
  ANNOTATIONS,
  HANGING_EXCEPTION_SUBSEGMENT,
  IDEMPOTENCY_KEY,
  QUESTION_RULES,
  TABLES,
} from '../../../system/definition';
import { createPostQuestionHandler, type PostQuestionSettings } from '../../../handlers/post-question/handler';
import type { PutOutcome, QuestionStore, StoredQuestion } from '../../../handlers/post-question/store';
import { apiEvent, json, lambdaContext, memoryLogger, traced } from './support';

const ORIGIN = 'https://mysfits.example';
const NOW = Date.parse('2026-03-01T12:00:00.000Z');
const SETTINGS: PostQuestionSettings = { allowedOrigin: ORIGIN, retentionDays: 90, hanging: { rate: 0, delayMs: 0 } };

/** What the questions table promises: a question is written once, and a second write names the first. */
class MemoryQuestionStore implements QuestionStore {
  readonly items = new Map<string, StoredQuestion>();
  failure?: Error;
  async putIfAbsent(question: StoredQuestion): Promise<PutOutcome> {
    if (this.failure) throw this.failure;
    const existing = this.items.get(question.QuestionId);
    if (existing) return { stored: false, existing: { RequestHash: existing.RequestHash } };
    this.items.set(question.QuestionId, structuredClone(question));
    return { stored: true };
  }
}

let store: MemoryQuestionStore;
let logger: ReturnType<typeof memoryLogger>;
let ids: number;

function handlerWith(settings: Partial<PostQuestionSettings> = {}) {
  return createPostQuestionHandler({
    service: 'post-question',
    settings: { ...SETTINGS, ...settings },
    store,
    logger,
    now: () => NOW,
    newQuestionId: () => `00000000-0000-4000-8000-${String(++ids).padStart(12, '0')}`,
  });
}

beforeEach(() => {
  store = new MemoryQuestionStore();
  logger = memoryLogger();
  ids = 0;
});

const valid = { email: 'ada@example.com', questionText: 'Is Pauly house-trained?' };

function post(body: unknown, headers: Record<string, string> = {}) {
  return apiEvent({
    httpMethod: 'POST',
    resource: '/questions',
    path: '/questions',
    headers: { 'Content-Type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

test('a valid question is stored trimmed, with CreatedAt and its expiry, and answered 201 with its id', async () => {
  const response = await handlerWith()(
    post({ email: ' ada@example.com ', questionText: '  Hello?  ' }),
    lambdaContext('req-1'),
  );
  expect(response.statusCode).toBe(201);
  expect(response.headers?.['Access-Control-Allow-Origin']).toBe(ORIGIN);
  const { questionId } = json(response.body);
  expect([...store.items.values()]).toEqual([
    {
      QuestionId: questionId,
      QuestionText: 'Hello?',
      UserEmailAddress: 'ada@example.com',
      CreatedAt: '2026-03-01T12:00:00.000Z',
      [TABLES.questions.ttlAttribute]: NOW / 1000 + 90 * 24 * 3600,
    },
  ]);
  expect(logger.lines).toContainEqual(
    expect.objectContaining({ message: 'question stored', requestId: 'req-1', questionId }),
  );
});

/** An API Gateway POST whose headers are exactly `headers` (JSON by default). */
function request(body: unknown, headers: Record<string, string> = { 'Content-Type': 'application/json' }) {
  return apiEvent({
    httpMethod: 'POST',
    resource: '/questions',
    path: '/questions',
    headers,
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

const bob = { email: 'bob@example.com', questionText: 'Hello?' };
const badInputs: [string, APIGatewayProxyEvent, string][] = [
  ['missing email', request({ questionText: 'Hi' }), 'email'],
  ['email not an address', request({ ...bob, email: 'not-an-email' }), 'email'],
  ['email not a string', request({ ...bob, email: 42 }), 'email'],
  ['email too long', request({ ...bob, email: `${'a'.repeat(250)}@example.com` }), 'email'],
  ['missing question', request({ email: valid.email }), 'questionText'],
  ['blank question', request({ ...bob, questionText: ' \n\t ' }), 'questionText'],
  [
    'question too long',
    request({ ...bob, questionText: 'x'.repeat(QUESTION_RULES.maxQuestionLength + 1) }),
    'questionText',
  ],
  ['question not a string', request({ ...bob, questionText: ['a'] }), 'questionText'],
  ['malformed JSON', request('{"email": "bob@example.com",'), 'body'],
  ['JSON array', request('[1,2]'), 'body'],
  ['JSON null', request('null'), 'body'],
  ['empty body', request(''), 'body'],
  ['body too large', request({ ...bob, padding: 'p'.repeat(QUESTION_RULES.maxBodyBytes) }), 'body'],
  ['wrong content type', request(bob, { 'Content-Type': 'text/plain' }), 'body'],
  // Not well-formed Unicode: stored, it could never be e-mailed (SNS refuses a lone surrogate).
  ['lone surrogate in the question', request('{"email":"bob@example.com","questionText":"x \\ud800"}'), 'questionText'],
  [
    'lone low surrogate in the question',
    request('{"email":"bob@example.com","questionText":"\\udc00 hi"}'),
    'questionText',
  ],
  ['lone surrogate in the e-mail', request('{"email":"b\\ud800ob@example.com","questionText":"hi"}'), 'email'],
  [
    'lone surrogate in the honeypot',
    request('{"email":"bob@example.com","questionText":"hi","website":"\\udfff"}'),
    QUESTION_RULES.honeypotField,
  ],
  ['lone surrogate in the raw body', request('{"email":"bob@example.com","questionText":"x \ud800"}'), 'body'],
  // U+FFFD: what a decoder leaves where the client's bytes were not UTF-8.
  [
    'bytes that were not UTF-8 (U+FFFD) in the raw body',
    request('{"email":"bob@example.com","questionText":"x \ufffd"}'),
    'body',
  ],
  [
    'U+FFFD, JSON-escaped, in the question',
    request('{"email":"bob@example.com","questionText":"x \\ufffd"}'),
    'questionText',
  ],
  [
    'invalid UTF-8 bytes',
    {
      ...request(bob),
      body: Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d]).toString('base64'),
      isBase64Encoded: true,
    } as APIGatewayProxyEvent,
    'body',
  ],
  // Blank is blank: invisible characters alone are an empty question.
  ['zero-width spaces only', request({ ...bob, questionText: '\u200b\u200b \u200b' }), 'questionText'],
  [
    'format and filler characters only',
    request({ ...bob, questionText: '\ufeff\u2060\u3164\u115f\u2800\u00ad\u200d' }),
    'questionText',
  ],
  ['no content type', request(bob, {}), 'body'],
];

test.each(badInputs)(
  '%s: 400 naming the field, nothing stored, an error (not a fault) on validateQuestion',
  async (_name, event, field) => {
    const { result, find } = await traced(() => handlerWith()(event, lambdaContext('req-400')));
    expect(result.statusCode).toBe(400);
    expect(result.headers?.['Access-Control-Allow-Origin']).toBe(ORIGIN);
    const body = json(result.body);
    expect(typeof body.message).toBe('string');
    expect(body.errors.map((e: { field: string }) => e.field)).toContain(field);
    for (const e of body.errors) expect(typeof e.reason).toBe('string');
    expect(store.items.size).toBe(0);
    expect(find('validateQuestion')[0]).toMatchObject({ error: true });
    expect(find('validateQuestion')[0].fault).toBeFalsy();
    expect(logger.lines).toContainEqual(
      expect.objectContaining({ message: 'question rejected', requestId: 'req-400' }),
    );
  },
);

test.each(['iso-8859-1', 'utf-16', 'windows-1252'])(
  'a body in charset %s is refused with 415 naming Content-Type, nothing stored',
  async (charset) => {
    const latin1 = Buffer.from(JSON.stringify({ ...bob, questionText: 'Ça va, Pépé ?' }), 'latin1').toString('base64');
    const event = {
      ...request(bob, { 'Content-Type': `application/json; charset=${charset}` }),
      body: latin1,
      isBase64Encoded: true,
    };
    const response = await handlerWith()(event, lambdaContext());
    expect(response.statusCode).toBe(415);
    expect(json(response.body).errors).toEqual([{ field: 'Content-Type', reason: expect.stringContaining(charset) }]);
    expect(store.items.size).toBe(0);
  },
);

test.each(['short', 'a'.repeat(129), 'has spaces in it, sixteen+', 'ünïcödé-key-0123456789'])(
  'Idempotency-Key %j is 400 naming the header, nothing stored',
  async (key) => {
    const response = await handlerWith()(post(valid, { [IDEMPOTENCY_KEY.header]: key }), lambdaContext());
    expect(response.statusCode).toBe(400);
    expect(json(response.body).errors.map((e: { field: string }) => e.field)).toEqual([IDEMPOTENCY_KEY.header]);
    expect(store.items.size).toBe(0);
  },
);

test(
  'a retry with the same Idempotency-Key and question is ' + 'answered as the first time, and stores nothing new',
  async () => {
    const handler = handlerWith();
    const key = { [IDEMPOTENCY_KEY.header]: 'retry-key-0123456789' };
    const first = await handler(post(valid, key), lambdaContext('req-a'));
    const retry = await handler(
      post({ ...valid, questionText: `  ${valid.questionText} ` }, key),
      lambdaContext('req-b'),
    );
    expect([first.statusCode, retry.statusCode]).toEqual([201, 201]);
    expect(json(retry.body).questionId).toBe(json(first.body).questionId);
    expect(store.items.size).toBe(1);
    expect(logger.lines).toContainEqual(
      expect.objectContaining({ message: 'question already stored (idempotent retry)', requestId: 'req-b' }),
    );
  },
);

test(
  'the same Idempotency-Key with another question is 422 naming ' + 'the header, and the first stays as it was',
  async () => {
    const handler = handlerWith();
    const key = { [IDEMPOTENCY_KEY.header]: 'reused-key-0123456789' };
    await handler(post(valid, key), lambdaContext());
    const before = structuredClone([...store.items.values()]);
    const { result, find } = await traced(() =>
      handler(post({ ...valid, questionText: 'Another one?' }, key), lambdaContext()),
    );
    expect(result.statusCode).toBe(422);
    expect(json(result.body).errors.map((e: { field: string }) => e.field)).toEqual([IDEMPOTENCY_KEY.header]);
    expect([...store.items.values()]).toEqual(before);
    expect(find('storeQuestion')[0]).toMatchObject({ error: true });
    expect(find('storeQuestion')[0].fault).toBeFalsy();
  },
);

test('a filled-in honeypot is answered 201 like a question, and nothing is stored', async () => {
  const response = await handlerWith()(
    post({ ...valid, [QUESTION_RULES.honeypotField]: 'https://spam.example' }),
    lambdaContext('req-bot'),
  );
  expect(response.statusCode).toBe(201);
  expect(json(response.body).questionId).toMatch(/^[0-9a-f-]{36}$/);
  expect(store.items.size).toBe(0);
  expect(logger.lines).toContainEqual(
    expect.objectContaining({ message: 'question dropped: honeypot filled', requestId: 'req-bot' }),
  );
});

test('the stored question id is annotated on ## handler and storeQuestion', async () => {
  const { result, handler: invocation, find } = await traced(() => handlerWith()(post(valid), lambdaContext()));
  const { questionId } = json(result.body);
  expect(invocation.annotations?.[ANNOTATIONS.questionId]).toBe(questionId);
  expect(find('storeQuestion')[0].annotations?.[ANNOTATIONS.questionId]).toBe(questionId);
});

test('a store failure is a 500 with the request id, and the error is recorded as the cause of the fault', async () => {
  store.failure = Object.assign(new Error('Requested resource not found'), { name: 'ResourceNotFoundException' });
  const {
    result,
    handler: invocation,
    find,
  } = await traced(() => handlerWith()(post(valid), lambdaContext('req-500')));
  expect(result.statusCode).toBe(500);
  expect(json(result.body)).toEqual({ message: 'Internal server error', requestId: 'req-500' });
  // Where it was thrown: the step's subsegment holds the exception (type, message, stack)...
  const [step] = find('storeQuestion');
  expect(step.fault).toBe(true);
  expect(step.cause?.exceptions).toEqual([
    expect.objectContaining({
      type: 'ResourceNotFoundException',
      message: 'Requested resource not found',
      stack: expect.any(Array),
    }),
  ]);
  // ...and ## handler, which caught it, is a fault whose cause points at that exception (the X-Ray SDK's addError).
  expect(invocation.fault).toBe(true);
  expect(invocation.cause).toEqual({ id: step.id, exceptions: [] });
  expect(logger.lines).toContainEqual(
    expect.objectContaining({ level: 'ERROR', message: 'question failed', requestId: 'req-500' }),
  );
});

test('a new question whose random id is taken is a 500, and the stored one is not overwritten', async () => {
  const handler = createPostQuestionHandler({
    service: 'post-question',
    settings: SETTINGS,
    store,
    logger,
    newQuestionId: () => 'same-id',
  });
  expect((await handler(post(valid), lambdaContext())).statusCode).toBe(201);
  const response = await handler(post({ ...valid, questionText: 'Another one?' }), lambdaContext());
  expect(response.statusCode).toBe(500);
  expect(store.items.get('same-id')?.QuestionText).toBe(valid.questionText);
});

test(
  'the hanging switch fails the request in its subsegment: 500, ' + 'fault with the cause there, nothing stored',
  async () => {
    const handler = handlerWith({ hanging: { rate: 1, delayMs: 0 } });
    const { result, handler: invocation, find } = await traced(() => handler(post(valid), lambdaContext()));
    expect(result.statusCode).toBe(500);
    expect(store.items.size).toBe(0);
    const [hanging] = find(HANGING_EXCEPTION_SUBSEGMENT);
    expect(hanging).toMatchObject({
      fault: true,
      cause: { exceptions: [expect.objectContaining({ type: 'HangingException' })] },
    });
    // The same error on ## handler points at the subsegment that recorded it, as the X-Ray SDK does.
    expect(invocation.fault).toBe(true);
    expect(invocation.cause).toEqual({ id: hanging.id, exceptions: [] });
  },
);

test('OPTIONS is a 204 preflight and stores nothing', async () => {
  const response = await handlerWith()(apiEvent({ httpMethod: 'OPTIONS' }), lambdaContext());
  expect(response.statusCode).toBe(204);
  expect(store.items.size).toBe(0);
});
