/**
 * The OpenTelemetry back end of the tracing module: the same exports as `tracing.ts` (the X-Ray SDK back end),
 * so handlers do not know which one they were built with. `build/tracing-variant.ts` swaps this file in for
 * `tracing.ts` when an environment sets `tracing: "opentelemetry"`.
 *
 * What X-Ray gets is what the X-Ray SDK build sends (AWS's recommended path off the SDKs, which are in
 * maintenance mode since 2026-02-25: https://docs.aws.amazon.com/xray/latest/devguide/xray-sdk-migration.html):
 * - the trace joined to Lambda's: the parent comes from `_X_AMZN_TRACE_ID` (AWS X-Ray propagator), and Lambda's
 *   sampling decision (`Sampled=`) is followed; without that header nothing is recorded (tests, scripts);
 * - X-Ray trace ids (AWS X-Ray id generator) for anything started here;
 * - `## handler` and the step spans are INTERNAL spans, so X-Ray files them as subsegments of Lambda's
 *   `AWS::Lambda::Function` segment, as the X-Ray SDK's subsegments are;
 * - the annotations are span attributes listed in `aws.xray.annotations` (only those become annotations);
 * - spans go to the X-Ray daemon Lambda runs (AWS_XRAY_DAEMON_ADDRESS) over UDP, in ADOT's framing.
 */
import { context, propagation, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Span } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { AWSXRayIdGenerator } from '@opentelemetry/id-generator-aws-xray';
import { AWSXRayPropagator, AWSXRAY_TRACE_ID_HEADER } from '@opentelemetry/propagator-aws-xray';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  AlwaysOffSampler,
  BasicTracerProvider,
  ParentBasedSampler,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { instrumentAwsClient } from './otel/aws-sdk';
import { instrumentHttpModule } from './otel/http';
import { XRayUdpSpanExporter } from './otel/xray-udp-exporter';

export const inLambda = process.env.LAMBDA_TASK_ROOT !== undefined;

/** Span attribute listing the attributes X-Ray indexes as annotations. */
const ANNOTATIONS_ATTRIBUTE = 'aws.xray.annotations';

const provider = new BasicTracerProvider({
  resource: resourceFromAttributes({
    'service.name': process.env.AWS_LAMBDA_FUNCTION_NAME ?? 'mysfits',
    'cloud.provider': 'aws',
    'cloud.platform': 'aws_lambda',
    ...(process.env.AWS_REGION ? { 'cloud.region': process.env.AWS_REGION } : {}),
  }),
  idGenerator: new AWSXRayIdGenerator(),
  // Lambda decides (Sampled=1/0 in _X_AMZN_TRACE_ID); a span with no parent is never recorded.
  sampler: new ParentBasedSampler({ root: new AlwaysOffSampler() }),
  // One datagram per span as it ends, as the X-Ray SDK sends one per segment: nothing waits in a buffer when
  // Lambda freezes the environment.
  spanProcessors: [new SimpleSpanProcessor(new XRayUdpSpanExporter(process.env.AWS_XRAY_DAEMON_ADDRESS))],
});
const tracer = provider.getTracer('mythical-mysfits');
context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
propagation.setGlobalPropagator(new AWSXRayPropagator());

// The modules themselves (require), not an ES namespace copy of them: the handlers' http calls must see the wrapper.
instrumentHttpModule(require('node:http'), 'http:', tracer);
instrumentHttpModule(require('node:https'), 'https:', tracer);

/** A span with the annotations recorded on it so far (what the X-Ray SDK calls a subsegment). */
export class Subsegment {
  private readonly annotationKeys: string[] = [];
  constructor(readonly span: Span) {}

  annotate(key: string, value: string | number | boolean): void {
    this.span.setAttribute(key, value);
    if (!this.annotationKeys.includes(key)) this.annotationKeys.push(key);
    this.span.setAttribute(ANNOTATIONS_ATTRIBUTE, [...this.annotationKeys]);
  }

  /** Records the error as the cause and marks the span a fault, as the X-Ray SDK's `addError`. */
  addError(error: Error): void {
    this.span.recordException(error);
    this.span.setStatus({ code: SpanStatusCode.ERROR, message: error.message });
  }
}

