/**
 * Outbound HTTP(S) calls made with node's http/https modules become CLIENT spans named after the host
 * (`net.peer.name`, which X-Ray uses as the name of a `remote` subsegment, so the callee is a node of its own)
 * and carry the trace header, as the X-Ray SDK's `captureHTTPsGlobal` does. The modules' `request` and `get` are
 * wrapped in place (they are node's own objects, shared by the whole bundle); headers are set before the request
 * is sent, which the diagnostics channels of Node 20 come too late for.
 */
import { context, propagation, SpanKind, SpanStatusCode, trace, type Span, type Tracer } from '@opentelemetry/api';
import type * as http from 'node:http';
import { isInAwsSdkCall } from './aws-sdk';

/** What http and https have in common and what is wrapped. */
type HttpModule = Pick<typeof http, 'request' | 'get'>;
const instrumented = new WeakSet<object>();

function endOnce(span: Span) {
  let ended = false;
  return (status?: number, error?: Error) => {
    if (ended) return;
    ended = true;
    if (status !== undefined) span.setAttribute('http.status_code', status);
    if (error) {
      span.recordException(error);
      span.setStatus({ code: SpanStatusCode.ERROR, message: error.message });
    } else if (status !== undefined && status >= 400) span.setStatus({ code: SpanStatusCode.ERROR });
    span.end();
  };
}

function traceRequest(request: http.ClientRequest, protocol: string, tracer: Tracer): void {
  const parent = context.active();
  if (!trace.getSpan(parent) || isInAwsSdkCall(parent)) return;
  const host = request.host;
  const url = `${protocol}//${host}${request.path}`;
  const span = tracer.startSpan(
    `${request.method} ${host}`,
    {
      kind: SpanKind.CLIENT,
      attributes: { 'net.peer.name': host, 'http.method': request.method, 'http.url': url },
    },
    parent,
  );
  const headers: Record<string, string> = {};
  propagation.inject(trace.setSpan(parent, span), headers);
  for (const [name, value] of Object.entries(headers)) request.setHeader(name, value);
  const end = endOnce(span);
  let responded = false;
  request.once('response', (response: http.IncomingMessage) => {
    responded = true;
    response.once('end', () => end(response.statusCode));
    response.once('close', () => end(response.statusCode));
  });
  request.once('error', (err) => end(undefined, err));
  request.once('close', () => {
    if (!responded) end(undefined, new Error('request closed before a response'));
  });
}

export function instrumentHttpModule(module: HttpModule, protocol: 'http:' | 'https:', tracer: Tracer): void {
  if (instrumented.has(module)) return;
  instrumented.add(module);
  const originalRequest = module.request;
  const request = function (this: unknown, ...args: unknown[]) {
    const clientRequest = (originalRequest as (...a: unknown[]) => http.ClientRequest).apply(this, args);
    traceRequest(clientRequest, protocol, tracer);
    return clientRequest;
  } as typeof module.request;
  module.request = request;
  module.get = function (this: unknown, ...args: unknown[]) {
    const clientRequest = (request as (...a: unknown[]) => http.ClientRequest).apply(this, args);
    clientRequest.end();
    return clientRequest;
  } as typeof module.get;
}
