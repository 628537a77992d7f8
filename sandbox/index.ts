/**
 * `startSandbox()`: the whole system on one machine, wired as the stacks wire it — DynamoDB Local, fauxqs (SNS,
 * SQS, S3), the local X-Ray daemon, the four handler bundles in Lambda-like processes, the API gateway with the
 * website, the questions stream poller and the clicks Firehose stand-in. Every part is started in order with
 * progress lines; a part that fails stops what was started and names itself in the error. Each step is a
 * function of `start-steps.ts`; the parts stop in the order `stop-order.ts` declares.
 *
 * Origins as deployed: the website on one port and each API on its own (three API Gateway hosts), the APIs
 * allowing the website's origin only, so the browser's CORS checks run here as they do on AWS.
 */
import { buildWebsite } from '../build/website';
import type { TracingBackend } from '../build/tracing-backends';
import type { WatchOptions } from './reload/reloader';
import type { ApiKey, FunctionKey } from '../system/definition';
import type { RateLimit } from './http/rate-limit';
import { localNames } from './local-aws';
import { readMailbox } from './mailbox/mailbox';
import type { SandboxResources } from './resources/provision';
import {
  checkPrerequisites,
  portsOf,
  provisionAndSupervise,
  publishEndpoints,
  startApiGateway,
  startEventSources,
  openKeptState,
  startFunctions,
  startWatcher,
  startInvokeApi,
  startServices,
  startTracing,
  stepRunner,
  type Startup,
} from './start-steps';
import { StartedParts } from './stop-order';

export { SandboxStartError } from './start-steps';

export interface SandboxOptions {
  /** The website; default SANDBOX_PORTS.website (3000), 0 = free port (tests). */
  port?: number;
  /** Each API's own port; defaults SANDBOX_PORTS.apis (3001-3003), 0 = free port (tests). */
  apiPorts?: Partial<Record<ApiKey, number>>;
  /** Default 2000, 0 = free. */
  xrayPort?: number;
  /** Default 8000, 0 = free. */
  dynamodbPort?: number;
  /** OTLP/HTTP into the X-Ray daemon's store; default a free port (`npm start` asks for 4318, OTLP/HTTP's own). */
  otlpPort?: number;
  /** Which build of the handlers runs, as `tracing` in an environment's configuration; default xray-sdk. */
  tracingBackend?: TracingBackend;
  /** Default 4566, 0 = free. */
  fauxqsPort?: number;
  /**
   * Per-function env overrides, e.g. { postQuestion: { HANGING_EXCEPTION_RATE: '1', HANGING_EXCEPTION_DELAY_MS: '200' }
   * }.
   */
  functionEnvironment?: Partial<Record<FunctionKey, Record<string, string>>>;
  /** Per-function tracing, default Active for all; { postQuestion: 'Off' } = tracing switched off for it. */
  tracing?: Partial<Record<FunctionKey, 'Active' | 'Off'>>;
  /** Default 1000 here (AWS: 60 s) so a click lands quickly. */
  firehoseBufferIntervalMs?: number;
  /** Execution environments (processes) per function at most; default 4 (Lambda would scale much further). */
  functionConcurrency?: number;
  /** Lambda Invoke API (`aws lambda invoke --endpoint-url`, `npm run invoke`); default 0 = any free port. */
  lambdaPort?: number;
  /** Where `endpoints.json` and `logs/<function>.log` go (`npm start`: .sandbox); default: neither is written. */
  stateDir?: string;
  /**
   * Keep tables, queues, topic, bucket and traces in this folder across starts (`npm start -- --persist`);
   * default: a clean start.
   */
  persistDir?: string;
  /** POST /questions per client IP, as the deployed WAF rule; default 100 per 300 s; false = off. */
  questionsRateLimit?: RateLimit | false;
  /** Progress lines (and the functions' logs); silent by default. */
  log?: (line: string) => void;
  /** The origin the APIs and handlers allow (ALLOWED_ORIGIN); default the website's origin, as deployed. */
  allowedOrigin?: string;
  /** One line per API request, in the stacks' access log format. */
  accessLog?: (line: string, api: ApiKey) => void;
  /**
   * Edit and see: a saved handler (or anything it imports) is rebuilt and reloaded before the next invocation, a
   * saved website file is served at once. Default off (`npm start` turns it on); `{ sourceRoot }` builds from a copy.
   */
  watch?: boolean | WatchOptions;
}

