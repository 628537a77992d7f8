/**
 * Hostile input against one running sandbox: malformed and mis-encoded bodies, Unicode edge cases, header
 * injection, path traversal, method confusion, query abuse, prototype keys, oversized ids and filters, foreign
 * Host names (DNS rebinding) and a client over the rate limit. Each case asserts the status and the message
 * naming the problem; the last test asserts that nothing any of them sent was stored, queued, e-mailed or written.
 *
 * Every request carries MARKER where it can, and comes from its own loopback address (127.x.y.z all reach the
 * sandbox), so the per-client rate limit only ever sees the client the rate-limit case means it to.
 */
import { DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import { GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { randomUUID } from 'node:crypto';
import * as http from 'node:http';
import * as net from 'node:net';
import { FREE_PORTS, startSandbox, type Sandbox } from '../../sandbox/index';
import { RATE_LIMITED_RESPONSE } from '../../system/definition';
import { LOCAL_CREDENTIALS, LOCAL_REGION, localNames } from '../../sandbox/local-aws';
import { isLoopbackAddress, listeningAddresses } from '../support/listeners';

const MARKER = `hostile-${randomUUID()}`;
const RATE_LIMIT = { limit: 5, windowSeconds: 300 };

let sandbox: Sandbox;
let nextClient = 0;
/** A loopback address of its own for each request: 127.77.0.1, 127.77.0.2, ... */
const freshClient = () => {
  nextClient += 1;
  return `127.77.${Math.floor(nextClient / 250)}.${(nextClient % 250) + 1}`;
};

beforeAll(async () => {
  sandbox = await startSandbox({ ...FREE_PORTS, questionsRateLimit: RATE_LIMIT });
}, 120_000);

afterAll(async () => {
  await sandbox?.stop();
});

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
}

/** One request with exactly these method, path (not normalised), headers and body, from `from`. */
function request(
  base: string,
  options: { method: string; path: string; headers?: Record<string, string>; body?: string | Buffer; from?: string },
): Promise<Answer> {
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port: url.port,
        method: options.method,
        path: options.path,
        localAddress: options.from ?? freshClient(),
        agent: false,
        headers: { Host: url.host, ...options.headers },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d) => (text += d));
        res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, text }));
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

/** The same over a raw socket, for bytes an HTTP client refuses to send. */
function rawRequest(base: string, head: string): Promise<Answer> {
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port: Number(url.port), localAddress: freshClient() }, () =>
      socket.write(head),
    );
    let data = '';
    socket.setEncoding('latin1');
    socket.on('data', (d) => (data += d));
    socket.on('end', () => {
      const [statusLine] = data.split('\r\n');
      resolve({
        status: Number(statusLine.split(' ')[1]),
        headers: {},
        text: data.split('\r\n\r\n').slice(1).join('\r\n\r\n'),
      });
    });
    socket.on('error', reject);
  });
}

const JSON_HEADERS = { 'Content-Type': 'application/json' };
const question = (fields: Record<string, unknown>) =>
  JSON.stringify({ email: 'hostile@example.com', questionText: MARKER, ...fields });

interface HostileCase {
  what: string;
  /** 'gateway' (the website and mailbox, or the API the path names) or 'xray' (X-Ray API and console). */
  target?: 'gateway' | 'xray' | 'otlp';
  method: string;
  path: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
  status: number;
  /** What the answer must say (matched against its body); JSON answers must parse. */
  problem: RegExp;
  /** The answer is plain text (static files: a 404 page, as for any missing file). */
  text?: boolean;
  /** Extra checks on the answer. */
  check?: (answer: Answer) => void;
}

