/**
 * The local API gateway, on origins laid out as deployed: the website (what CloudFront serves: the built site,
 * a `config.json` naming the three API origins, and the sandbox's own pages under `/_sandbox/`) on one port, and
 * each REST API (questions, mysfits, clicks: three execute-api hosts on AWS) on its own port. The APIs answer as
 * the stacks deploy them: routes from LAMBDA_ROUTES and CLICKS_ROUTE, Lambda proxy integrations, the clicks
 * request validator and Firehose integration, CORS preflights for the one allowed origin, gateway responses and
 * access log lines from the templates in `system/api-responses.ts`, and a traced stage segment per request.
 * Since the site and the APIs are on different origins, a browser checks CORS here as it does on AWS.
 */
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { createHash, randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { contentTypeOf } from '../../build/website';
import {
  ACCESS_LOG_FORMAT,
  CLICKS_INTEGRATION_RESPONSES,
  clicksResponseHeaders,
  GATEWAY_RESPONSE_TEMPLATE,
  gatewayResponseHeaders,
  PREFLIGHT_STATUS,
  preflightHeaders,
} from '../../system/api-responses';
import { CLICKS_ROUTE, LAMBDA_ROUTES, OUTPUTS, names, type ApiKey, type FunctionKey } from '../../system/definition';
import { LOCAL_ACCOUNT_ID, LOCAL_ENV, LOCAL_REGION, localNames } from '../local-aws';
import { renderMailboxPage, type MailboxMessage } from '../mailbox/mailbox';
import type { StageSpan, StageTracer } from '../tracing/stage-tracer';
import { validateClickBody } from './click-validator';
import { substituteContext, type ContextValues } from './context-variables';
import { buildProxyEvent, MalformedProxyResponse, proxyResultToHttp, requestTime } from './lambda-proxy';
import { BodyTooLargeError, readBoundedBody } from '../http/read-body';
import { refuseForeignHost } from '../http/host-guard';
import {
  createRateLimiter,
  DEFAULT_QUESTIONS_RATE_LIMIT,
  RATE_LIMITED_BODY,
  RATE_LIMITED_STATUS,
  type RateLimit,
} from '../http/rate-limit';
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

export const API_KEYS: readonly ApiKey[] = ['questions', 'mysfits', 'clicks'];

/** A port per origin; 0 = any free port. */
export type GatewayPorts = { website: number } & Record<ApiKey, number>;

export interface GatewayOptions {
  ports: GatewayPorts;
  host?: string;
  websiteDir: string;
  tracer: StageTracer;
  /**
   * The one origin the APIs allow (the stacks' `allowedOrigin`): default the website's own origin, as deployed.
   * Another value shows what a browser does when the two disagree.
   */
  allowedOrigin?: string;
  /** Pages linked from /_sandbox. */
  links: () => { xrayConsole: string };
  onError?: (error: Error) => void;
  /** One line per API request, in the stacks' access log format. */
  accessLog?: (line: string, api: ApiKey) => void;
  /** POST /questions per client IP, as the deployed WAF rule; default 100 per 300 s; false = off. */
  questionsRateLimit?: RateLimit | false;
}

export interface Gateway {
  /** The website's origin, e.g. `http://127.0.0.1:3000`. */
  readonly url: string;
  readonly port: number;
  /** Each API's origin (what the stacks output as its endpoint, and `config.json` names). */
  readonly apis: Record<ApiKey, string>;
  readonly allowedOrigin: string;
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

/** The resource of `api` a path names (its routes, one per method) and its path parameters. */
export function matchRoute(
  api: ApiKey,
  pathname: string,
): { routes: Route[]; params: Record<string, string> } | undefined {
  for (const route of ROUTES.filter((r) => r.api === api)) {
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
    return { routes: ROUTES.filter((r) => r.api === api && r.path === route.path), params };
  }
  return undefined;
}

/** A stable, API-Gateway-looking id (10 lowercase alphanumerics) per REST API name. */
export const restApiId = (api: ApiKey) =>
  BigInt(`0x${createHash('sha256').update(names.api(LOCAL_ENV, api)).digest('hex').slice(0, 15)}`)
    .toString(36)
    .padStart(10, '0')
    .slice(0, 10);

const readBody = (req: http.IncomingMessage) => readBoundedBody(req, MAX_BODY_BYTES);

type HeaderMap = Record<string, string | string[]>;

/** An API's answer before it is sent: a gateway response is named by its error, and templated when sent. */
type Answer =
  | { kind: 'integration'; status: number; body: Buffer | string; headers: HeaderMap; integrationStatus: number }
  | { kind: 'gateway'; status: number; message: string; validationErrorString?: string; integrationStatus?: number };

const gatewayAnswer = (
  status: number,
  message: string,
  more: { validationErrorString?: string; integrationStatus?: number } = {},
): Answer => ({
  kind: 'gateway',
  status,
  message,
  ...more,
});

const LOOPBACK_ALIAS = /^(localhost|127\.0\.0\.1)(:\d+)$/;

function listen(server: http.Server, port: number, host: string, what: string, setting: string): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(
        new Error(
          err.code === 'EADDRINUSE'
            ? `${what}: port ${port} is already in use (stop what uses it, or set ${setting})`
            : `${what}: cannot listen on port ${port}: ${err.message}`,
        ),
      ),
    );
    server.listen(port, host, () => resolve((server.address() as AddressInfo).port));
  });
}

