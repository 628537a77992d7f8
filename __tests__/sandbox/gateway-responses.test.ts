/**
 * The gateway responses, preflights and access log format as the stacks synthesize them, substituted the way
 * API Gateway substitutes `$context` variables (and the way the sandbox answers with them): every client body
 * and every log line stays valid JSON whatever an error message holds.
 */
import { LambdaFunction } from '@cdktf/provider-aws/lib/lambda-function';
import { Testing } from 'cdktf';
import { TracedRestApi } from '../../stacks/constructs/traced-rest-api';
import { substituteContext, TemplateError, type ContextValues } from '../../sandbox/gateway/context-variables';
import { PREFLIGHT_STATUS, preflightHeaders } from '../../system/api-responses';

const ORIGIN = 'https://d111111abcdef8.cloudfront.net';

function synthesized() {
  return JSON.parse(
    Testing.synthScope((scope) => {
      const fn = new LambdaFunction(scope, 'fn', { functionName: 'f', role: 'r', tracingConfig: { mode: 'Active' } });
      const api = new TracedRestApi(scope, 'api', {
        env: 'dev',
        api: 'mysfits',
        description: 'test',
        allowedOrigin: ORIGIN,
        throttling: { rateLimit: 5, burstLimit: 10 },
        logRetentionDays: 7,
      });
      api.addLambdaRoute('GET', '/mysfits/{mysfitId}', fn);
      api.deploy();
    }),
  ).resource;
}

/** A validation message with everything that breaks naive JSON: quotes, backslashes, a newline, a tab. */
const NASTY = 'mysfitId: "must match" pattern "^[A-Za-z0-9_-]+$" \\ see C:\\path\nsecond line\tend';

const context = (message: string): Partial<ContextValues> => ({
  requestId: 'c0ffee00-0000-4000-8000-000000000001',
  xrayTraceId: '1-5f84c7a5-0123456789abcdef01234567',
  'identity.sourceIp': '203.0.113.9',
  requestTime: '05/Mar/2024:07:09:03 +0000',
  httpMethod: 'PUT',
  resourcePath: '/clicks',
  status: '400',
  responseLength: '35',
  integrationLatency: '-',
  'integration.status': '-',
  'error.message': message,
  'error.validationErrorString': `[${message}]`,
});

test('every gateway response template gives valid JSON carrying the error message, whatever it holds', () => {
  const responses = Object.values<any>(synthesized().aws_api_gateway_gateway_response);
  expect(responses.map((r) => r.response_type).sort()).toEqual(['DEFAULT_4XX', 'DEFAULT_5XX']);
  for (const response of responses) {
    const body = substituteContext(response.response_templates['application/json'], context(NASTY));
    expect(JSON.parse(body)).toEqual({ message: NASTY });
    expect(response.response_parameters).toEqual({
      'gatewayresponse.header.Access-Control-Allow-Origin': `'${ORIGIN}'`,
    });
  }
});

test('the access log format gives one valid JSON line for a rejected request', () => {
  const format: string = Object.values<any>(synthesized().aws_api_gateway_stage)[0].access_log_settings.format;
  const line = substituteContext(format, context('Invalid request body'));
  expect(line).not.toContain('\n');
  expect(JSON.parse(line)).toMatchObject({ status: '400', httpMethod: 'PUT', errorMessage: 'Invalid request body' });
  // Nothing in it is the unescapable validation detail.
  expect(format).not.toContain('validationErrorString');
});

test('the preflight answers with the headers the sandbox sends', () => {
  const responses = Object.values<any>(synthesized().aws_api_gateway_integration_response);
  const preflight = responses.find((r) => r.http_method === 'OPTIONS');
  const methodResponse = Object.values<any>(synthesized().aws_api_gateway_method_response).find(
    (r) => r.http_method === 'OPTIONS',
  );
  expect(methodResponse.status_code).toBe(String(PREFLIGHT_STATUS));
  const expected = Object.fromEntries(
    Object.entries(preflightHeaders(ORIGIN, ['GET', 'OPTIONS'])).map(([name, value]) => [
      `method.response.header.${name}`,
      `'${value}'`,
    ]),
  );
  expect(preflight.response_parameters).toEqual(expected);
});

test('substitution is strict: unknown variables and VTL are errors, not silently passed', () => {
  expect(() => substituteContext('{"a":"$context.authorizer.claims.sub"}', context('x'))).toThrow(TemplateError);
  expect(() => substituteContext('{"a":"$util.escapeJavaScript($context.error.message)"}', context('x'))).toThrow(
    TemplateError,
  );
  expect(() => substituteContext('#set($x = 1){}', context('x'))).toThrow(TemplateError);
  expect(substituteContext('{"m":$context.error.messageString}', context('a "b"'))).toBe('{"m":"a \\"b\\""}');
});

test('the former template, with the validation detail in quotes, is what broke clients', () => {
  const former = '{"message":$context.error.messageString,"detail":"$context.error.validationErrorString"}';
  expect(() => JSON.parse(substituteContext(former, context(NASTY)))).toThrow(SyntaxError);
});
