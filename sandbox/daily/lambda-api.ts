/**
 * The Lambda API on loopback, for the sandbox's functions: `Invoke` (`POST /2015-03-31/functions/<name>/
 * invocations`) and `ListFunctions`, in the REST-JSON shape the AWS SDKs and `aws lambda invoke --endpoint-url`
 * speak. Request and answer as documented in https://docs.aws.amazon.com/lambda/latest/api/API_Invoke.html:
 * FunctionName is a name, a full ARN or a partial ARN (`<account>:function:<name>`); X-Amz-Invocation-Type
 * RequestResponse (default) | Event (202, runs in the background) | DryRun (204); X-Amz-Log-Type Tail returns the
 * base64 of the last 4 KB of the invocation's log in X-Amz-Log-Result; a function error is still a 200, with
 * X-Amz-Function-Error and `{ errorType, errorMessage }` as the payload; errors of the call itself carry
 * `x-amzn-ErrorType` (ResourceNotFoundException 404, InvalidRequestContentException 400,
 * InvalidParameterValueException 400, RequestTooLargeException 413, ServiceException 500).
 */
import { randomUUID } from 'node:crypto';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { InvokeResult } from '../lambda/function-runtime';
import { logTail } from '../lambda/platform-log';
import { BodyTooLargeError, readBoundedBody } from '../http/read-body';
import { refuseForeignHost } from '../http/host-guard';

/** Lambda's synchronous payload quota (6 MB). */
const MAX_PAYLOAD_BYTES = 6 * 1024 * 1024;
const INVOKE_PATH = /^\/2015-03-31\/functions\/([^/]+)\/invocations\/?$/;
const LIST_PATH = /^\/2015-03-31\/functions\/?$/;

export interface LambdaApiFunction {
  name: string;
  arn: string;
  memorySize: number;
  timeoutSeconds: number;
  description: string;
  tracing: 'Active' | 'PassThrough';
  invoke(event: unknown, traceHeader?: string): Promise<InvokeResult>;
}

export interface LambdaApiOptions {
  port: number;
  region: string;
  accountId: string;
  functions: readonly LambdaApiFunction[];
  /** Where a trace can be seen, for the answer's link header. */
  traceUrl?: (traceId: string) => string;
  onError?: (error: Error) => void;
}

export interface LambdaApi {
  readonly url: string;
  close(): Promise<void>;
}

class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly type: string,
    message: string,
  ) {
    super(message);
  }
}

/** `name`, `arn:aws:lambda:<region>:<account>:function:<name>` or `<account>:function:<name>`. */
export function functionNameFrom(raw: string, region: string, accountId: string): string {
  const full = /^arn:aws:lambda:([a-z0-9-]+):(\d{12}):function:([^:]+)$/.exec(raw);
  if (full) {
    if (full[1] !== region || full[2] !== accountId) {
      throw new ApiError(404, 'ResourceNotFoundException', `Function not found: ${raw}`);
    }
    return full[3];
  }
  const partial = /^(\d{12}):function:([^:]+)$/.exec(raw);
  if (partial) {
    if (partial[1] !== accountId) throw new ApiError(404, 'ResourceNotFoundException', `Function not found: ${raw}`);
    return partial[2];
  }
  return raw;
}

/** The functions by name, and the account and region their ARNs name. */
interface Registry {
  options: LambdaApiOptions;
  byName: Map<string, LambdaApiFunction>;
}

const arnOf = ({ options }: Registry, name: string) =>
  `arn:aws:lambda:${options.region}:${options.accountId}:function:${name}`;

function lookUp(registry: Registry, rawName: string, qualifier: string | null): LambdaApiFunction {
  const { options, byName } = registry;
  const name = functionNameFrom(rawName, options.region, options.accountId);
  const fn = byName.get(name);
  if (!fn) {
    throw new ApiError(
      404,
      'ResourceNotFoundException',
      `Function not found: ${arnOf(registry, name)} (the sandbox's functions: ${[...byName.keys()].join(', ')})`,
    );
  }
  if (qualifier !== null && qualifier !== '$LATEST') {
    throw new ApiError(
      404,
      'ResourceNotFoundException',
      `Function not found: ${arnOf(registry, name)}:${qualifier} (the sandbox has $LATEST only)`,
    );
  }
  return fn;
}

function parsePayload(body: Buffer): unknown {
  if (body.length === 0) return {};
  try {
    return JSON.parse(body.toString('utf8'));
  } catch (err) {
    throw new ApiError(
      400,
      'InvalidRequestContentException',
      `Could not parse request body into json: ${(err as Error).message}`,
    );
  }
}

async function readPayload(req: http.IncomingMessage): Promise<unknown> {
  try {
    return parsePayload(await readBoundedBody(req, MAX_PAYLOAD_BYTES));
  } catch (err) {
    if (err instanceof BodyTooLargeError) {
      throw new ApiError(
        413,
        'RequestTooLargeException',
        `Request must be smaller than ${MAX_PAYLOAD_BYTES} bytes for the InvokeFunction operation`,
      );
    }
    throw err;
  }
}

function oneOf(header: string | string[] | undefined, name: string, allowed: readonly string[]): string {
  const value = Array.isArray(header) ? header[0] : header;
  if (value === undefined || value === '') return allowed[0];
  if (!allowed.includes(value)) {
    throw new ApiError(400, 'InvalidParameterValueException', `${name} "${value}" is not one of ${allowed.join(', ')}`);
  }
  return value;
}