/** Run by this suite. */
const HOSTILE_CASES: HostileCase[] = [
  // Malformed and mis-encoded bodies
  {
    what: 'truncated JSON',
    method: 'POST',
    path: '/questions',
    headers: JSON_HEADERS,
    body: `{"email":"a@example.com","questionText":"${MARKER}`,
    status: 400,
    problem: /"field":"body".*not valid JSON/,
  },
  {
    what: 'a JSON array',
    method: 'POST',
    path: '/questions',
    headers: JSON_HEADERS,
    body: `["${MARKER}"]`,
    status: 400,
    problem: /JSON object/,
  },
  {
    what: 'JSON null',
    method: 'POST',
    path: '/questions',
    headers: JSON_HEADERS,
    body: 'null',
    status: 400,
    problem: /JSON object/,
  },
  {
    what: 'a UTF-16 body',
    method: 'POST',
    path: '/questions',
    headers: JSON_HEADERS,
    body: Buffer.from(question({}), 'utf16le'),
    status: 400,
    problem: /"field":"body".*not valid JSON/,
  },
  {
    what: 'no Content-Type',
    method: 'POST',
    path: '/questions',
    body: question({}),
    status: 400,
    problem: /"field":"body".*application\/json.*missing/,
  },
  {
    what: 'a form body',
    method: 'POST',
    path: '/questions',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: `email=a%40example.com&questionText=${MARKER}`,
    status: 400,
    problem: /"field":"body".*application\/json/,
  },
  {
    what: 'a body over the question size limit',
    method: 'POST',
    path: '/questions',
    headers: JSON_HEADERS,
    body: question({ questionText: `${MARKER} ${'x'.repeat(20_000)}` }),
    status: 400,
    problem: /"field":"body".*at most 16384 bytes/,
  },
  {
    what: 'a body over the gateway payload limit',
    method: 'POST',
    path: '/questions',
    headers: JSON_HEADERS,
    body: question({ questionText: `${MARKER} ${'x'.repeat(11 * 1024 * 1024)}` }),
    status: 413,
    problem: /Request Too Long/,
  },
  {
    what: 'a click that is not JSON',
    method: 'PUT',
    path: '/clicks',
    headers: JSON_HEADERS,
    body: `{"userId":"${MARKER}"`,
    status: 400,
    problem: /Invalid request body/,
  },
  {
    what: 'a click as text/plain',
    method: 'PUT',
    path: '/clicks',
    headers: { 'Content-Type': 'text/plain' },
    body: JSON.stringify({ userId: MARKER, mysfitId: 'x' }),
    status: 415,
    problem: /Unsupported Media Type/,
  },

  // Unicode edge cases the rules already refuse
  {
    what: 'a Cyrillic look-alike in the e-mail',
    method: 'POST',
    path: '/questions',
    headers: JSON_HEADERS,
    body: question({ email: 'аdmin@example.com' }),
    status: 400,
    problem: /"field":"email"/,
  },
  {
    what: 'a question of 2,001 emoji',
    method: 'POST',
    path: '/questions',
    headers: JSON_HEADERS,
    body: question({ questionText: `${MARKER}${'🦄'.repeat(2001)}` }),
    status: 400,
    problem: /"field":"questionText".*at most 2000 characters/,
  },
  {
    what: 'an e-mail with a NUL',
    method: 'POST',
    path: '/questions',
    headers: JSON_HEADERS,
    body: question({ email: 'a\u0000@example.com' }),
    status: 400,
    problem: /"field":"email"/,
  },

  // Prototype keys
  {
    what: '__proto__ carrying the e-mail',
    method: 'POST',
    path: '/questions',
    headers: JSON_HEADERS,
    body: `{"__proto__":{"email":"a@example.com"},"questionText":"${MARKER}"}`,
    status: 400,
    problem: /"field":"email".*required/,
  },
  {
    what: 'constructor.prototype carrying the e-mail',
    method: 'POST',
    path: '/questions',
    headers: JSON_HEADERS,
    body: `{"constructor":{"prototype":{"email":"a@example.com"}},"questionText":"${MARKER}"}`,
    status: 400,
    problem: /"field":"email".*required/,
  },
  {
    what: 'a click with __proto__ keys',
    method: 'PUT',
    path: '/clicks',
    headers: JSON_HEADERS,
    body: `{"__proto__":{"userId":"${MARKER}","mysfitId":"x"}}`,
    status: 400,
    problem: /Invalid request body/,
  },

  // Header injection
  {
    what: 'a trace header with a script and a malformed Parent',
    method: 'POST',
    path: '/questions',
    headers: {
      ...JSON_HEADERS,
      'X-Amzn-Trace-Id': 'Root=1-5759e988-bd862e3fe1be46a994272794;Parent=<script>;Sampled=1',
    },
    body: `{"questionText":"${MARKER}"}`,
    status: 400,
    problem: /"field":"email"/,
    check: (a) => expect(a.headers['x-amzn-trace-id']).not.toContain('<'),
  },
  {
    what: 'a forged X-Forwarded-For',
    method: 'POST',
    path: '/questions',
    headers: { ...JSON_HEADERS, 'X-Forwarded-For': '10.0.0.1, <img src=x>' },
    body: `{"questionText":"${MARKER}"}`,
    status: 400,
    problem: /"field":"email"/,
  },

  // Path traversal and invalid bytes in paths
  {
    what: 'an encoded traversal',
    method: 'GET',
    path: '/..%2f..%2f..%2fetc%2fpasswd',
    status: 404,
    problem: /Not found/,
    text: true,
  },
  {
    what: 'a dot-dot traversal',
    method: 'GET',
    path: '/../../etc/passwd',
    status: 404,
    problem: /Not found/,
    text: true,
  },
  {
    what: 'a NUL in a static path',
    method: 'GET',
    path: '/index.html%00.png',
    status: 404,
    problem: /Not found/,
    text: true,
  },
  {
    what: 'bytes that are not UTF-8 in a static path',
    method: 'GET',
    path: '/%ff%fe',
    status: 404,
    problem: /Not found/,
    text: true,
  },
  {
    what: 'a traversal as a mysfit id',
    method: 'GET',
    path: '/mysfits/..%2F..%2Fquestions',
    status: 404,
    problem: /not found/,
  },

  // Method confusion
  {
    what: 'DELETE on /questions',
    method: 'DELETE',
    path: '/questions',
    status: 403,
    problem: /Missing Authentication Token/,
  },
  {
    what: 'GET with a method override header',
    method: 'GET',
    path: '/questions',
    headers: { 'X-HTTP-Method-Override': 'POST' },
    status: 403,
    problem: /Missing Authentication Token/,
  },
  {
    what: 'POST on config.json',
    method: 'POST',
    path: '/config.json',
    headers: JSON_HEADERS,
    body: '{}',
    status: 405,
    problem: /POST is not allowed on \/config.json/,
    check: (a) => expect(a.headers.allow).toBe('GET, HEAD'),
  },
  {
    what: 'DELETE on the mailbox',
    method: 'DELETE',
    path: '/_sandbox/mailbox.json',
    status: 405,
    problem: /DELETE is not allowed/,
    check: (a) => expect(a.headers.allow).toBe('GET, HEAD'),
  },
  {
    what: 'PUT on a website file',
    method: 'PUT',
    path: '/index.html',
    body: MARKER,
    status: 405,
    problem: /Method not allowed/,
    text: true,
    check: (a) => expect(a.headers.allow).toBe('GET, HEAD'),
  },
  {
    what: 'PUT on the X-Ray API',
    target: 'xray',
    method: 'PUT',
    path: '/TraceSummaries',
    body: '{}',
    status: 405,
    problem: /PUT is not supported/,
  },

  // Query abuse
  {
    what: 'an unknown filter',
    method: 'GET',
    path: '/mysfits?filter=__proto__&value=x',
    status: 400,
    problem: /"field":"filter"/,
  },
  {
    what: 'a value without a filter',
    method: 'GET',
    path: '/mysfits?value=Good',
    status: 400,
    problem: /"field":"(filter|value)"/,
  },
  {
    what: 'a filter of 10,000 characters',
    method: 'GET',
    path: `/mysfits?filter=${'x'.repeat(10_000)}&value=Good`,
    status: 400,
    problem: /"field":"filter"/,
  },

  // Oversized X-Ray filters
  {
    what: 'a filter nested 3,000 deep',
    target: 'xray',
    method: 'POST',
    path: '/TraceSummaries',
    headers: JSON_HEADERS,
    body: JSON.stringify({ StartTime: 0, EndTime: 2e9, FilterExpression: `${'('.repeat(3000)}ok${')'.repeat(3000)}` }),
    status: 400,
    problem: /nested more than 100 deep/,
    check: (a) => expect(a.headers['x-amzn-errortype']).toBe('ValidationException'),
  },
  {
    what: 'a filter of 20,000 characters',
    target: 'xray',
    method: 'POST',
    path: '/TraceSummaries',
    headers: JSON_HEADERS,
    body: JSON.stringify({ StartTime: 0, EndTime: 2e9, FilterExpression: `${'ok OR '.repeat(3400)}ok` }),
    status: 400,
    problem: /longer than 10000 characters/,
  },
  {
    what: 'an X-Ray call with __proto__ for its fields',
    target: 'xray',
    method: 'POST',
    path: '/TraceSummaries',
    headers: JSON_HEADERS,
    body: '{"__proto__":{"StartTime":0,"EndTime":2000000000}}',
    status: 400,
    problem: /StartTime is required/,
  },

  // Unicode, charsets, query arrays, oversized ids and idempotency keys: refused by the handlers
  {
    what: 'bytes that are not UTF-8',
    method: 'POST',
    path: '/questions',
    headers: JSON_HEADERS,
    body: Buffer.concat([
      Buffer.from(`{"email":"a@example.com","questionText":"${MARKER}`),
      Buffer.from([0xff, 0xfe, 0x22, 0x7d]),
    ]),
    status: 400,
    problem: /"field":"body"/,
  },
  {
    what: 'a lone surrogate in the question',
    method: 'POST',
    path: '/questions',
    headers: JSON_HEADERS,
    body: `{"email":"a@example.com","questionText":"${MARKER} \\ud800"}`,
    status: 400,
    problem: /"field":"questionText"/,
  },
  {
    what: 'a question of invisible characters only',
    method: 'POST',
    path: '/questions',
    headers: JSON_HEADERS,
    body: question({ questionText: '\u200b\u200b\u2060\ufeff' }),
    status: 400,
    problem: /"field":"questionText"/,
  },
  {
    what: 'a charset other than UTF-8',
    method: 'POST',
    path: '/questions',
    headers: { 'Content-Type': 'application/json; charset=iso-8859-1' },
    body: question({}),
    status: 415,
    problem: /"field":"Content-Type".*charset/,
  },
  {
    what: 'filter[] in the query',
    method: 'GET',
    path: '/mysfits?filter[]=GoodEvil&value=Good',
    status: 400,
    problem: /"field":"filter\[\]"/,
  },
  {
    what: 'a repeated filter',
    method: 'GET',
    path: '/mysfits?filter=GoodEvil&filter=LawChaos&value=Good',
    status: 400,
    problem: /"field":"filter"/,
  },
  {
    what: 'a mysfit id of 10,000 characters',
    method: 'GET',
    path: `/mysfits/${'a'.repeat(10_000)}`,
    status: 404,
    problem: /not found/,
  },
  {
    what: 'a malformed Idempotency-Key',
    method: 'POST',
    path: '/questions',
    headers: { ...JSON_HEADERS, 'Idempotency-Key': 'x'.repeat(1000) },
    body: question({}),
    status: 400,
    problem: /"field":"Idempotency-Key"/,
  },

  // Foreign Host names (DNS rebinding): refused before anything runs
  {
    what: 'a question under a rebinding Host',
    method: 'POST',
    path: '/questions',
    headers: { ...JSON_HEADERS, Host: 'evil.example' },
    body: question({}),
    status: 403,
    problem: /evil\.example/,
  },
  {
    what: 'the mailbox under a rebinding Host',
    method: 'GET',
    path: '/_sandbox/mailbox.json',
    headers: { Host: 'evil.example:80' },
    status: 403,
    problem: /evil\.example:80/,
  },
  {
    what: 'the X-Ray console under a rebinding Host',
    target: 'xray',
    method: 'GET',
    path: '/traces',
    headers: { Host: 'rebind.example' },
    status: 403,
    problem: /rebind\.example/,
  },
  {
    what: 'OTLP spans under a rebinding Host',
    target: 'otlp',
    method: 'POST',
    path: '/v1/traces',
    headers: { ...JSON_HEADERS, Host: 'rebind.example' },
    body: '{"resourceSpans":[]}',
    status: 403,
    problem: /rebind\.example/,
  },
];

