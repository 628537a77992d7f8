/**
 * `$context` substitution as API Gateway does it in gateway response templates and access log formats: "simple
 * variable substitution", no VTL
 * (https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-swagger-extensions-gateway-responses.responseTemplates.html):
 * each variable's text is pasted in as it is, nothing escaped. The one exception is documented:
 * `$context.error.messageString` is "the quoted value of $context.error.message"
 * (https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-variables-for-access-logging.html),
 * modelled here as a JSON string.
 *
 * Strict: a variable the sandbox does not model, or anything VTL (`$util`, `$input`, `#set`...), is an error, so a
 * template change that would behave differently on AWS fails the tests instead of passing silently.
 */

/** The request facts the sandbox knows; the variable names are API Gateway's. */
export interface ContextValues {
  requestId: string;
  xrayTraceId: string;
  'identity.sourceIp': string;
  requestTime: string;
  httpMethod: string;
  resourcePath: string;
  status: string;
  responseLength: string;
  integrationLatency: string;
  'integration.status': string;
  'error.message': string;
  'error.validationErrorString': string;
}

/** Variables derived from others. */
const DERIVED: Record<string, (values: Partial<ContextValues>) => string | undefined> = {
  'error.messageString': (values) =>
    values['error.message'] === undefined ? undefined : JSON.stringify(values['error.message']),
};

export class TemplateError extends Error {}

const VARIABLE = /\$context\.([A-Za-z][A-Za-z0-9]*(?:\.[A-Za-z][A-Za-z0-9]*)*)/g;

/** The template with every `$context.*` variable replaced; throws TemplateError for anything it cannot model. */
export function substituteContext(template: string, values: Partial<ContextValues>): string {
  // Whatever `$` or `#` directive is not a `$context` variable would be VTL, which these templates do not get.
  const vtl = /\$(?!context\.)|#(?:set|if|foreach|else|end)\b/.exec(template);
  if (vtl)
    throw new TemplateError(
      `template uses "${template.slice(vtl.index, vtl.index + 12)}…", which is not a $context variable`,
    );
  return template.replace(VARIABLE, (_match, name: string) => {
    const derive = DERIVED[name];
    const value = derive ? derive(values) : (values as Record<string, string | undefined>)[name];
    if (value === undefined) throw new TemplateError(`$context.${name} is not a variable the sandbox models here`);
    return value;
  });
}
