/** API Gateway proxy responses: JSON bodies, CORS headers on every answer (including errors). */
import type { APIGatewayProxyResult } from 'aws-lambda';
import { CORS_ALLOW_HEADERS, LAMBDA_ROUTE_METHODS } from '../../system/api';

export interface FieldError {
  field: string;
  reason: string;
}

export function jsonResponse(allowedOrigin: string, statusCode: number, body: unknown): APIGatewayProxyResult {
  return {
    statusCode,
    headers: {
      'Content-Type': 'application/json',
      'Access-Control-Allow-Origin': allowedOrigin,
      'Access-Control-Allow-Headers': CORS_ALLOW_HEADERS,
      'Access-Control-Allow-Methods': LAMBDA_ROUTE_METHODS,
      Vary: 'Origin',
    },
    body: JSON.stringify(body),
  };
}

export const badRequest = (origin: string, message: string, errors: FieldError[]) =>
  jsonResponse(origin, 400, { message, errors });

/** 500 with the request id to quote to support, and nothing about the internals. */
export const internalError = (origin: string, requestId: string) =>
  jsonResponse(origin, 500, { message: 'Internal server error', requestId });

/** Header lookup ignoring case, as HTTP does (API Gateway passes the client's spelling). */
export function header(
  headers: Record<string, string | undefined> | null | undefined,
  name: string,
): string | undefined {
  if (!headers) return undefined;
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(headers)) if (key.toLowerCase() === wanted) return value;
  return undefined;
}
