/**
 * The local API gateway with in-test backends and a UDP socket standing in for the X-Ray daemon: the website and
 * each API on its own origin, proxy events, response mapping, 502s, CORS as deployed, the clicks validator and
 * Firehose integration, gateway responses and access log lines from the stacks' templates, config.json, static
 * files, and the stage segments it records.
 */
import type { APIGatewayProxyEvent } from 'aws-lambda';
import * as dgram from 'node:dgram';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { startGateway, type FunctionOutcome, type Gateway } from '../../sandbox/gateway/server';
import { startStageTracer, type StageTracer } from '../../sandbox/tracing/stage-tracer';
import { validateClickBody } from '../../sandbox/gateway/click-validator';
import { CORS_ALLOW_HEADERS, names, type FunctionKey } from '../../system/definition';

interface Invocation {
  key: FunctionKey;
  event: APIGatewayProxyEvent;
  traceHeader: string;
}

let gateway: Gateway;
let tracer: StageTracer;
let udp: dgram.Socket;
let websiteDir: string;
const documents: any[] = [];
const invocations: Invocation[] = [];
const clickRecords: Buffer[] = [];
const accessLog: { line: string; api: string }[] = [];
let nextOutcome: (inv: Invocation) => FunctionOutcome;

beforeAll(async () => {
  websiteDir = fs.mkdtempSync(path.join(os.tmpdir(), 'gateway-site-'));
  fs.writeFileSync(path.join(websiteDir, 'index.html'), '<h1>Mysfits</h1>');
  fs.writeFileSync(path.join(websiteDir, 'styles.css'), 'body{}');
  fs.writeFileSync(path.join(os.tmpdir(), 'gateway-secret.txt'), 'secret');

  udp = dgram.createSocket('udp4');
  udp.on('message', (msg) => {
    const [header, body] = msg.toString('utf8').split('\n');
    expect(JSON.parse(header)).toEqual({ format: 'json', version: 1 });
    documents.push(JSON.parse(body));
  });
  await new Promise<void>((resolve) => udp.bind(0, '127.0.0.1', () => resolve()));
  tracer = startStageTracer(`127.0.0.1:${udp.address().port}`);
  gateway = await startGateway({
    ports: { website: 0, questions: 0, mysfits: 0, clicks: 0 },
    websiteDir,
    tracer,
    links: () => ({ xrayConsole: 'http://x' }),
    accessLog: (line, api) => accessLog.push({ line, api }),
  });
});

afterAll(async () => {
  await gateway?.close();
  await tracer?.close();
  udp?.close();
});

beforeEach(() => {
  documents.length = 0;
  invocations.length = 0;
  clickRecords.length = 0;
  accessLog.length = 0;
  nextOutcome = () => ({
    ok: true,
    result: {
      statusCode: 201,
      headers: { 'Content-Type': 'application/json', 'X-Custom': 'yes' },
      body: '{"questionId":"q-1"}',
    },
  });
});

function attach() {
  gateway.attach({
    invokeFunction: async (key, event, traceHeader) => {
      const inv = { key, event, traceHeader };
      invocations.push(inv);
      return nextOutcome(inv);
    },
    putClickRecord: (data) => {
      clickRecords.push(data);
      return { recordId: String(clickRecords.length) };
    },
    readMailbox: async () => [
      { messageId: 'm1', subject: 'New question', message: 'Hello <b>', timestamp: '2024-01-01T00:00:00Z' },
    ],
  });
}

async function segmentsFor(traceRoot: string, count = 1) {
  const deadline = Date.now() + 3000;
  for (;;) {
    const found = documents.filter((d) => d.trace_id === traceRoot);
    if (found.length >= count || Date.now() > deadline) return found;
    await new Promise((r) => setTimeout(r, 20));
  }
}
const rootOf = (res: Response) => /Root=([^;]+)/.exec(res.headers.get('x-amzn-trace-id') ?? '')![1];

test('before the backends are attached, APIs answer 503 and the site still loads', async () => {
  const api = await fetch(`${gateway.apis.mysfits}/mysfits`);
  expect(api.status).toBe(503);
  const site = await fetch(`${gateway.url}/`);
  expect(site.status).toBe(200);
  attach();
});

