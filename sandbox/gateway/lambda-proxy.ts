/**
 * API Gateway REST (v1) Lambda proxy integration: the event a function receives and how its answer becomes the
 * HTTP response (a function error or a malformed answer is a 502 "Internal server error", as API Gateway answers).
 */
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

export interface ProxyRequestContextInfo {
  accountId: string;
  apiId: string;
  stage: string;
  /** API Gateway resource path, e.g. `/mysfits/{mysfitId}`. */
  resourcePath: string;
  requestId: string;
  pathParameters: Record<string, string> | null;
  body: Buffer;
  now?: Date;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const pad = (n: number) => String(n).padStart(2, '0');

/** `$context.requestTime`: `05/Mar/2024:07:09:03 +0000`. */
export function requestTime(date: Date): string {
  return (
    `${pad(date.getUTCDate())}/${MONTHS[date.getUTCMonth()]}/${date.getUTCFullYear()}:` +
    `${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())} +0000`
  );
}

/** Header names as the client sent them (Node lowercases `req.headers`); repeated headers keep every value. */
function headersOf(req: IncomingMessage) {
  const single: Record<string, string> = {};
  const multi: Record<string, string[]> = {};
  for (let i = 0; i < req.rawHeaders.length; i += 2) {
    const name = req.rawHeaders[i];
    const value = req.rawHeaders[i + 1];
    single[name] = value;
    (multi[name] ??= []).push(value);
  }
  return { single, multi };
}

function queryOf(url: URL) {
  const single: Record<string, string> = {};
  const multi: Record<string, string[]> = {};
  for (const [name, value] of url.searchParams) {
    single[name] = value;
    (multi[name] ??= []).push(value);
  }
  return Object.keys(single).length ? { single, multi } : { single: null, multi: null };
}

export function buildProxyEvent(req: IncomingMessage, url: URL, info: ProxyRequestContextInfo): APIGatewayProxyEvent {
  const now = info.now ?? new Date();
  const headers = headersOf(req);
  const query = queryOf(url);
  const sourceIp = String(req.headers['x-forwarded-for'] ?? req.socket.remoteAddress ?? '')
    .split(',')[0]
    .trim();
  return {
    resource: info.resourcePath,
    path: url.pathname,
    httpMethod: req.method ?? 'GET',
    headers: headers.single,
    multiValueHeaders: headers.multi,
    queryStringParameters: query.single,
    multiValueQueryStringParameters: query.multi,
    pathParameters: info.pathParameters,
    stageVariables: null,
    requestContext: {
      accountId: info.accountId,
      apiId: info.apiId,
      authorizer: undefined,
      domainName: req.headers.host ?? '',
      domainPrefix: (req.headers.host ?? '').split('.')[0],
      extendedRequestId: info.requestId,
      httpMethod: req.method ?? 'GET',
      identity: {
        accessKey: null,
        accountId: null,
        apiKey: null,
        apiKeyId: null,
        caller: null,
        clientCert: null,
        cognitoAuthenticationProvider: null,
        cognitoAuthenticationType: null,
        cognitoIdentityId: null,
        cognitoIdentityPoolId: null,
        principalOrgId: null,
        sourceIp,
        user: null,
        userAgent: req.headers['user-agent'] ?? null,
        userArn: null,
      },
      path: `/${info.stage}${url.pathname}`,
      protocol: `HTTP/${req.httpVersion}`,
      requestId: info.requestId,
      requestTime: requestTime(now),
      requestTimeEpoch: now.getTime(),
      resourceId: createHash('sha1').update(info.resourcePath).digest('hex').slice(0, 6),
      resourcePath: info.resourcePath,
      stage: info.stage,
    },
    // Text bodies are passed as they are; the APIs declare no binary media types.
    body: info.body.length > 0 ? info.body.toString('utf8') : null,
    isBase64Encoded: false,
  };
}

export interface HttpAnswer {
  statusCode: number;
  headers: Record<string, string | string[]>;
  body: Buffer;
}

export class MalformedProxyResponse extends Error {}

/** Maps a proxy integration answer to HTTP; throws MalformedProxyResponse when API Gateway would reject it. */
export function proxyResultToHttp(result: unknown): HttpAnswer {
  if (!result || typeof result !== 'object') throw new MalformedProxyResponse('the function returned no object');
  const r = result as Record<string, unknown>;
  const statusCode = typeof r.statusCode === 'string' ? Number(r.statusCode) : r.statusCode;
  if (typeof statusCode !== 'number' || !Number.isInteger(statusCode) || statusCode < 100 || statusCode > 599) {
    throw new MalformedProxyResponse(`statusCode ${JSON.stringify(r.statusCode)} is not an HTTP status`);
  }
  if (r.body !== undefined && r.body !== null && typeof r.body !== 'string') {
    throw new MalformedProxyResponse('body must be a string');
  }
  const headers: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries((r.headers as Record<string, unknown>) ?? {})) {
    if (value !== undefined && value !== null) headers[name] = String(value);
  }
  for (const [name, values] of Object.entries((r.multiValueHeaders as Record<string, unknown>) ?? {})) {
    if (Array.isArray(values)) headers[name] = values.map(String);
  }
  const body =
    typeof r.body === 'string' ? Buffer.from(r.body, r.isBase64Encoded ? 'base64' : 'utf8') : Buffer.alloc(0);
  return { statusCode, headers, body };
}