/** Adds a span per call to an AWS SDK v3 client (DynamoDB, SNS, ...), under the current one. */
export function captureClient<T>(client: T): T {
  return instrumentAwsClient(client, tracer);
}

const current = () => trace.getSpan(context.active());

const asError = (err: unknown) => (err instanceof Error ? err : new Error(String(err)));

/**
 * Runs `fn` in a new span named `name` (the current one while it runs) and ends it; a thrown error is recorded on
 * it as a fault (status ERROR with the exception). Without a trace context `fn` simply runs.
 */
export async function withSubsegment<T>(name: string, fn: (subsegment?: Subsegment) => Promise<T>): Promise<T> {
  const parent = context.active();
  if (!trace.getSpan(parent)) return fn(undefined);
  const span = tracer.startSpan(name, { kind: SpanKind.INTERNAL }, parent);
  try {
    return await context.with(trace.setSpan(parent, span), () => fn(new Subsegment(span)));
  } catch (err) {
    new Subsegment(span).addError(asError(err));
    throw err;
  } finally {
    span.end();
  }
}

/**
 * Records a caught error on the span as a fault WITH its cause, as the X-Ray SDK build's `addError`: an
 * `exception` event (type, message, stack) and status ERROR, which X-Ray's OTLP translation turns into
 * `fault` and `cause.exceptions`.
 */
export function recordFault(subsegment: Subsegment | undefined, err: unknown): void {
  subsegment?.addError(asError(err));
}

/**
 * Records a client error (bad input: 4xx, not a fault). X-Ray's translation makes a span an error rather than a
 * fault only through a 4xx HTTP status, so the span carries the 400 the caller gets, and the reasons.
 */
export function recordClientError(subsegment: Subsegment | undefined, details: unknown): void {
  if (!subsegment) return;
  subsegment.span.setAttribute('http.status_code', 400);
  subsegment.span.setAttribute('clientError', JSON.stringify(details));
  subsegment.span.setStatus({ code: SpanStatusCode.ERROR, message: 'invalid input' });
}

export function annotate(subsegment: Subsegment | undefined, key: string, value: string | number | boolean): void {
  subsegment?.annotate(key, value);
}

/** The invocation's parent: Lambda's function segment, from `_X_AMZN_TRACE_ID` (set per invocation). */
function invocationContext() {
  const header = process.env._X_AMZN_TRACE_ID;
  if (!header) return undefined;
  const parent = propagation.extract(ROOT_CONTEXT, { [AWSXRAY_TRACE_ID_HEADER]: header });
  return trace.getSpan(parent) ? parent : undefined;
}

let coldStart = true;

/** The `## handler` span around one invocation, annotated with ColdStart and Service, as in the X-Ray build. */
export async function traceInvocation<T>(service: string, fn: (subsegment?: Subsegment) => Promise<T>): Promise<T> {
  const isColdStart = coldStart;
  coldStart = false;
  const parent = invocationContext();
  if (!parent) return fn(undefined);
  try {
    return await context.with(parent, () =>
      withSubsegment('## handler', async (subsegment) => {
        annotate(subsegment, 'ColdStart', isColdStart);
        annotate(subsegment, 'Service', service);
        return fn(subsegment);
      }),
    );
  } finally {
    // Every span of the invocation is on its way before Lambda may freeze the environment.
    await provider.forceFlush();
  }
}

/** The trace id of the current invocation (for logs), X-Ray style, if any. */
export function currentTraceId(): string | undefined {
  const span = current();
  const traceId =
    span?.spanContext().traceId ?? trace.getSpan(invocationContext() ?? ROOT_CONTEXT)?.spanContext().traceId;
  return traceId ? `1-${traceId.slice(0, 8)}-${traceId.slice(8)}` : undefined;
}

/** Compile-time check: every export the handlers may use from the X-Ray SDK back end exists here too. */
type MissingExports = Exclude<keyof typeof import('./tracing'), keyof typeof import('./tracing-otel')>;
export const SAME_EXPORTS_AS_XRAY_SDK_BACKEND: [MissingExports] extends [never] ? true : MissingExports = true;