/** Each API answers on its own origin, as deployed; the website, config.json and the mailbox on the site's. */
function baseFor(c: HostileCase): string {
  if (c.target === 'xray') return sandbox.xrayEndpoint;
  if (c.target === 'otlp') return sandbox.otlpEndpoint;
  const api = (['questions', 'mysfits', 'clicks'] as const).find((name) => c.path.startsWith(`/${name}`));
  return api ? sandbox.apis[api] : sandbox.url;
}

describe('hostile input', () => {
  test.each(HOSTILE_CASES.map((c) => [c.what, c] as const))('%s', async (_what, c) => {
    const base = baseFor(c);
    const answer = await request(base, { method: c.method, path: c.path, headers: c.headers, body: c.body });
    expect({ status: answer.status, text: answer.text.slice(0, 300) }).toEqual({
      status: c.status,
      text: expect.stringMatching(/[\s\S]*/),
    });
    if (c.text) {
      expect(answer.text).toMatch(c.problem);
    } else {
      expect(answer.headers['content-type']).toMatch(/^application\/json/);
      expect(() => JSON.parse(answer.text)).not.toThrow();
      expect(JSON.stringify(JSON.parse(answer.text))).toMatch(c.problem);
    }
    c.check?.(answer);
  });

  test('a raw NUL byte in the request line is refused, not served', async () => {
    const answer = await rawRequest(
      sandbox.url,
      `GET /index.html\u0000 HTTP/1.1\r\nHost: ${new URL(sandbox.url).host}\r\nConnection: close\r\n\r\n`,
    );
    expect(answer.status).toBeGreaterThanOrEqual(400);
    expect(answer.status).toBeLessThan(500);
  });

  test('a header split by a bare CR/LF is refused, and the injected header is not honoured', async () => {
    const host = new URL(sandbox.url).host;
    const answer = await rawRequest(
      sandbox.url,
      `GET /config.json HTTP/1.1\r\nHost: ${host}\r\nX-Test: a\rHost: evil.example\r\nConnection: close\r\n\r\n`,
    );
    expect(answer.status).toBe(400);
  });
});