/** The answer of a RequestResponse invocation: the result, or the function's error with X-Amz-Function-Error. */
function sendOutcome(
  res: http.ServerResponse,
  outcome: InvokeResult,
  logType: string,
  traceUrl: LambdaApiOptions['traceUrl'],
) {
  const headers: Record<string, string> = {
    'Content-Type': 'application/json',
    'X-Amz-Executed-Version': '$LATEST',
    'x-amzn-RequestId': outcome.requestId ?? randomUUID(),
  };
  if (outcome.traceId) headers['X-Amzn-Trace-Id'] = `Root=${outcome.traceId}`;
  if (outcome.traceId && traceUrl) headers['X-Sandbox-Trace-Url'] = traceUrl(outcome.traceId);
  if (logType === 'Tail') headers['X-Amz-Log-Result'] = Buffer.from(logTail(outcome.log ?? '')).toString('base64');
  if (!outcome.ok) {
    headers['X-Amz-Function-Error'] = 'Unhandled';
    const error = outcome.error ?? { errorType: 'Error', errorMessage: 'unknown error' };
    return send(
      res,
      200,
      JSON.stringify({ errorType: error.errorType, errorMessage: error.errorMessage, trace: [] }),
      headers,
    );
  }
  return send(res, 200, JSON.stringify(outcome.result ?? null), headers);
}

async function invoke(
  registry: Registry,
  req: http.IncomingMessage,
  res: http.ServerResponse,
  rawName: string,
  url: URL,
) {
  const fn = lookUp(registry, decodeURIComponent(rawName), url.searchParams.get('Qualifier'));
  const invocationType = oneOf(req.headers['x-amz-invocation-type'], 'X-Amz-Invocation-Type', [
    'RequestResponse',
    'Event',
    'DryRun',
  ]);
  const logType = oneOf(req.headers['x-amz-log-type'], 'X-Amz-Log-Type', ['None', 'Tail']);
  const event = await readPayload(req);
  const traceHeader = typeof req.headers['x-amzn-trace-id'] === 'string' ? req.headers['x-amzn-trace-id'] : undefined;
  if (invocationType === 'DryRun') return send(res, 204, '', { 'x-amzn-RequestId': randomUUID() });
  if (invocationType === 'Event') {
    fn.invoke(event, traceHeader).catch((err) => registry.options.onError?.(err as Error));
    return send(res, 202, '', { 'x-amzn-RequestId': randomUUID() });
  }
  return sendOutcome(res, await fn.invoke(event, traceHeader), logType, registry.options.traceUrl);
}

function listFunctions({ options }: Registry, res: http.ServerResponse) {
  const Functions = options.functions.map((fn) => ({
    FunctionName: fn.name,
    FunctionArn: fn.arn,
    Runtime: 'nodejs20.x',
    Handler: 'index.handler',
    Description: fn.description,
    MemorySize: fn.memorySize,
    Timeout: fn.timeoutSeconds,
    TracingConfig: { Mode: fn.tracing },
    PackageType: 'Zip',
    Version: '$LATEST',
  }));
  send(res, 200, JSON.stringify({ Functions }), { 'Content-Type': 'application/json' });
}

/** An error of the call itself, in the Lambda API's error shape; an unexpected one is a ServiceException. */
function sendError(registry: Registry, res: http.ServerResponse, err: unknown) {
  const apiError = err instanceof ApiError ? err : new ApiError(500, 'ServiceException', (err as Error).message);
  if (!(err instanceof ApiError)) registry.options.onError?.(err as Error);
  if (res.headersSent) {
    res.destroy();
    return;
  }
  send(
    res,
    apiError.status,
    JSON.stringify({ Type: apiError.status < 500 ? 'User' : 'Service', message: apiError.message }),
    {
      'Content-Type': 'application/json',
      'x-amzn-ErrorType': apiError.type,
      'x-amzn-RequestId': randomUUID(),
    },
  );
}

function handle(registry: Registry, req: http.IncomingMessage, res: http.ServerResponse): void {
  // Same guard as the sandbox's other servers: a web page that points its own name at 127.0.0.1 cannot invoke.
  if (refuseForeignHost(req, res)) return;
  const url = new URL(req.url ?? '/', 'http://127.0.0.1');
  const invokeMatch = INVOKE_PATH.exec(url.pathname);
  const run = async () => {
    if (invokeMatch && req.method === 'POST') return invoke(registry, req, res, invokeMatch[1], url);
    if (LIST_PATH.test(url.pathname) && req.method === 'GET') return listFunctions(registry, res);
    throw new ApiError(
      404,
      'UnknownOperationException',
      `${req.method} ${url.pathname} is not an operation of the sandbox's Lambda API (Invoke, ListFunctions)`,
    );
  };
  run().catch((err) => sendError(registry, res, err));
}

export async function startLambdaApi(options: LambdaApiOptions): Promise<LambdaApi> {
  const registry: Registry = { options, byName: new Map(options.functions.map((fn) => [fn.name, fn])) };
  const server = http.createServer((req, res) => handle(registry, req, res));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    // Loopback only, like every other sandbox server: the functions read and write the sandbox's data.
    server.listen(options.port, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function send(res: http.ServerResponse, status: number, body: string, headers: Record<string, string>) {
  const payload = Buffer.from(body);
  res.writeHead(status, { ...headers, 'Content-Length': String(payload.length) });
  res.end(payload);
}