test('POST /questions becomes a REST proxy event, the answer is mapped, the stage segment is the parent', async () => {
  const res = await fetch(`${gateway.apis.questions}/questions`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'X-Mixed-Case': 'v' },
    body: JSON.stringify({ email: 'a@b.co', questionText: 'Hi?' }),
  });
  expect(res.status).toBe(201);
  expect(await res.json()).toEqual({ questionId: 'q-1' });
  expect(res.headers.get('x-custom')).toBe('yes');
  expect(res.headers.get('x-amzn-requestid')).toMatch(/^[0-9a-f-]{36}$/);

  expect(invocations).toHaveLength(1);
  const { key, event, traceHeader } = invocations[0];
  expect(key).toBe('postQuestion');
  expect(event).toMatchObject({
    resource: '/questions',
    path: '/questions',
    httpMethod: 'POST',
    body: JSON.stringify({ email: 'a@b.co', questionText: 'Hi?' }),
    isBase64Encoded: false,
    pathParameters: null,
    queryStringParameters: null,
    stageVariables: null,
    requestContext: {
      stage: 'local',
      resourcePath: '/questions',
      httpMethod: 'POST',
      path: '/local/questions',
      requestId: res.headers.get('x-amzn-requestid'),
      accountId: '000000000000',
    },
  });
  expect(event.headers['X-Mixed-Case']).toBe('v');
  expect(event.multiValueHeaders['X-Mixed-Case']).toEqual(['v']);
  expect(event.requestContext.identity.sourceIp).toBe('127.0.0.1');
  expect(event.requestContext.requestTime).toMatch(/^\d{2}\/[A-Z][a-z]{2}\/\d{4}:\d{2}:\d{2}:\d{2} \+0000$/);

  const root = rootOf(res);
  const [segment] = await segmentsFor(root);
  expect(segment).toMatchObject({
    name: names.stageSegment('local', 'questions'),
    origin: 'AWS::ApiGateway::Stage',
    trace_id: root,
    http: { request: { method: 'POST' }, response: { status: 201 } },
    aws: { api_gateway: { stage: 'local', request_id: res.headers.get('x-amzn-requestid') } },
  });
  expect(segment.in_progress).toBeUndefined();
  expect(segment.error).toBeUndefined();
  expect(segment.fault).toBeUndefined();
  expect(segment.parent_id).toBeUndefined();
  expect(segment.subsegments).toHaveLength(1);
  const [lambda] = segment.subsegments;
  expect(lambda).toMatchObject({
    name: 'Lambda',
    namespace: 'aws',
    aws: { function_name: 'mysfits-local-post-question', operation: 'Invoke' },
  });
  expect(traceHeader).toBe(`Root=${root};Parent=${lambda.id};Sampled=1`);
});

test('a body over the 10 MB API Gateway payload limit gets 413 and never reaches the function', async () => {
  const before = invocations.length;
  const res = await fetch(`${gateway.apis.questions}/questions`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: 'x'.repeat(10 * 1024 * 1024 + 1),
  });
  expect(res.status).toBe(413);
  expect(invocations).toHaveLength(before);
});

test('GET /mysfits/{mysfitId} carries path parameters and repeated query values', async () => {
  nextOutcome = () => ({ ok: true, result: { statusCode: 404, body: '{"message":"no such mysfit"}' } });
  const res = await fetch(`${gateway.apis.mysfits}/mysfits/abc%20d?x=1&x=2&y=3`);
  expect(res.status).toBe(404);
  const { event, key } = invocations[0];
  expect(key).toBe('mysfitsApi');
  expect(event.resource).toBe('/mysfits/{mysfitId}');
  expect(event.pathParameters).toEqual({ mysfitId: 'abc d' });
  expect(event.queryStringParameters).toEqual({ x: '2', y: '3' });
  expect(event.multiValueQueryStringParameters).toEqual({ x: ['1', '2'], y: ['3'] });
  expect(event.body).toBeNull();
  const [segment] = await segmentsFor(rootOf(res));
  expect(segment.name).toBe(names.stageSegment('local', 'mysfits'));
  expect(segment.error).toBe(true); // 4xx
  expect(segment.fault).toBeUndefined();
});

test.each([
  ['a function error', { ok: false, error: { errorType: 'Error', errorMessage: 'boom' } }],
  ['a malformed proxy answer', { ok: true, result: { body: 'no status' } }],
])('%s gives 502 Internal server error and a fault on the stage', async (_what, outcome) => {
  nextOutcome = () => outcome as FunctionOutcome;
  const res = await fetch(`${gateway.apis.mysfits}/mysfits`);
  expect(res.status).toBe(502);
  expect(await res.json()).toMatchObject({ message: 'Internal server error' });
  const [segment] = await segmentsFor(rootOf(res));
  expect(segment.fault).toBe(true);
  expect(segment.subsegments[0].fault).toBe(true);
});

