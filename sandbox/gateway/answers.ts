/**
 * An API's answer before it is sent, and how it is sent: an integration's answer as it is, a gateway response
 * (named by its error) through the stacks' template and headers from `system/api-responses.ts`, and the access
 * log line in the stacks' format.
 */
import type * as http from 'node:http';
import { ACCESS_LOG_FORMAT, GATEWAY_RESPONSE_TEMPLATE, gatewayResponseHeaders } from '../../system/api-responses';
import { send, type HeaderMap } from '../http/serve';
import { substituteContext, type ContextValues } from './context-variables';
import { requestTime } from './lambda-proxy';

export type Answer =
  | { kind: 'integration'; status: number; body: Buffer | string; headers: HeaderMap; integrationStatus: number }
  | { kind: 'gateway'; status: number; message: string; validationErrorString?: string; integrationStatus?: number };

export const gatewayAnswer = (
  status: number,
  message: string,
  more: { validationErrorString?: string; integrationStatus?: number } = {},
): Answer => ({ kind: 'gateway', status, message, ...more });

/** What API Gateway knows of one request, for the answer's context. */
export interface RequestFacts {
  req: http.IncomingMessage;
  requestId: string;
  /** '' when the request is not traced (preflights, unknown resources). */
  traceId: string;
  resourcePath: string;
  received: Date;
}

/** The context variables of a request and its answer, for gateway response templates and the access log. */
export function contextOf(facts: RequestFacts, answer: Answer): Partial<ContextValues> {
  const { req, received } = facts;
  const error = answer.kind === 'gateway' ? answer : undefined;
  return {
    requestId: facts.requestId,
    xrayTraceId: facts.traceId || '-',
    'identity.sourceIp': req.socket.remoteAddress ?? '-',
    requestTime: requestTime(received),
    httpMethod: req.method ?? 'GET',
    resourcePath: facts.resourcePath,
    status: String(answer.status),
    // Measured from the request's arrival here (body read included): an upper bound of API Gateway's figure.
    integrationLatency: answer.integrationStatus === undefined ? '-' : String(Date.now() - received.getTime()),
    'integration.status': answer.integrationStatus === undefined ? '-' : String(answer.integrationStatus),
    'error.message': error ? error.message : '-',
    'error.validationErrorString': error?.validationErrorString ?? '-',
  };
}

/** Sends an answer; a gateway response gets the stacks' template and headers. Returns the body length. */
export function sendAnswer(
  res: http.ServerResponse,
  answer: Answer,
  context: Partial<ContextValues>,
  allowedOrigin: string,
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

/** The access log line of a request, in the stacks' format. */
export function accessLogLine(context: Partial<ContextValues>, responseLength: number): string {
  return substituteContext(ACCESS_LOG_FORMAT, { ...context, responseLength: String(responseLength) });
}