describe('listeners', () => {
  test('every part listens on loopback only', () => {
    const ports = [
      sandbox.url,
      sandbox.xrayEndpoint,
      sandbox.otlpEndpoint,
      sandbox.dynamodbEndpoint,
      sandbox.fauxqsEndpoint,
    ].map((u) => Number(new URL(u).port));
    for (const port of ports) {
      const addresses = listeningAddresses(port);
      expect(addresses.length).toBeGreaterThan(0);
      expect({ port, notLoopback: addresses.filter((a) => !isLoopbackAddress(a)) }).toEqual({ port, notLoopback: [] });
    }
  });
});

describe('rate limit on POST /questions (per client, as the deployed WAF rule)', () => {
  test('past the limit a client gets 429 with a JSON message, and other clients are not affected', async () => {
    const client = '127.88.0.1';
    for (let i = 0; i < RATE_LIMIT.limit; i += 1) {
      const answer = await request(sandbox.apis.questions, {
        method: 'POST',
        path: '/questions',
        headers: JSON_HEADERS,
        body: '{',
        from: client,
      });
      expect(answer.status).toBe(400);
    }
    const limited = await request(sandbox.apis.questions, {
      method: 'POST',
      path: '/questions',
      headers: JSON_HEADERS,
      body: question({}),
      from: client,
    });
    expect(limited.status).toBe(429);
    expect(limited.headers['content-type']).toBe('application/json');
    expect(JSON.parse(limited.text)).toEqual(RATE_LIMITED_RESPONSE.body);
    // Only POST /questions is limited, and only for that client.
    expect((await request(sandbox.apis.mysfits, { method: 'GET', path: '/mysfits', from: client })).status).toBe(200);
    const other = await request(sandbox.apis.questions, {
      method: 'POST',
      path: '/questions',
      headers: JSON_HEADERS,
      body: '{',
      from: '127.88.0.2',
    });
    expect(other.status).toBe(400);
  });
});

