/**
 * The local API gateway on one port: the built website with a `config.json` pointing at itself, the three REST
 * APIs as the stacks deploy them (routes from LAMBDA_ROUTES and CLICKS_ROUTE, Lambda proxy integrations, the
 * clicks request validator and Firehose integration, CORS preflights, gateway error responses), a traced stage
 * segment per API request, and the sandbox's own pages under `/_sandbox/`.
 */
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { createHash, randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { contentTypeOf } from '../../build/website';
import {
  CLICKS_ROUTE,
  CORS_ALLOW_HEADERS,
  LAMBDA_ROUTES,
  OUTPUTS,
  names,
  type ApiKey,
  type FunctionKey,
} from '../../system/definition';
import { LOCAL_ACCOUNT_ID, LOCAL_ENV, LOCAL_REGION, localNames } from '../local-aws';
import { renderMailboxPage, type MailboxMessage } from '../mailbox/mailbox';
import type { StageSpan, StageTracer } from '../tracing/stage-tracer';
import { validateClickBody } from './click-validator';
import { buildProxyEvent, MalformedProxyResponse, proxyResultToHttp } from './lambda-proxy';
import { BodyTooLargeError, readBoundedBody } from '../http/read-body';
import { refuseForeignHost } from '../http/host-guard';
import { createRateLimiter, DEFAULT_QUESTIONS_RATE_LIMIT, RATE_LIMITED_BODY, RATE_LIMITED_STATUS, type RateLimit } from '../http/rate-limit';
import { isReadOnlyMethod, READ_ONLY_METHODS, staticFilePath } from '../http/static-path';

/** API Gateway's payload limit. */
const MAX_BODY_BYTES = 10 * 1024 * 1024;

export interface FunctionOutcome {
  ok: boolean;
  result?: unknown;
  error?: { errorType: string; errorMessage: string };
}

export interface GatewayBackends {
  invokeFunction(key: FunctionKey, event: APIGatewayProxyEvent, traceHeader: string): Promise<FunctionOutcome>;
  /** Firehose PutRecord on the clicks delivery stream. */
  putClickRecord(data: Buffer): { recordId: string };
  readMailbox(): Promise<MailboxMessage[]>;
}

export interface GatewayOptions {
  port: number;
  host?: string;
  websiteDir: string;
  tracer: StageTracer;
  /** Pages linked from /_sandbox. */
  links: () => { xrayConsole: string };
  onError?: (error: Error) => void;
  /** POST /questions per client IP, as the deployed WAF rule; default 100 per 300 s; false = off. */
  questionsRateLimit?: RateLimit | false;
}

export interface Gateway {
  readonly url: string;
  readonly port: number;
  /** Until backends are attached, API calls get 503 (the sandbox is still starting). */
  attach(backends: GatewayBackends): void;
  close(): Promise<void>;
}

interface Route {
  api: ApiKey;
  method: string;
  path: string;
  function?: FunctionKey;
  pattern: RegExp;
  params: string[];
}

const ROUTES: Route[] = [...LAMBDA_ROUTES, CLICKS_ROUTE].map((route) => {
  const params: string[] = [];
  const pattern = new RegExp(
    '^' +
      route.path.replace(/\{([^}]+)\}/g, (_m, name: string) => {
        params.push(name);
        return '([^/]+)';
      }) +
      '/?$',
  );
  return { ...route, pattern, params };
});

export function matchRoute(pathname: string): { routes: Route[]; params: Record<string, string> } | undefined {
  for (const route of ROUTES) {
    const match = route.pattern.exec(pathname);
    if (!match) continue;
    const decode = (text: string) => {
      try {
        return decodeURIComponent(text);
      } catch {
        return text; // malformed escapes reach the function as sent
      }
    };
    const params = Object.fromEntries(route.params.map((name, i) => [name, decode(match[i + 1])]));
    return { routes: ROUTES.filter((r) => r.path === route.path), params };
  }
  return undefined;
}