/** Every port free: what tests and tools that start their own sandbox pass. */
export const FREE_PORTS = {
  port: 0,
  apiPorts: { questions: 0, mysfits: 0, clicks: 0 },
  xrayPort: 0,
  dynamodbPort: 0,
  fauxqsPort: 0,
} as const satisfies SandboxOptions;

export interface Sandbox {
  /** The website's origin, 'http://127.0.0.1:3000': the site, config.json, /_sandbox/mailbox. */
  readonly url: string;
  /** Each API's origin ('http://127.0.0.1:3001' ...): POST /questions, GET /mysfits..., PUT /clicks. */
  readonly apis: Record<ApiKey, string>;
  /** X-Ray API + console pages. */
  readonly xrayEndpoint: string;
  /** OTLP/HTTP receiver (`POST /v1/traces`) feeding the same X-Ray store. */
  readonly otlpEndpoint: string;
  readonly dynamodbEndpoint: string;
  /** SNS/SQS/S3. */
  readonly fauxqsEndpoint: string;
  /** Lambda Invoke API for the four functions. */
  readonly lambdaEndpoint: string;
  /** The endpoints file tools read, when `stateDir` was given. */
  readonly endpointsFile?: string;
  readonly resources: SandboxResources;
  /**
   * Settles when a part died that could not be restarted (DynamoDB Local): the error names it, with its last
   * output, and the sandbox has stopped itself. `npm start` then exits non-zero.
   */
  readonly failed: Promise<Error>;
  stop(): Promise<void>;
}

/**
 * Starts every part in order (each step in `start-steps.ts`); a step that fails stops what was started and
 * throws a SandboxStartError naming the part. `stop()` stops the parts in STOP_ORDER (`stop-order.ts`).
 */
export async function startSandbox(options: SandboxOptions = {}): Promise<Sandbox> {
  const log = options.log ?? (() => {});
  const parts = new StartedParts();
  const startup: Startup = { options, ports: portsOf(options), log, parts, step: stepRunner(log) };
  const started = Date.now();
  const stopAll = () => parts.stopAll((name, err) => log(`  ! stopping ${name}: ${err.message}`));
  let stopping: Promise<void> | undefined;
  const stopOnce = () => (stopping ??= stopAll());
  let reportFailure: (error: Error) => void = () => {};
  const failure = new Promise<Error>((resolve) => (reportFailure = resolve));
  const onFatal = (error: Error) => void stopOnce().then(() => reportFailure(error));

  try {
    await checkPrerequisites(startup);
    await openKeptState(startup);
    const services = await startServices(startup);
    const { dynamodb, fauxqs, xray } = services;
    const { otlp, tracer } = await startTracing(startup, xray);
    const gateway = await startApiGateway(startup, tracer, xray);
    const { clients, resources } = await provisionAndSupervise(startup, services, onFatal);
    await startup.step(
      'Website build',
      () => buildWebsite(),
      (files) => `${files.length} files`,
    );
    const { runtimes, logsDir } = await startFunctions(startup, services, resources, gateway);
    await startWatcher(startup, runtimes);
    const firehose = await startEventSources(startup, clients, resources, runtimes);
    gateway.attach({
      invokeFunction: (key, event, traceHeader) => runtimes[key].invoke(event, { traceHeader }),
      putClickRecord: (data) => firehose.putRecord(data),
      readMailbox: () => readMailbox(fauxqs.endpoint, localNames.mailboxQueue),
    });
    const lambdaApi = await startInvokeApi(startup, runtimes, xray);
    const endpoints = {
      url: gateway.url,
      apis: gateway.apis,
      xrayEndpoint: xray.endpoint,
      dynamodbEndpoint: dynamodb.endpoint,
      fauxqsEndpoint: fauxqs.endpoint,
      lambdaEndpoint: lambdaApi.url,
      resources,
    };
    const endpointsFile = publishEndpoints(startup, { ...endpoints, logsDir });
    log(`  ✓ ready in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    return { ...endpoints, otlpEndpoint: otlp.endpoint, endpointsFile, failed: failure, stop: stopOnce };
  } catch (err) {
    await stopAll();
    throw err;
  }
}
