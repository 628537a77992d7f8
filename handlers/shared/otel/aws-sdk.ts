/**
 * One CLIENT span per AWS SDK v3 call, added as client middleware: esbuild inlines the SDK into the bundle, so
 * OpenTelemetry's require-hook instrumentation never sees it (the same reason the X-Ray build uses
 * `captureAWSv3Client`). Attributes follow OpenTelemetry's AWS SDK conventions (`rpc.system = aws-api`,
 * `rpc.service`, `rpc.method`), which X-Ray turns into an `aws` subsegment named after the service, so DynamoDB
 * and SNS are nodes of their own. The call carries the trace header (X-Amzn-Trace-Id) as the X-Ray SDK's does.
 */
import {
  context,
  createContextKey,
  propagation,
  SpanKind,
  SpanStatusCode,
  trace,
  type Context,
  type Tracer,
} from '@opentelemetry/api';

/**
 * Set while an AWS SDK call runs: its HTTP request is part of the call's span, not a `remote` call of its own
 * (the X-Ray SDK does not record it either; without this, DynamoDB would also show as an https host).
 */
const IN_AWS_SDK_CALL = createContextKey('mysfits.inAwsSdkCall');

export const isInAwsSdkCall = (ctx: Context): boolean => ctx.getValue(IN_AWS_SDK_CALL) === true;

interface MiddlewareClient {
  config: { serviceId?: string; region?: unknown };
  middlewareStack: {
    add(middleware: unknown, options: { step: string; name: string; priority?: string; override?: boolean }): void;
  };
}

interface SdkError {
  name?: string;
  message?: string;
  $metadata?: { httpStatusCode?: number; requestId?: string };
}

async function regionOf(client: MiddlewareClient): Promise<string | undefined> {
  const region = client.config.region;
  try {
    return typeof region === 'function' ? await region() : typeof region === 'string' ? region : undefined;
  } catch {
    return undefined;
  }
}

// biome-ignore lint/suspicious/noExplicitAny: middleware sees every command's input and output; they share no type.
type MiddlewareArgs = any;

const operationOf = (commandName: unknown) => String(commandName ?? 'Unknown').replace(/Command$/, '');

export function instrumentAwsClient<T>(client: T, tracer: Tracer): T {
  const sdk = client as unknown as MiddlewareClient;
  const service = sdk.config.serviceId ?? 'AWS';

  const traceCall =
    (next: (args: MiddlewareArgs) => Promise<MiddlewareArgs>, handlerContext: Record<string, unknown>) =>
    async (args: MiddlewareArgs) => {
      const parent = context.active();
      if (!trace.getSpan(parent)) return next(args);
      const operation = operationOf(handlerContext.commandName);
      const span = tracer.startSpan(
        `${service}.${operation}`,
        {
          kind: SpanKind.CLIENT,
          attributes: { 'rpc.system': 'aws-api', 'rpc.service': service, 'rpc.method': operation },
        },
        parent,
      );
      const region = await regionOf(sdk);
      if (region) span.setAttribute('aws.region', region);
      const table = args?.input?.TableName;
      if (typeof table === 'string') span.setAttribute('aws.table_name', table);
      try {
        const output = await context.with(trace.setSpan(parent, span).setValue(IN_AWS_SDK_CALL, true), () =>
          next(args),
        );
        const metadata = output?.output?.$metadata ?? {};
        if (metadata.httpStatusCode) span.setAttribute('http.status_code', metadata.httpStatusCode);
        if (metadata.requestId) span.setAttribute('aws.request_id', metadata.requestId);
        return output;
      } catch (err) {
        const error = err as SdkError;
        // X-Ray: 4xx is an error (429 a throttle), 5xx or no answer a fault; the status code decides.
        if (error.$metadata?.httpStatusCode) span.setAttribute('http.status_code', error.$metadata.httpStatusCode);
        if (error.$metadata?.requestId) span.setAttribute('aws.request_id', error.$metadata.requestId);
        span.recordException({ name: error.name ?? 'Error', message: error.message ?? String(err) });
        span.setStatus({ code: SpanStatusCode.ERROR, message: error.message });
        throw err;
      } finally {
        span.end();
      }
    };

  /** Puts the call's span into the request's X-Amzn-Trace-Id (the `build` step runs inside traceCall's context). */
  const addTraceHeader = (next: (args: MiddlewareArgs) => Promise<MiddlewareArgs>) => async (args: MiddlewareArgs) => {
    const headers = args?.request?.headers;
    if (headers && trace.getSpan(context.active())) propagation.inject(context.active(), headers);
    return next(args);
  };

  sdk.middlewareStack.add(traceCall, {
    step: 'initialize',
    name: 'openTelemetrySpan',
    priority: 'high',
    override: true,
  });
  sdk.middlewareStack.add(addTraceHeader, { step: 'build', name: 'openTelemetryTraceHeader', override: true });
  return client;
}
