/**
 * The APIs' two integrations as the stacks declare them: Lambda proxy (the questions and mysfits routes) and the
 * clicks route's request validator with its Firehose PutRecord integration and declared integration responses.
 * Each one traces its call as a subsegment of the request's stage segment.
 */
import type * as http from 'node:http';
import { CLICKS_INTEGRATION_RESPONSES, clicksResponseHeaders } from '../../system/api-responses';
import { LOCAL_ACCOUNT_ID, LOCAL_ENV, LOCAL_REGION, localNames } from '../local-aws';
import { readBoundedBody } from '../http/read-body';
import type { StageSpan } from '../tracing/stage-tracer';
import { gatewayAnswer, type Answer } from './answers';
import { validateClickBody } from './click-validator';
import { buildProxyEvent, MalformedProxyResponse, proxyResultToHttp } from './lambda-proxy';
import { restApiId, type Route } from './routes';
import type { FunctionOutcome, GatewayBackends } from './state';

/** API Gateway's payload limit. */
const MAX_BODY_BYTES = 10 * 1024 * 1024;

export const readBody = (req: http.IncomingMessage) => readBoundedBody(req, MAX_BODY_BYTES);

/** One request on its way to an integration. */
export interface IntegrationRequest {
  req: http.IncomingMessage;
  requestUrl: URL;
  route: Route;
  params: Record<string, string>;
  span: StageSpan;
  requestId: string;
  backends: GatewayBackends;
  allowedOrigin: string;
  report: (err: unknown) => void;
}

/** The function behind a Lambda proxy route, invoked with API Gateway's proxy event. */
export async function lambdaIntegration(request: IntegrationRequest): Promise<Answer> {
  const { req, route, span, report } = request;
  const key = route.function!;
  const event = buildProxyEvent(req, request.requestUrl, {
    accountId: LOCAL_ACCOUNT_ID,
    apiId: restApiId(route.api),
    stage: LOCAL_ENV,
    resourcePath: route.path,
    requestId: request.requestId,
    pathParameters: route.params.length ? request.params : null,
    body: await readBody(req),
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
    outcome = await request.backends.invokeFunction(key, event, integration.traceHeader);
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

/** PUT /clicks: content type and request validator first, then Firehose PutRecord. */
export async function clicksIntegration(request: IntegrationRequest): Promise<Answer> {
  const { req, span } = request;
  const contentType = (req.headers['content-type'] ?? 'application/json').split(';')[0].trim().toLowerCase();
  // The integration only has an application/json template and passthrough NEVER: anything else is 415.
  if (contentType !== 'application/json') {
    await readBody(req);
    return gatewayAnswer(415, 'Unsupported Media Type');
  }
  const body = await readBody(req);
  const validation = validateClickBody(body);
  if (!validation.ok) {
    return gatewayAnswer(400, 'Invalid request body', { validationErrorString: `[${validation.problems.join(', ')}]` });
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
    headers: { 'Content-Type': 'application/json', ...clicksResponseHeaders(request.allowedOrigin) },
    integrationStatus,
  });
  try {
    request.backends.putClickRecord(body);
    integration.end({ status: 200 });
    return respond(CLICKS_INTEGRATION_RESPONSES.recorded, 200);
  } catch (err) {
    request.report(err);
    integration.end({ status: 500, fault: true });
    return respond(CLICKS_INTEGRATION_RESPONSES.notRecorded, 500);
  }
}
