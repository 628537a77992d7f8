/**
 * X-Ray setup shared by every handler (the style of Powertools' Tracer, built on aws-xray-sdk-core).
 *
 * In Lambda (LAMBDA_TASK_ROOT set) the SDK builds a facade segment from `_X_AMZN_TRACE_ID`; our subsegments
 * hang under the `AWS::Lambda::Function` segment the Lambda service records. Outside Lambda (tests, scripts)
 * there is no trace context: we ignore the missing context instead of logging it, so the handlers run silently.
 */
import * as AWSXRay from 'aws-xray-sdk-core';

export const inLambda = process.env.LAMBDA_TASK_ROOT !== undefined;

if (!inLambda && !process.env.AWS_XRAY_CONTEXT_MISSING) AWSXRay.setContextMissingStrategy('IGNORE_ERROR');

// Outbound HTTP(S) calls become `remote` subsegments named after the host, so the callee is a node of its own.
AWSXRay.captureHTTPsGlobal(require('node:http'));
AWSXRay.captureHTTPsGlobal(require('node:https'));

export type Subsegment = AWSXRay.Subsegment;

/** Wraps an AWS SDK v3 client so each call is a subsegment (DynamoDB, SNS, ...) of the current one. */
export function captureClient<T>(client: T): T {
  return AWSXRay.captureAWSv3Client(client as never) as T;
}

/** The current (sub)segment, or undefined outside a traced context. */
function currentSegment(): AWSXRay.Segment | AWSXRay.Subsegment | undefined {
  return AWSXRay.getSegment();
}

/**
 * Runs `fn` in a new subsegment named `name` (the current one while it runs) and closes it; a thrown error is
 * recorded on it as a fault. Without a trace context `fn` simply runs.
 */
export async function withSubsegment<T>(name: string, fn: (subsegment?: Subsegment) => Promise<T>): Promise<T> {
  if (!currentSegment()) return fn(undefined);
  return AWSXRay.captureAsyncFunc(name, async (subsegment) => {
    try {
      const result = await fn(subsegment);
      subsegment?.close();
      return result;
    } catch (err) {
      subsegment?.close(err as Error);
      throw err;
    }
  });
}

/**
 * Records a caught error on the subsegment as a fault WITH its cause, as closing it with the error does: the
 * SDK's `addError` sets `fault` and puts the error's name, message and stack in `cause.exceptions` (segment
 * document: https://docs.aws.amazon.com/xray/latest/devguide/xray-api-segmentdocuments.html#api-segmentdocuments-errors).
 * `addFaultFlag` alone would say "something failed" and drop the error.
 */
export function recordFault(subsegment: Subsegment | undefined, err: unknown): void {
  subsegment?.addError(err instanceof Error ? err : new Error(String(err)));
}

/** Records a client error (bad input: 4xx, not a fault) on a subsegment, with the reasons as metadata. */
export function recordClientError(subsegment: Subsegment | undefined, details: unknown): void {
  if (!subsegment) return;
  subsegment.addErrorFlag();
  subsegment.addMetadata('clientError', details);
}

export function annotate(subsegment: Subsegment | undefined, key: string, value: string | number | boolean): void {
  subsegment?.addAnnotation(key, value);
}

let coldStart = true;

/**
 * The Powertools-style `## handler` subsegment around one invocation, annotated with ColdStart and Service.
 * Annotations cannot go on Lambda's facade segment, so handlers put theirs on this subsegment.
 */
export async function traceInvocation<T>(service: string, fn: (subsegment?: Subsegment) => Promise<T>): Promise<T> {
  const isColdStart = coldStart;
  coldStart = false;
  return withSubsegment('## handler', async (subsegment) => {
    annotate(subsegment, 'ColdStart', isColdStart);
    annotate(subsegment, 'Service', service);
    return fn(subsegment);
  });
}

/** The trace id of the current invocation (for logs), if any. */
export function currentTraceId(): string | undefined {
  const header = process.env._X_AMZN_TRACE_ID;
  return header ? AWSXRay.utils.processTraceData(header).root : undefined;
}
