/**
 * One REST API's origin (questions, mysfits or clicks: an execute-api host on AWS), answering as the stacks
 * deploy it: its routes, CORS preflights for the one allowed origin (the OPTIONS mock integration), the WAF rate
 * rule on POST /questions, the Lambda proxy and clicks integrations, gateway responses for what never reaches an
 * integration, an access log line and a traced stage segment per request.
 */
import { randomUUID } from 'node:crypto';
import type * as http from 'node:http';
import { PREFLIGHT_STATUS, preflightHeaders } from '../../system/api-responses';
import { names, type ApiKey } from '../../system/definition';
import { LOCAL_ACCOUNT_ID, LOCAL_ENV } from '../local-aws';
import { BodyTooLargeError } from '../http/read-body';
import {
  createRateLimiter,
  DEFAULT_QUESTIONS_RATE_LIMIT,
  RATE_LIMITED_BODY,
  RATE_LIMITED_STATUS,
  type RateLimit,
} from '../http/rate-limit';
import type { Handler } from '../http/serve';
import type { StageSpan, StageTracer } from '../tracing/stage-tracer';
import { accessLogLine, contextOf, gatewayAnswer, sendAnswer, type Answer, type RequestFacts } from './answers';
import { clicksIntegration, lambdaIntegration } from './integrations';
import { matchRoute, restApiId, type Route } from './routes';
import type { GatewayState } from './state';

export interface ApiOptions {
  tracer: StageTracer;
  /** One line per API request, in the stacks' access log format. */
  accessLog?: (line: string, api: ApiKey) => void;
  /** POST /questions per client IP, as the deployed WAF rule; default 100 per 300 s; false = off. */
  questionsRateLimit?: RateLimit | false;
}

type Match = NonNullable<ReturnType<typeof matchRoute>>;

const stageOf = (api: ApiKey) => ({
  segmentName: names.stageSegment(LOCAL_ENV, api),
  restApiId: restApiId(api),
  stage: LOCAL_ENV,
  accountId: LOCAL_ACCOUNT_ID,
});

/** An unknown resource is a gateway response; a preflight is the stacks' OPTIONS mock integration. */
function untracedAnswer(match: Match | undefined, allowedOrigin: string): Answer {
  if (!match) return gatewayAnswer(403, 'Missing Authentication Token');
  return {
    kind: 'integration',
    status: PREFLIGHT_STATUS,
    body: '',
    headers: preflightHeaders(allowedOrigin, [...match.routes.map((r) => r.method), 'OPTIONS']),
    integrationStatus: 200,
  };
}

/** What the deployed WAF's custom block response answers. */
function rateLimitedAnswer(allowedOrigin: string): Answer {
  return {
    kind: 'integration',
    status: RATE_LIMITED_STATUS,
    body: RATE_LIMITED_BODY,
    headers: { 'Content-Type': 'application/json', 'Access-Control-Allow-Origin': allowedOrigin },
    integrationStatus: RATE_LIMITED_STATUS,
  };
}

/** The request handler of one API's origin. */
export function apiHandler(api: ApiKey, state: GatewayState, options: ApiOptions): Handler {
  const limiter =
    options.questionsRateLimit === false
      ? undefined
      : createRateLimiter(options.questionsRateLimit ?? DEFAULT_QUESTIONS_RATE_LIMIT);
  const rateLimited = (route: Route, req: http.IncomingMessage) =>
    route.method === 'POST' &&
    route.path === '/questions' &&
    !!limiter &&
    !limiter.allow(req.socket.remoteAddress ?? '');

  /** Sends the answer; returns what the access log line needs. */
  function respond(res: http.ServerResponse, facts: RequestFacts, answer: Answer, extra: Record<string, string>) {
    const context = contextOf(facts, answer);
    const length = sendAnswer(res, answer, context, state.allowedOrigin, {
      'x-amzn-RequestId': facts.requestId,
      ...extra,
    });
    return { length, logLine: () => options.accessLog?.(accessLogLine(context, length), api) };
  }

  /** What a request to a known resource gets, before anything is sent. */
  async function tracedAnswer(
    req: http.IncomingMessage,
    requestUrl: URL,
    match: Match,
    span: StageSpan,
    requestId: string,
  ): Promise<Answer> {
    const route = match.routes.find((r) => r.method === (req.method ?? 'GET'));
    const { backends } = state;
    if (!route) {
      // REST APIs answer an undeclared method on a resource like an unknown resource.
      req.resume();
      return gatewayAnswer(403, 'Missing Authentication Token');
    }
    if (rateLimited(route, req)) {
      req.resume();
      return rateLimitedAnswer(state.allowedOrigin);
    }
    if (!backends) {
      req.resume(); // the sandbox is still starting
      return gatewayAnswer(503, 'Service Unavailable');
    }
    const { allowedOrigin, report } = state;
    const request = { req, requestUrl, route, params: match.params, span, requestId, backends, allowedOrigin, report };
    return route.function ? lambdaIntegration(request) : clicksIntegration(request);
  }

  return async (req, res) => {
    const received = new Date();
    const requestUrl = new URL(req.url ?? '/', 'http://gateway.local');
    const match = matchRoute(api, requestUrl.pathname);
    const requestId = randomUUID();
    const resourcePath = match?.routes[0].path ?? requestUrl.pathname;
    if (!match || req.method === 'OPTIONS') {
      // Neither reaches an integration, and neither is traced here.
      req.resume();
      respond(
        res,
        { req, requestId, traceId: '', resourcePath, received },
        untracedAnswer(match, state.allowedOrigin),
        {},
      ).logLine();
      return;
    }
    const span = options.tracer.begin(req, requestId, stageOf(api));
    let answer: Answer;
    try {
      answer = await tracedAnswer(req, requestUrl, match, span, requestId);
    } catch (err) {
      if (err instanceof BodyTooLargeError) answer = gatewayAnswer(413, 'Request Too Long');
      else {
        state.report(err);
        answer = gatewayAnswer(500, 'Internal server error');
      }
    }
    const facts = { req, requestId, traceId: span.traceId, resourcePath, received };
    const sent = respond(res, facts, answer, { 'X-Amzn-Trace-Id': span.responseHeader });
    span.end(answer.status, sent.length);
    sent.logLine();
  };
}