test('an incoming X-Amzn-Trace-Id is honoured: same trace, parent set', async () => {
  const root = '1-5f84c7a5-0123456789abcdef01234567';
  const res = await fetch(`${gateway.apis.mysfits}/mysfits`, {
    headers: { 'X-Amzn-Trace-Id': `Root=${root};Parent=53995c3f42cd8ad8;Sampled=1` },
  });
  expect(rootOf(res)).toBe(root);
  const [segment] = await segmentsFor(root);
  expect(segment.parent_id).toBe('53995c3f42cd8ad8');
  expect(invocations[0].traceHeader).toContain(`Root=${root};Parent=${segment.subsegments[0].id}`);
});

test('a caller that does not sample gets no segment, and the decision is passed on', async () => {
  const root = '1-5f84c7a5-aaaaaaaaaaaaaaaaaaaaaaaa';
  await fetch(`${gateway.apis.mysfits}/mysfits`, { headers: { 'X-Amzn-Trace-Id': `Root=${root};Sampled=0` } });
  expect(invocations[0].traceHeader).toMatch(/Sampled=0$/);
  await new Promise((r) => setTimeout(r, 200));
  expect(documents.filter((d) => d.trace_id === root)).toEqual([]);
});

test("the website and each API are separate origins; the APIs allow the website's origin only", async () => {
  const origins = [gateway.url, gateway.apis.questions, gateway.apis.mysfits, gateway.apis.clicks].map(
    (u) => new URL(u).origin,
  );
  expect(new Set(origins).size).toBe(4);
  expect(gateway.allowedOrigin).toBe(gateway.url);
  // An API path on the website's origin is just a missing file, as on CloudFront; another API's path is 403.
  expect((await fetch(`${gateway.url}/mysfits`)).status).toBe(404);
  const elsewhere = await fetch(`${gateway.apis.clicks}/mysfits`);
  expect(elsewhere.status).toBe(403);
  expect(await elsewhere.json()).toEqual({ message: 'Missing Authentication Token' });
  expect(invocations).toHaveLength(0);
});

test("CORS preflight answers like the stacks' mock integration; an undeclared method is 403", async () => {
  const pre = await fetch(`${gateway.apis.mysfits}/mysfits/abc`, {
    method: 'OPTIONS',
    headers: { Origin: gateway.url, 'Access-Control-Request-Method': 'GET' },
  });
  expect(pre.status).toBe(204);
  expect(pre.headers.get('access-control-allow-origin')).toBe(gateway.url);
  expect(pre.headers.get('access-control-allow-methods')).toBe('GET,OPTIONS');
  expect(pre.headers.get('access-control-allow-headers')).toBe(CORS_ALLOW_HEADERS);
  expect(pre.headers.get('vary')).toBe('Origin');
  const clicks = await fetch(`${gateway.apis.clicks}/clicks`, { method: 'OPTIONS' });
  expect(clicks.headers.get('access-control-allow-methods')).toBe('PUT,OPTIONS');
  const wrong = await fetch(`${gateway.apis.questions}/questions`, { method: 'DELETE' });
  expect(wrong.status).toBe(403);
  expect(wrong.headers.get('access-control-allow-origin')).toBe(gateway.url);
  expect(await wrong.json()).toEqual({ message: 'Missing Authentication Token' });
  expect(invocations).toHaveLength(0);
});

test('PUT /clicks: a valid click goes to Firehose as sent and is traced stage -> Firehose', async () => {
  const body = JSON.stringify({ userId: 'user-1', mysfitId: 'abc' });
  const res = await fetch(`${gateway.apis.clicks}/clicks`, {
    method: 'PUT',
    headers: { 'Content-Type': 'application/json' },
    body,
  });
  expect(res.status).toBe(200);
  // The integration response's body and headers, as the clicks stack declares them.
  expect(res.headers.get('access-control-allow-origin')).toBe(gateway.url);
  expect(await res.json()).toEqual({ status: 'OK' });
  expect(clickRecords.map((b) => b.toString())).toEqual([body]);
  const [segment] = await segmentsFor(rootOf(res));
  expect(segment.name).toBe(names.stageSegment('local', 'clicks'));
  expect(segment.subsegments[0]).toMatchObject({ name: 'Firehose', namespace: 'aws', aws: { operation: 'PutRecord' } });
});

