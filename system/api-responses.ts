/**
 * What the REST APIs answer on their own, declared once: the CORS preflight (OPTIONS mock integration), the
 * clicks integration responses, the gateway responses (API Gateway's own errors) and the access log format.
 * The stacks (`stacks/constructs/traced-rest-api.ts`, `stacks/clickstream-stack.ts`) deploy these, and the
 * sandbox gateway answers with them, substituting `$context` variables as API Gateway does
 * (`sandbox/gateway/context-variables.ts`), so a client gets locally the bytes and headers it gets from AWS.
 *
 * Plain data, like every module of system/: no cdktf or AWS SDK imports.
 */
import { CORS_ALLOW_HEADERS } from './api';

/** The OPTIONS mock integration's answer: status and headers (integration response parameters). */
export const PREFLIGHT_STATUS = 204;

export function preflightHeaders(allowedOrigin: string, methods: readonly string[]): Record<string, string> {
  return {
    'Access-Control-Allow-Origin': allowedOrigin,
    'Access-Control-Allow-Methods': [...new Set(methods)].join(','),
    'Access-Control-Allow-Headers': CORS_ALLOW_HEADERS,
    Vary: 'Origin',
  };
}

/**
 * Gateway responses the stacks customise. DEFAULT_4XX / DEFAULT_5XX apply to every error API Gateway answers
 * itself (unknown resource or method, invalid body, wrong content type, too large, throttled, integration failure).
 */
export const GATEWAY_RESPONSE_TYPES = ['DEFAULT_4XX', 'DEFAULT_5XX'] as const;

/**
 * The body of every gateway response. A gateway response template "isn't processed by the VTL engine" and
 * supports "only simple variable substitution"
 * (https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-swagger-extensions-gateway-responses.responseTemplates.html),
 * so `$util.escapeJavaScript` is not available and a variable is pasted in as it is. Only variables whose value
 * cannot break JSON may appear: `$context.error.messageString` is "the quoted value of $context.error.message"
 * (https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-variables-for-access-logging.html),
 * used without quotes of our own. `$context.error.validationErrorString` is deliberately absent: its text holds
 * quotes (`[object has missing required properties (["mysfitId"])]`) and nothing can escape it here, so a
 * template quoting it would hand clients a body they cannot parse.
 */
export const GATEWAY_RESPONSE_TEMPLATE = '{"message":$context.error.messageString}';

/** Headers of every gateway response (its `gatewayresponse.header.*` response parameters). */
export function gatewayResponseHeaders(allowedOrigin: string): Record<string, string> {
  return { 'Access-Control-Allow-Origin': allowedOrigin };
}

/**
 * `PUT /clicks` integration responses (AWS integration to Firehose PutRecord): the body template and the
 * status each Firehose outcome is mapped to; any Firehose 4xx/5xx becomes the 500.
 */
export const CLICKS_INTEGRATION_RESPONSES = {
  recorded: { statusCode: '200', selectionPattern: undefined, body: '{"status":"OK"}' },
  notRecorded: { statusCode: '500', selectionPattern: '(4|5)\\d{2}', body: '{"message":"click not recorded"}' },
} as const;

/** Headers of the clicks integration responses (their `method.response.header.*` mappings). */
export function clicksResponseHeaders(allowedOrigin: string): Record<string, string> {
  return { 'Access-Control-Allow-Origin': allowedOrigin };
}

/**
 * One JSON line per request. Access log formats are substituted like gateway response templates (no escaping),
 * so every quoted value is one API Gateway generates from a safe alphabet: ids, IPs, times, methods, resource
 * templates, numbers, and `$context.error.message`, which for these APIs (no authorizers, no API keys) is one of
 * API Gateway's fixed phrases ("Invalid request body", "Missing Authentication Token", ...). Not
 * `$context.error.messageString`: what it becomes for a request without an error is not documented, and a bare
 * `-` there would break every successful line. Not `$context.error.validationErrorString`: it holds quotes.
 * No `${` anywhere, so Terraform leaves the `$context` variables alone.
 */
export const ACCESS_LOG_FORMAT =
  '{' +
  [
    '"requestId":"$context.requestId"',
    '"xrayTraceId":"$context.xrayTraceId"',
    '"ip":"$context.identity.sourceIp"',
    '"requestTime":"$context.requestTime"',
    '"httpMethod":"$context.httpMethod"',
    '"resourcePath":"$context.resourcePath"',
    '"status":"$context.status"',
    '"responseLength":"$context.responseLength"',
    '"integrationLatency":"$context.integrationLatency"',
    '"integrationStatus":"$context.integration.status"',
    '"errorMessage":"$context.error.message"',
  ].join(',') +
  '}';