describe('after all of it', () => {
  test('nothing any hostile request sent was stored, queued, e-mailed or written', async () => {
    // Past the Firehose buffer interval (1 s here) and the stream poller's delivery.
    await new Promise((r) => setTimeout(r, 2500));
    const common = { region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS };
    const dynamodb = new DynamoDBClient({ ...common, endpoint: sandbox.dynamodbEndpoint });
    const s3 = new S3Client({ ...common, endpoint: sandbox.fauxqsEndpoint, forcePathStyle: true });
    try {
      const scan = await dynamodb.send(new ScanCommand({ TableName: sandbox.resources.questionsTable }));
      expect((scan.Items ?? []).filter((item) => JSON.stringify(item).includes(MARKER))).toEqual([]);
      const mailbox = await (await fetch(`${sandbox.url}/_sandbox/mailbox.json`)).text();
      expect(mailbox).not.toContain(MARKER);
      const failures = await (
        await fetch(`${sandbox.fauxqsEndpoint}/_fauxqs/queues/${localNames.onFailureQueue}`)
      ).text();
      expect(failures).not.toContain(MARKER);
      const objects = await s3.send(new ListObjectsV2Command({ Bucket: sandbox.resources.clicksBucket }));
      for (const object of objects.Contents ?? []) {
        const out = await s3.send(new GetObjectCommand({ Bucket: sandbox.resources.clicksBucket, Key: object.Key! }));
        expect(await out.Body!.transformToString()).not.toContain(MARKER);
      }
    } finally {
      dynamodb.destroy();
      s3.destroy();
    }
  });
});