test.each([
  ['a missing field', { userId: 'u' }, 'mysfitId: is required'],
  ['an extra field', { userId: 'u', mysfitId: 'm', admin: true }, 'admin: is not allowed'],
  ['a bad pattern', { userId: 'u "quoted"', mysfitId: 'm' }, 'userId: must match pattern'],
  ['a wrong type', { userId: 1, mysfitId: 'm' }, 'userId: must be string'],
])(
  'PUT /clicks with %s is a 400 gateway response in valid JSON; nothing reaches Firehose',
  async (_what, click, problem) => {
    // The validator names the field (what AWS puts in $context.error.validationErrorString)...
    const validation = validateClickBody(Buffer.from(JSON.stringify(click)));
    expect(validation.ok).toBe(false);
    expect(validation.ok === false && validation.problems.join(', ')).toContain(problem);
    // ...and the client gets the gateway response, as the stacks template it: valid JSON, CORS header included.
    const res = await fetch(`${gateway.apis.clicks}/clicks`, {
      method: 'PUT',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(click),
    });
    expect(res.status).toBe(400);
    expect(res.headers.get('access-control-allow-origin')).toBe(gateway.url);
    expect(JSON.parse(await res.text())).toEqual({ message: 'Invalid request body' });
    expect(clickRecords).toHaveLength(0);
    const [segment] = await segmentsFor(rootOf(res));
    expect(segment.error).toBe(true);
    expect(segment.subsegments).toBeUndefined();
    // One access log line for it, valid JSON.
    expect(accessLog).toHaveLength(1);
    expect(accessLog[0].api).toBe('clicks');
    expect(JSON.parse(accessLog[0].line)).toMatchObject({
      requestId: res.headers.get('x-amzn-requestid'),
      httpMethod: 'PUT',
      resourcePath: '/clicks',
      status: '400',
      errorMessage: 'Invalid request body',
      integrationStatus: '-',
    });
  },
);

test('PUT /clicks: malformed JSON is 400, another content type 415', async () => {
  const bad = await fetch(`${gateway.apis.clicks}/clicks`, {
    method: 'PUT',
    headers: { 'Content-Type': 'application/json' },
    body: '{"userId": "\\"',
  });
  expect(bad.status).toBe(400);
  expect(JSON.parse(await bad.text())).toEqual({ message: 'Invalid request body' });
  expect(accessLog.map(({ line }) => JSON.parse(line).status)).toEqual(['400']);
  const text = await fetch(`${gateway.apis.clicks}/clicks`, {
    method: 'PUT',
    headers: { 'Content-Type': 'text/plain' },
    body: 'x',
  });
  expect(text.status).toBe(415);
  expect(clickRecords).toHaveLength(0);
});

test('config.json names the three API origins; another name for the site is sent to its one origin', async () => {
  const config = await (await fetch(`${gateway.url}/config.json`)).json();
  expect(config).toEqual({
    mysfitsApiEndpoint: gateway.apis.mysfits,
    questionsApiEndpoint: gateway.apis.questions,
    streamingApiEndpoint: gateway.apis.clicks,
  });
  const viaLocalhost = await fetch(`http://localhost:${gateway.port}/#/contact`, { redirect: 'manual' });
  expect(viaLocalhost.status).toBe(308);
  expect(viaLocalhost.headers.get('location')).toBe(`${gateway.url}/`);
});

test('static files are served with their content type; nothing outside the site is', async () => {
  const css = await fetch(`${gateway.url}/styles.css`);
  expect(css.headers.get('content-type')).toContain('text/css');
  expect(await css.text()).toBe('body{}');
  expect((await fetch(`${gateway.url}/nope.html`)).status).toBe(404);
  expect((await fetch(`${gateway.url}/..%2fgateway-secret.txt`)).status).toBe(404);
});

test('the mailbox page shows the e-mails, escaped', async () => {
  const page = await (await fetch(`${gateway.url}/_sandbox/mailbox`)).text();
  expect(page).toContain('New question');
  expect(page).toContain('Hello &lt;b&gt;');
  const json = (await (await fetch(`${gateway.url}/_sandbox/mailbox.json`)).json()) as {
    messages: { messageId: string }[];
  };
  expect(json.messages[0].messageId).toBe('m1');
});