/** A stable, API-Gateway-looking id (10 lowercase alphanumerics) per REST API name. */
export const restApiId = (api: ApiKey) =>
  BigInt('0x' + createHash('sha256').update(names.api(LOCAL_ENV, api)).digest('hex').slice(0, 15))
    .toString(36)
    .padStart(10, '0')
    .slice(0, 10);

const readBody = (req: http.IncomingMessage) => readBoundedBody(req, MAX_BODY_BYTES);

const isLoopbackHost = (host: string) => /^(127\.0\.0\.1|localhost|\[::1\]):\d+$/.test(host);

export async function startGateway(options: GatewayOptions): Promise<Gateway> {
  const host = options.host ?? '127.0.0.1';
  let backends: GatewayBackends | undefined;
  let url = '';
  const questionsLimiter =
    options.questionsRateLimit === false ? undefined : createRateLimiter(options.questionsRateLimit ?? DEFAULT_QUESTIONS_RATE_LIMIT);
  const rateLimited = (route: Route, req: http.IncomingMessage) =>
    route.method === 'POST' && route.path === '/questions' && !!questionsLimiter && !questionsLimiter.allow(req.socket.remoteAddress ?? '');
  const report = (err: unknown) => options.onError?.(err instanceof Error ? err : new Error(String(err)));

  const send = (
    res: http.ServerResponse,
    status: number,
    body: Buffer | string,
    headers: Record<string, string | string[]> = {},
  ) => {
    const payload = typeof body === 'string' ? Buffer.from(body) : body;
    res.writeHead(status, { ...headers, 'Content-Length': String(payload.length) });
    res.end(payload);
    return payload.length;
  };

  /** API Gateway's own answers (DEFAULT_4XX / DEFAULT_5XX gateway responses, as the stacks template them). */
  const gatewayError = (status: number, message: string, detail = '') => ({
    status,
    body: JSON.stringify({ message, detail }),
    headers: {
      'Content-Type': 'application/json',
      'Access-Control-Allow-Origin': url,
      'x-amzn-ErrorType': status >= 500 ? 'InternalServerErrorException' : 'BadRequestException',
    },
  });

  function stageFor(api: ApiKey) {
    return { segmentName: names.stageSegment(LOCAL_ENV, api), restApiId: restApiId(api), stage: LOCAL_ENV, accountId: LOCAL_ACCOUNT_ID };
  }

  async function handleLambdaRoute(
    req: http.IncomingMessage,
    requestUrl: URL,
    route: Route,
    params: Record<string, string>,
    span: StageSpan,
    requestId: string,
  ) {
    const key = route.function!;
    const body = await readBody(req);
    const event = buildProxyEvent(req, requestUrl, {
      accountId: LOCAL_ACCOUNT_ID,
      apiId: restApiId(route.api),
      stage: LOCAL_ENV,
      resourcePath: route.path,
      requestId,
      pathParameters: route.params.length ? params : null,
      body,
    });
    const functionName = localNames.function(key);
    const integration = span.beginIntegration({
      name: 'Lambda',
      aws: { function_name: functionName, region: LOCAL_REGION, operation: 'Invoke', resource_names: [functionName] },
      request: {
        url: `https://lambda.${LOCAL_REGION}.amazonaws.com/2015-03-31/functions/${localNames.functionArn(key)}/invocations`,
        method: 'POST',
      },
    });
    let outcome: FunctionOutcome;
    try {
      outcome = await backends!.invokeFunction(key, event, integration.traceHeader);
    } catch (err) {
      report(new Error(`${functionName}: invocation failed: ${(err as Error).message}`));
      outcome = { ok: false, error: { errorType: 'InvokeError', errorMessage: (err as Error).message } };
    }
    if (!outcome.ok) {
      integration.end({ status: 200, fault: true });
      return gatewayError(502, 'Internal server error');
    }
    try {
      const answer = proxyResultToHttp(outcome.result);
      integration.end({ status: 200 });
      return { status: answer.statusCode, body: answer.body, headers: answer.headers };
    } catch (err) {
      if (!(err instanceof MalformedProxyResponse)) throw err;
      report(new Error(`${functionName}: malformed Lambda proxy response: ${err.message}`));
      integration.end({ status: 200, fault: true });
      return gatewayError(502, 'Internal server error');
    }
  }

  async function handleClick(req: http.IncomingMessage, span: StageSpan) {
    const contentType = (req.headers['content-type'] ?? 'application/json').split(';')[0].trim().toLowerCase();
    // The integration only has an application/json template and passthrough NEVER: anything else is 415.
    if (contentType !== 'application/json') {
      await readBody(req);
      return gatewayError(415, 'Unsupported Media Type');
    }
    const body = await readBody(req);
    const validation = validateClickBody(body);
    if (!validation.ok) return gatewayError(400, 'Invalid request body', `[${validation.problems.join(', ')}]`);
    const integration = span.beginIntegration({
      name: 'Firehose',
      aws: { operation: 'PutRecord', region: LOCAL_REGION, resource_names: [localNames.deliveryStream] },
      request: { url: `https://firehose.${LOCAL_REGION}.amazonaws.com/`, method: 'POST' },
    });
    try {
      backends!.putClickRecord(body);
      integration.end({ status: 200 });
      return { status: 200, body: '{"status":"OK"}', headers: { 'Content-Type': 'application/json', 'Access-Control-Allow-Origin': url } };
    } catch (err) {
      report(err);
      integration.end({ status: 500, fault: true });
      return { status: 500, body: '{"message":"click not recorded"}', headers: { 'Content-Type': 'application/json', 'Access-Control-Allow-Origin': url } };
    }
  }

  async function handleApi(req: http.IncomingMessage, res: http.ServerResponse, requestUrl: URL) {
    const match = matchRoute(requestUrl.pathname)!;
    const method = req.method ?? 'GET';
    if (method === 'OPTIONS') {
      // The mock-integration preflight the stacks add for every resource.
      const methods = [...new Set(match.routes.map((r) => r.method)), 'OPTIONS'].join(',');
      send(res, 204, '', {
        'Access-Control-Allow-Origin': url,
        'Access-Control-Allow-Methods': methods,
        'Access-Control-Allow-Headers': CORS_ALLOW_HEADERS,
      });
      return;
    }
    const route = match.routes.find((r) => r.method === method);
    const api = match.routes[0].api;
    const requestId = randomUUID();
    const span = options.tracer.begin(req, requestId, stageFor(api));
    let answer: { status: number; body: Buffer | string; headers: Record<string, string | string[]> };
    try {
      if (!route) {
        // REST APIs answer an undeclared method on a resource like an unknown resource.
        req.resume();
        answer = gatewayError(403, 'Missing Authentication Token');
      } else if (rateLimited(route, req)) {
        req.resume(); // what the deployed WAF's custom block response answers
        answer = { status: RATE_LIMITED_STATUS, body: RATE_LIMITED_BODY, headers: { 'Content-Type': 'application/json', 'Access-Control-Allow-Origin': url } };
      } else if (!backends) {
        req.resume();
        answer = gatewayError(503, 'Service Unavailable', 'the sandbox is still starting');
      } else if (route.function) {
        answer = await handleLambdaRoute(req, requestUrl, route, match.params, span, requestId);
      } else {
        answer = await handleClick(req, span);
      }
    } catch (err) {
      if (err instanceof BodyTooLargeError) answer = gatewayError(413, 'Request Too Long');
      else {
        report(err);
        answer = gatewayError(500, 'Internal server error');
      }
    }
    const length = send(res, answer.status, answer.body, {
      ...answer.headers,
      'x-amzn-RequestId': requestId,
      'X-Amzn-Trace-Id': span.responseHeader,
    });
    span.end(answer.status, length);
  }

  function configJson(req: http.IncomingMessage): string {
    // Points at whatever name the browser used (localhost or 127.0.0.1), so the APIs are always same-origin.
    const base = req.headers.host && isLoopbackHost(req.headers.host) ? `http://${req.headers.host}` : url;
    return JSON.stringify(
      { [OUTPUTS.mysfitsApiEndpoint]: base, [OUTPUTS.questionsApiEndpoint]: base, [OUTPUTS.streamingApiEndpoint]: base },
      null,
      2,
    );
  }

  async function handleSandboxPage(res: http.ServerResponse, pathname: string) {
    if (!backends) return send(res, 503, 'The sandbox is still starting.', { 'Content-Type': 'text/plain' });
    if (pathname === '/_sandbox/mailbox' || pathname === '/_sandbox/mailbox.json') {
      const messages = await backends.readMailbox();
      if (pathname.endsWith('.json')) {
        return send(res, 200, JSON.stringify({ messages }, null, 2), { 'Content-Type': 'application/json' });
      }
      return send(res, 200, renderMailboxPage(messages, options.links()), { 'Content-Type': 'text/html; charset=utf-8' });
    }
    return send(res, 404, 'Not found', { 'Content-Type': 'text/plain' });
  }

  function serveStatic(req: http.IncomingMessage, res: http.ServerResponse, pathname: string): void {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      send(res, 405, 'Method not allowed', { 'Content-Type': 'text/plain', Allow: 'GET, HEAD' });
      return;
    }
    const file = staticFilePath(options.websiteDir, pathname);
    if (!file) {
      send(res, 404, 'Not found', { 'Content-Type': 'text/plain' });
      return;
    }
    fs.readFile(file, (err, data) => {
      if (err) {
        send(res, 404, 'Not found', { 'Content-Type': 'text/plain' });
        return;
      }
      let type: string;
      try {
        type = contentTypeOf(file);
      } catch {
        type = 'application/octet-stream';
      }
      res.writeHead(200, { 'Content-Type': type, 'Content-Length': String(data.length), 'Cache-Control': 'no-cache' });
      res.end(req.method === 'HEAD' ? undefined : data);
    });
  }

  const server = http.createServer((req, res) => {
    const requestUrl = new URL(req.url ?? '/', 'http://gateway.local');
    const { pathname } = requestUrl;
    if (refuseForeignHost(req, res)) return;
    const work = async () => {
      if (matchRoute(pathname)) return handleApi(req, res, requestUrl);
      const readOnlyPage = pathname === '/config.json' || pathname === '/_sandbox' || pathname.startsWith('/_sandbox/');
      if (readOnlyPage && !isReadOnlyMethod(req.method)) {
        req.resume();
        return send(res, 405, JSON.stringify({ message: `${req.method} is not allowed on ${pathname}` }), {
          'Content-Type': 'application/json',
          Allow: READ_ONLY_METHODS.join(', '),
        });
      }
      if (pathname === '/config.json') {
        return send(res, 200, configJson(req), { 'Content-Type': 'application/json', 'Cache-Control': 'no-cache' });
      }
      if (pathname === '/_sandbox' || pathname.startsWith('/_sandbox/')) return handleSandboxPage(res, pathname);
      return serveStatic(req, res, pathname);
    };
    work().catch((err) => {
      report(err);
      if (!res.headersSent) send(res, 500, 'Internal error', { 'Content-Type': 'text/plain' });
      else res.destroy();
    });
  });
  // Keep-alive connections from load generators must not hold close() up.
  const sockets = new Set<import('node:net').Socket>();
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(
        new Error(
          err.code === 'EADDRINUSE'
            ? `API gateway: port ${options.port} is already in use (stop what uses it, or set PORT)`
            : `API gateway: cannot listen on port ${options.port}: ${err.message}`,
        ),
      ),
    );
    server.listen(options.port, host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  url = `http://${host}:${port}`;

  return {
    url,
    port,
    attach(b) {
      backends = b;
    },
    close() {
      return new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      });
    },
  };
}
