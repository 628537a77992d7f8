/**
 * Unit-test support for the handlers: a trace context of the real X-Ray SDK (no daemon: the segment is never
 * closed, so nothing is sent), a logger that keeps its lines, and API Gateway events. No Java, no emulator.
 */
import * as AWSXRay from 'aws-xray-sdk-core';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import type { Logger } from '../../../handlers/shared/logger';

/** A (sub)segment as the X-Ray SDK holds it, with what the tests read. */
export interface Traced {
  id: string;
  name: string;
  fault?: boolean;
  error?: boolean;
  cause?: { id?: string; exceptions: { message: string; type: string; stack?: { path: string; line: number }[] }[] };
  annotations?: Record<string, string | number | boolean>;
  metadata?: Record<string, Record<string, unknown>>;
  subsegments?: Traced[];
}

/**
 * Runs `fn` in a trace context (an X-Ray segment, as Lambda's facade segment would be) and returns what it
 * returned with the segment's subsegments: `handler` is the invocation's `## handler`.
 */
export async function traced<T>(
  fn: () => Promise<T>,
): Promise<{ result: T; handler: Traced; find: (name: string) => Traced[] }> {
  const segment = new AWSXRay.Segment('unit-test');
  const result = await AWSXRay.getNamespace().runAndReturn(() => {
    AWSXRay.setSegment(segment);
    return fn();
  });
  const top = (segment.subsegments ?? []) as unknown as Traced[];
  const handler = top.find((s) => s.name === '## handler');
  if (!handler) throw new Error(`no ## handler subsegment (got ${top.map((s) => s.name).join(', ') || 'none'})`);
  const find = (name: string) => {
    const found: Traced[] = [];
    const walk = (s: Traced) => {
      if (s.name === name) found.push(s);
      (s.subsegments ?? []).forEach(walk);
    };
    top.forEach(walk);
    return found;
  };
  return { result, handler, find };
}

export interface LogLine {
  level: 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';
  message: string;
  [key: string]: unknown;
}

export function memoryLogger(): Logger & { lines: LogLine[] } {
  const lines: LogLine[] = [];
  const write = (level: LogLine['level']) => (message: string, extra?: Record<string, unknown>) => {
    lines.push({ ...extra, level, message });
  };
  return { lines, debug: write('DEBUG'), info: write('INFO'), warn: write('WARN'), error: write('ERROR') };
}

export const lambdaContext = (awsRequestId = 'lambda-request') => ({ awsRequestId });

export function apiEvent(overrides: Partial<APIGatewayProxyEvent> = {}): APIGatewayProxyEvent {
  return {
    httpMethod: 'GET',
    resource: '/',
    path: '/',
    headers: {},
    multiValueHeaders: {},
    queryStringParameters: null,
    multiValueQueryStringParameters: null,
    pathParameters: null,
    stageVariables: null,
    body: null,
    isBase64Encoded: false,
    requestContext: { requestId: 'apigw-request' } as APIGatewayProxyEvent['requestContext'],
    ...overrides,
  };
}

export const json = (body: string) => JSON.parse(body);
