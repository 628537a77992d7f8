/**
 * The one way to write an API Gateway (proxy) handler: `httpHandler` does what each of them would otherwise
 * repeat, so a handler only says what its route answers.
 * - the Powertools-style `## handler` subsegment around the invocation (ColdStart, Service annotations);
 * - OPTIONS (CORS preflight): 204 with the CORS headers, nothing else runs;
 * - the request id: Lambda's `awsRequestId` (API Gateway's own as a fallback), bound into every log line the
 *   handler writes through `request.log`, on every answer as `X-Request-Id` (exposed to the site's scripts
 *   through CORS), and in the body of a 500;
 * - an error the handler throws: recorded on `## handler` as a fault WITH its cause (the X-Ray SDK's
 *   `addError`: `cause.exceptions` holds the message and stack), logged, and answered 500 through
 *   `internalError()`, which tells the caller nothing about the internals.
 */
import { randomUUID } from 'node:crypto';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { internalError, jsonResponse } from './http-responses';
import { withKeys, type Logger } from './logger';
import { recordFault, traceInvocation, type Subsegment } from './tracing';

export interface HttpRequest {
  /** Lambda's request id: what a 500 tells the caller to quote, and what the logs are searched by. */
  requestId: string;
  /** The `## handler` subsegment (undefined without a trace context): annotate the request's ids on it. */
  invocation?: Subsegment;
  /** The handler's logger with `requestId` on every line. */
  log: Logger;
}

export interface HttpHandlerOptions {
  /** Annotated as `Service` on `## handler`. */
  service: string;
  /** The one origin the APIs answer to (`Access-Control-Allow-Origin`), on every answer, errors too. */
  allowedOrigin: string;
  logger: Logger;
  /** The log message of an unexpected failure, e.g. "question failed". */
  failureMessage: string;
}

export type HttpEventHandler = (
  event: APIGatewayProxyEvent,
  context?: { awsRequestId?: string },
) => Promise<APIGatewayProxyResult>;

/** The answer header naming the request id: what a caller quotes so its log lines can be found. */
export const REQUEST_ID_HEADER = 'X-Request-Id';

function withRequestId(response: APIGatewayProxyResult, requestId: string): APIGatewayProxyResult {
  return {
    ...response,
    // Access-Control-Expose-Headers: a browser script reads only the CORS-safelisted response headers otherwise
    // (https://developer.mozilla.org/en-US/docs/Web/HTTP/Headers/Access-Control-Expose-Headers).
    headers: {
      ...response.headers,
      [REQUEST_ID_HEADER]: requestId,
      'Access-Control-Expose-Headers': REQUEST_ID_HEADER,
    },
  };
}

function requestIdOf(event: APIGatewayProxyEvent | undefined, context: { awsRequestId?: string } | undefined): string {
  return context?.awsRequestId ?? event?.requestContext?.requestId ?? randomUUID();
}

export function httpHandler(
  options: HttpHandlerOptions,
  handle: (event: APIGatewayProxyEvent, request: HttpRequest) => Promise<APIGatewayProxyResult>,
): HttpEventHandler {
  const { service, allowedOrigin, logger, failureMessage } = options;
  // An async function: Lambda's Node.js 24 runtime runs only those (no callback-style handlers).
  return async (event, context) =>
    traceInvocation(service, async (invocation) => {
      if (event?.httpMethod === 'OPTIONS') return jsonResponse(allowedOrigin, 204, {});
      const requestId = requestIdOf(event, context);
      const log = withKeys(logger, { requestId });
      try {
        // `?? {}`: a test or a misrouted invoke may send no event; the handler answers 4xx rather than crash.
        return withRequestId(
          await handle(event ?? ({} as APIGatewayProxyEvent), { requestId, invocation, log }),
          requestId,
        );
      } catch (err) {
        recordFault(invocation, err);
        log.error(failureMessage, { error: err });
        return withRequestId(internalError(allowedOrigin, requestId), requestId);
      }
    });
}