/** Keep-alive connections from browsers and load generators must not hold close() up. */
function trackSockets(server: http.Server): () => Promise<void> {
  const sockets = new Set<import('node:net').Socket>();
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  return () =>
    new Promise<void>((resolve) => {
      if (!server.listening) return resolve();
      server.close(() => resolve());
      for (const socket of sockets) socket.destroy();
    });
}

/** The environment variable that sets each origin's port (sandbox/start.ts). */
export const PORT_SETTINGS: Record<keyof GatewayPorts, string> = {
  website: 'PORT',
  questions: 'QUESTIONS_API_PORT',
  mysfits: 'MYSFITS_API_PORT',
  clicks: 'CLICKS_API_PORT',
};

export async function startGateway(options: GatewayOptions): Promise<Gateway> {
  const host = options.host ?? '127.0.0.1';
  let backends: GatewayBackends | undefined;
  let url = '';
  let allowedOrigin = '';
  const apis = {} as Record<ApiKey, string>;
  const questionsLimiter =
    options.questionsRateLimit === false
      ? undefined
      : createRateLimiter(options.questionsRateLimit ?? DEFAULT_QUESTIONS_RATE_LIMIT);
  const rateLimited = (route: Route, req: http.IncomingMessage) =>
    route.method === 'POST' &&
    route.path === '/questions' &&
    !!questionsLimiter &&
    !questionsLimiter.allow(req.socket.remoteAddress ?? '');
  const report = (err: unknown) => options.onError?.(err instanceof Error ? err : new Error(String(err)));

  const send = (res: http.ServerResponse, status: number, body: Buffer | string, headers: HeaderMap = {}) => {
    const payload = typeof body === 'string' ? Buffer.from(body) : body;
    res.writeHead(status, { ...headers, 'Content-Length': String(payload.length) });
    res.end(payload);
    return payload.length;
  };

  function stageFor(api: ApiKey) {
    return {
      segmentName: names.stageSegment(LOCAL_ENV, api),
      restApiId: restApiId(api),
      stage: LOCAL_ENV,
      accountId: LOCAL_ACCOUNT_ID,
    };
  }

  async function handleLambdaRoute(
    req: http.IncomingMessage,
    requestUrl: URL,
    route: Route,
    params: Record<string, string>,
    span: StageSpan,
    requestId: string,
  ): Promise<Answer> {
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
      return gatewayAnswer(502, 'Internal server error', { integrationStatus: 200 });
    }
    try {
      // Lambda proxy: the function's own status, headers (its CORS headers included) and body, as they are.
      const answer = proxyResultToHttp(outcome.result);
      integration.end({ status: 200 });
      return {
        kind: 'integration',
        status: answer.statusCode,
        body: answer.body,
        headers: answer.headers,
        integrationStatus: 200,
      };
    } catch (err) {
      if (!(err instanceof MalformedProxyResponse)) throw err;
      report(new Error(`${functionName}: malformed Lambda proxy response: ${err.message}`));
      integration.end({ status: 200, fault: true });
      return gatewayAnswer(502, 'Internal server error', { integrationStatus: 200 });
    }
  }

  async function handleClick(req: http.IncomingMessage, span: StageSpan): Promise<Answer> {
    const contentType = (req.headers['content-type'] ?? 'application/json').split(';')[0].trim().toLowerCase();
    // The integration only has an application/json template and passthrough NEVER: anything else is 415.
    if (contentType !== 'application/json') {
      await readBody(req);
      return gatewayAnswer(415, 'Unsupported Media Type');
    }
    const body = await readBody(req);
    const validation = validateClickBody(body);
    if (!validation.ok) {
      return gatewayAnswer(400, 'Invalid request body', {
        validationErrorString: `[${validation.problems.join(', ')}]`,
      });
    }
    const integration = span.beginIntegration({
      name: 'Firehose',
      aws: { operation: 'PutRecord', region: LOCAL_REGION, resource_names: [localNames.deliveryStream] },
      request: { url: `https://firehose.${LOCAL_REGION}.amazonaws.com/`, method: 'POST' },
    });
    // The integration responses the clicks stack declares: body template and headers, by Firehose's outcome.
    const respond = (response: { statusCode: string; body: string }, integrationStatus: number): Answer => ({
      kind: 'integration',
      status: Number(response.statusCode),
      body: response.body,
      headers: { 'Content-Type': 'application/json', ...clicksResponseHeaders(allowedOrigin) },
      integrationStatus,
    });
    try {
      backends!.putClickRecord(body);
      integration.end({ status: 200 });
      return respond(CLICKS_INTEGRATION_RESPONSES.recorded, 200);
    } catch (err) {
      report(err);
      integration.end({ status: 500, fault: true });
      return respond(CLICKS_INTEGRATION_RESPONSES.notRecorded, 500);
    }
  }

  /** What API Gateway knows of a request, for gateway response templates and the access log. */
  function contextOf(
    req: http.IncomingMessage,
    requestId: string,
    traceId: string,
    resourcePath: string,
    received: Date,
    answer: Answer,
  ): Partial<ContextValues> {
    const error = answer.kind === 'gateway' ? answer : undefined;
    return {
      requestId,
      xrayTraceId: traceId || '-',
      'identity.sourceIp': req.socket.remoteAddress ?? '-',
      requestTime: requestTime(received),
      httpMethod: req.method ?? 'GET',
      resourcePath,
      status: String(answer.status),
      // Measured from the request's arrival here (body read included): an upper bound of API Gateway's figure.
      integrationLatency: answer.integrationStatus === undefined ? '-' : String(Date.now() - received.getTime()),
      'integration.status': answer.integrationStatus === undefined ? '-' : String(answer.integrationStatus),
      'error.message': error ? error.message : '-',
      'error.validationErrorString': error?.validationErrorString ?? '-',
    };
  }

  /** Sends an answer; a gateway response gets the stacks' template and headers. Returns the body length. */
  function sendAnswer(
    res: http.ServerResponse,
    answer: Answer,
    context: Partial<ContextValues>,
    extra: HeaderMap,
  ): number {
    if (answer.kind === 'integration') return send(res, answer.status, answer.body, { ...answer.headers, ...extra });
    return send(res, answer.status, substituteContext(GATEWAY_RESPONSE_TEMPLATE, context), {
      'Content-Type': 'application/json',
      ...gatewayResponseHeaders(allowedOrigin),
      'x-amzn-ErrorType': answer.status >= 500 ? 'InternalServerErrorException' : 'BadRequestException',
      ...extra,
    });
  }

  function writeAccessLog(api: ApiKey, context: Partial<ContextValues>, responseLength: number): void {
    options.accessLog?.(
      substituteContext(ACCESS_LOG_FORMAT, { ...context, responseLength: String(responseLength) }),
      api,
    );
  }

  async function handleApi(api: ApiKey, req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const received = new Date();
    const requestUrl = new URL(req.url ?? '/', 'http://gateway.local');
    const match = matchRoute(api, requestUrl.pathname);
    const method = req.method ?? 'GET';
    const requestId = randomUUID();
    const resourcePath = match?.routes[0].path ?? requestUrl.pathname;
    if (!match || method === 'OPTIONS') {
      // An unknown resource is a gateway response; a preflight is the stacks' OPTIONS mock integration. Neither
      // reaches an integration, and neither is traced here.
      req.resume();
      const answer: Answer = match
        ? {
            kind: 'integration',
            status: PREFLIGHT_STATUS,
            body: '',
            headers: preflightHeaders(allowedOrigin, [...match.routes.map((r) => r.method), 'OPTIONS']),
            integrationStatus: 200,
          }
        : gatewayAnswer(403, 'Missing Authentication Token');
      const context = contextOf(req, requestId, '', resourcePath, received, answer);
      writeAccessLog(api, context, sendAnswer(res, answer, context, { 'x-amzn-RequestId': requestId }));
      return;
    }
    const route = match.routes.find((r) => r.method === method);
    const span = options.tracer.begin(req, requestId, stageFor(api));
    let answer: Answer;
    try {
      if (!route) {
        // REST APIs answer an undeclared method on a resource like an unknown resource.
        req.resume();
        answer = gatewayAnswer(403, 'Missing Authentication Token');
      } else if (rateLimited(route, req)) {
        req.resume(); // what the deployed WAF's custom block response answers
        answer = {
          kind: 'integration',
          status: RATE_LIMITED_STATUS,
          body: RATE_LIMITED_BODY,
          headers: { 'Content-Type': 'application/json', 'Access-Control-Allow-Origin': allowedOrigin },
          integrationStatus: RATE_LIMITED_STATUS,
        };
      } else if (!backends) {
        req.resume();
        answer = gatewayAnswer(503, 'Service Unavailable');
      } else if (route.function) {
        answer = await handleLambdaRoute(req, requestUrl, route, match.params, span, requestId);
      } else {
        answer = await handleClick(req, span);
      }
    } catch (err) {
      if (err instanceof BodyTooLargeError) answer = gatewayAnswer(413, 'Request Too Long');
      else {
        report(err);
        answer = gatewayAnswer(500, 'Internal server error');
      }
    }
    const context = contextOf(req, requestId, span.traceId, resourcePath, received, answer);
    const length = sendAnswer(res, answer, context, {
      'x-amzn-RequestId': requestId,
      'X-Amzn-Trace-Id': span.responseHeader,
    });
    span.end(answer.status, length);
    writeAccessLog(api, context, length);
  }

  /** The deployed config.json's three endpoints, here the three API origins. */
  function configJson(): string {
    return JSON.stringify(
      {
        [OUTPUTS.mysfitsApiEndpoint]: apis.mysfits,
        [OUTPUTS.questionsApiEndpoint]: apis.questions,
        [OUTPUTS.streamingApiEndpoint]: apis.clicks,
      },
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
      return send(res, 200, renderMailboxPage(messages, options.links()), {
        'Content-Type': 'text/html; charset=utf-8',
      });
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

  function handleWebsite(req: http.IncomingMessage, res: http.ServerResponse): Promise<unknown> | unknown {
    // The site has one origin, the one the APIs allow: another name for this server (localhost) is sent there,
    // or every API call from the page would fail its CORS check.
    const hostHeader = req.headers.host ?? '';
    if (LOOPBACK_ALIAS.test(hostHeader) && `http://${hostHeader}` !== url) {
      return send(res, 308, '', { Location: `${url}${req.url ?? '/'}` });
    }
    const { pathname } = new URL(req.url ?? '/', 'http://website.local');
    const readOnlyPage = pathname === '/config.json' || pathname === '/_sandbox' || pathname.startsWith('/_sandbox/');
    if (readOnlyPage && !isReadOnlyMethod(req.method)) {
      req.resume();
      return send(res, 405, JSON.stringify({ message: `${req.method} is not allowed on ${pathname}` }), {
        'Content-Type': 'application/json',
        Allow: READ_ONLY_METHODS.join(', '),
      });
    }
    if (pathname === '/config.json') {
      return send(res, 200, configJson(), { 'Content-Type': 'application/json', 'Cache-Control': 'no-cache' });
    }
    if (pathname === '/_sandbox' || pathname.startsWith('/_sandbox/')) return handleSandboxPage(res, pathname);
    return serveStatic(req, res, pathname);
  }

  const serve = (handle: (req: http.IncomingMessage, res: http.ServerResponse) => unknown) =>
    http.createServer((req, res) => {
      if (refuseForeignHost(req, res)) return;
      Promise.resolve()
        .then(() => handle(req, res))
        .catch((err) => {
          report(err);
          if (!res.headersSent) send(res, 500, 'Internal error', { 'Content-Type': 'text/plain' });
          else res.destroy();
        });
    });

  const website = serve(handleWebsite);
  const apiServers = Object.fromEntries(
    API_KEYS.map((api) => [api, serve((req, res) => handleApi(api, req, res))]),
  ) as Record<ApiKey, http.Server>;
  const closers = [website, ...Object.values(apiServers)].map(trackSockets);
  const closeAll = () => Promise.all(closers.map((close) => close())).then(() => undefined);

  let port: number;
  try {
    port = await listen(website, options.ports.website, host, 'website', PORT_SETTINGS.website);
    for (const api of API_KEYS) {
      const apiPort = await listen(apiServers[api], options.ports[api], host, `${api} API`, PORT_SETTINGS[api]);
      apis[api] = `http://${host}:${apiPort}`;
    }
  } catch (err) {
    await closeAll();
    throw err;
  }
  url = `http://${host}:${port}`;
  allowedOrigin = options.allowedOrigin ?? url;

  return {
    url,
    port,
    apis,
    allowedOrigin,
    attach(b) {
      backends = b;
    },
    close: closeAll,
  };
}
