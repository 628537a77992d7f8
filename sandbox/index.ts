/**
 * `startSandbox()`: the whole system on one machine, wired as the stacks wire it — DynamoDB Local, fauxqs (SNS,
 * SQS, S3), the local X-Ray daemon, the four handler bundles in Lambda-like processes, the API gateway with the
 * website, the questions stream poller and the clicks Firehose stand-in. Every part is started in order with
 * progress lines; a part that fails stops what was started and names itself in the error.
 *
 * Origins as deployed: the website on one port and each API on its own (three API Gateway hosts), the APIs
 * allowing the website's origin only, so the browser's CORS checks run here as they do on AWS.
 */
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { buildWebsite, WEBSITE_OUT } from '../build/website';
import { DEFAULTS, ENV, FUNCTIONS, SANDBOX_PORTS, type ApiKey, type FunctionKey } from '../system/definition';
import { startDeliveryStream, type DeliveryStream } from './firehose/delivery-stream';
import { API_KEYS, PORT_SETTINGS, startGateway, type Gateway } from './gateway/server';
import type { RateLimit } from './http/rate-limit';
import { startFunctionRuntime, type FunctionRuntime } from './lambda/function-runtime';
import { awsEnvironment, destroyClients, localClients, localNames, LOCAL_REGION, type LocalClients } from './local-aws';
import { readMailbox } from './mailbox/mailbox';
import { provisionMessaging, provisionResources, type SandboxResources } from './resources/provision';
import { assertJava, assertPortFree, startDynamoDbLocal, startFauxqs } from './services/local-services';
import { superviseServices } from './services/supervisor';
import { startStreamPoller, type StreamPoller } from './streams/stream-poller';
import { startStageTracer, type StageTracer } from './tracing/stage-tracer';
import { startXRayDaemon } from './xray/daemon';
import { openFunctionLogs, type FunctionLogFiles } from './daily/function-logs';
import { endpointsRecord, startSandboxLambdaApi } from './daily/hooks';
import { removeEndpoints, writeEndpoints } from './daily/state-file';
import * as path from 'node:path';
import { startOtlpHttpReceiver } from './xray/otlp-http';
import type { TracingBackend } from '../build/tracing-backends';

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
  /** POST /questions per client IP, as the deployed WAF rule; default 100 per 300 s; false = off. */
  questionsRateLimit?: RateLimit | false;
  /** Progress lines (and the functions' logs); silent by default. */
  log?: (line: string) => void;
  /** The origin the APIs and handlers allow (ALLOWED_ORIGIN); default the website's origin, as deployed. */
  allowedOrigin?: string;
  /** One line per API request, in the stacks' access log format. */
  accessLog?: (line: string, api: ApiKey) => void;
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

/** A part of the sandbox failed to start; the message names it. */
export class SandboxStartError extends Error {
  constructor(
    readonly part: string,
    cause: unknown,
  ) {
    const message = cause instanceof Error ? cause.message : String(cause);
    super(message.startsWith(part) ? message : `${part}: ${message}`);
    this.name = 'SandboxStartError';
  }
}

const FUNCTION_KEYS = Object.keys(FUNCTIONS) as FunctionKey[];

/** The values the stacks give each function's variables, with local resources in place of AWS ones. */
function functionEnvironment(
  key: FunctionKey,
  resources: SandboxResources,
  gateway: Gateway,
  overrides: Record<string, string> | undefined,
): Record<string, string> {
  const localValues: Record<(typeof ENV)[keyof typeof ENV], string> = {
    [ENV.questionsTableName]: resources.questionsTable,
    [ENV.questionsTopicArn]: resources.topicArn,
    [ENV.mysfitsTableName]: resources.mysfitsTable,
    [ENV.mysfitsApiUrl]: gateway.apis.mysfits,
    [ENV.mysfitsLookupTimeoutMs]: String(DEFAULTS.mysfitsLookupTimeoutMs),
    [ENV.allowedOrigin]: gateway.allowedOrigin,
    [ENV.hangingExceptionRate]: String(DEFAULTS.hangingExceptionRate),
    [ENV.hangingExceptionDelayMs]: String(DEFAULTS.hangingExceptionDelayMs),
    [ENV.serviceName]: localNames.function(key),
    [ENV.questionRetentionDays]: String(DEFAULTS.questionRetentionDays),
  };
  // Only the variables the function is declared to get, as its stack sets them.
  const own = Object.fromEntries(FUNCTIONS[key].environment.map((name) => [name, localValues[name]]));
  return { ...own, ...overrides };
}

export async function startSandbox(options: SandboxOptions = {}): Promise<Sandbox> {
  const log = options.log ?? (() => {});
  const ports = {
    website: options.port ?? SANDBOX_PORTS.website,
    questions: options.apiPorts?.questions ?? SANDBOX_PORTS.apis.questions,
    mysfits: options.apiPorts?.mysfits ?? SANDBOX_PORTS.apis.mysfits,
    clicks: options.apiPorts?.clicks ?? SANDBOX_PORTS.apis.clicks,
    xray: options.xrayPort ?? SANDBOX_PORTS.xray,
    dynamodb: options.dynamodbPort ?? SANDBOX_PORTS.dynamodb,
    fauxqs: options.fauxqsPort ?? SANDBOX_PORTS.fauxqs,
    otlp: options.otlpPort ?? 0,
  };
  const stops: { name: string; stop: () => Promise<void> }[] = [];
  const started = Date.now();
  let stopping: Promise<void> | undefined;
  const stopOnce = () => (stopping ??= stopAll());
  let reportFailure: (error: Error) => void = () => {};
  const failure = new Promise<Error>((resolve) => (reportFailure = resolve));

  async function stopAll(): Promise<void> {
    // Reverse order: what was started last depends on what was started first.
    for (const { name, stop } of stops.splice(0).reverse()) {
      try {
        await stop();
      } catch (err) {
        log(`  ! stopping ${name}: ${(err as Error).message}`);
      }
    }
  }

  async function step<T>(part: string, run: () => Promise<T> | T, describe?: (value: T) => string): Promise<T> {
    const t0 = Date.now();
    log(`  … ${part}`);
    try {
      const value = await run();
      log(`  ✓ ${part}${describe ? ` ${describe(value)}` : ''} (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
      return value;
    } catch (err) {
      log(`  ✗ ${part}`);
      throw new SandboxStartError(part, err);
    }
  }

  try {
    await step('Java (for DynamoDB Local)', () => assertJava());
    const named: [number, string][] = [
      [ports.website, `website (${PORT_SETTINGS.website})`],
      ...API_KEYS.map((api): [number, string] => [ports[api], `${api} API (${PORT_SETTINGS[api]})`]),
      [ports.xray, 'X-Ray daemon'],
      [ports.dynamodb, 'DynamoDB Local'],
      [ports.fauxqs, 'fauxqs (SNS, SQS, S3)'],
      [options.lambdaPort ?? 0, 'Lambda API (LAMBDA_PORT)'],
      [ports.otlp, 'OTLP receiver (OTLP_PORT)'],
    ];
    for (const [port, what] of named) {
      if (port === 0) continue;
      try {
        await assertPortFree(port, what); // the message names the part and the port
      } catch (err) {
        throw new SandboxStartError(what, err);
      }
    }
    log(
      `  ✓ Ports ${Object.entries(ports)
        .map(([k, p]) => `${k} ${p || 'free'}`)
        .join(', ')}`,
    );

    // The three services start side by side; each one that did start is stopped if another fails.
    const services = await Promise.allSettled([
      step(
        'DynamoDB Local',
        () => startDynamoDbLocal({ port: ports.dynamodb || undefined }),
        (s) => `on ${s.endpoint}`,
      ),
      step(
        'fauxqs (SNS, SQS, S3)',
        () => startFauxqs({ port: ports.fauxqs || undefined }),
        (s) => `on ${s.endpoint}`,
      ),
      step(
        'X-Ray daemon',
        () => startXRayDaemon({ port: ports.xray }),
        (d) => `on ${d.endpoint} (UDP+TCP)`,
      ),
    ]);
    for (const service of services) {
      if (service.status === 'fulfilled') stops.push({ name: 'local service', stop: () => service.value.stop() });
    }
    const failed = services.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    if (failed) throw failed.reason;
    const [dynamodb, fauxqs, xray] = services.map((s) => (s as PromiseFulfilledResult<unknown>).value) as [
      Awaited<ReturnType<typeof startDynamoDbLocal>>,
      Awaited<ReturnType<typeof startFauxqs>>,
      Awaited<ReturnType<typeof startXRayDaemon>>,
    ];

    const otlp = await step(
      'OTLP/HTTP receiver',
      () => startOtlpHttpReceiver(xray.store, { port: ports.otlp }),
      (r) => `on ${r.endpoint}/v1/traces`,
    );
    stops.push({ name: 'OTLP receiver', stop: () => otlp.stop() });

    const tracer: StageTracer = startStageTracer(xray.address);
    stops.push({ name: 'stage tracer', stop: () => tracer.close() });
    const gateway: Gateway = await step(
      'API gateway',
      () =>
        startGateway({
          ports: { website: ports.website, questions: ports.questions, mysfits: ports.mysfits, clicks: ports.clicks },
          allowedOrigin: options.allowedOrigin,
          accessLog: options.accessLog,
          websiteDir: WEBSITE_OUT,
          tracer,
          links: () => ({ xrayConsole: xray.endpoint }),
          onError: (err) => log(`  ! gateway: ${err.message}`),
          questionsRateLimit: options.questionsRateLimit,
        }),
      (g) => `on ${g.url} (website), ${API_KEYS.map((api) => `${g.apis[api]} (${api})`).join(', ')}`,
    );
    stops.push({ name: 'API gateway', stop: () => gateway.close() });

    const clients: LocalClients = localClients({ dynamodb: dynamodb.endpoint, fauxqs: fauxqs.endpoint });
    stops.push({ name: 'AWS clients', stop: async () => destroyClients(clients) });
    const resources = await step('Resources (tables, mysfits, topic, queues, bucket)', () =>
      provisionResources(clients),
    );
    // From here on a service that dies is named at once; fauxqs is restarted, DynamoDB Local stops the sandbox.
    const supervisor = superviseServices({
      dynamodb,
      fauxqs,
      restartFauxqs: async (port) => {
        const restarted = await startFauxqs({ port });
        await provisionMessaging(clients);
        return restarted;
      },
      log,
      onFatal: (error) => void stopOnce().then(() => reportFailure(error)),
    });
    stops.push({ name: 'service supervisor', stop: () => supervisor.stop() });

    await step(
      'Website build',
      () => buildWebsite(),
      (files) => `${files.length} files`,
    );

    const runtimes = {} as Record<FunctionKey, FunctionRuntime>;
    const logsDir = options.stateDir ? path.join(options.stateDir, 'logs') : undefined;
    const functionLogs: FunctionLogFiles | undefined = logsDir
      ? openFunctionLogs(
          logsDir,
          FUNCTION_KEYS.map((k) => localNames.function(k)),
        )
      : undefined;
    if (functionLogs) stops.push({ name: 'function log files', stop: () => functionLogs.close() });
    await step(
      'Functions (bundles + execution environments)',
      async () => {
        for (const key of FUNCTION_KEYS) {
          runtimes[key] = await startFunctionRuntime({
            key,
            functionName: localNames.function(key),
            environment: {
              ...awsEnvironment({ dynamodb: dynamodb.endpoint, fauxqs: fauxqs.endpoint }),
              ...functionEnvironment(key, resources, gateway, options.functionEnvironment?.[key]),
            },
            tracing: options.tracing?.[key] ?? 'Active',
            tracingBackend: options.tracingBackend,
            daemonAddress: xray.address,
            concurrency: options.functionConcurrency,
            logSink: (text) => {
              functionLogs?.write(localNames.function(key), text);
              log(text.replace(/\n$/, '').replace(/^/gm, `  [${localNames.function(key)}] `));
            },
          });
          stops.push({ name: localNames.function(key), stop: () => runtimes[key].stop() });
        }
      },
      () => FUNCTION_KEYS.map((k) => localNames.function(k)).join(', '),
    );

    const firehose: DeliveryStream = await step('Firehose stand-in (clicks)', () =>
      startDeliveryStream({
        name: resources.deliveryStream,
        arn: localNames.deliveryStreamArn(),
        region: LOCAL_REGION,
        processorArn: localNames.functionArn('processClicks'),
        invokeProcessor: (event) => runtimes.processClicks.invoke(event),
        putObject: async (key, body) => {
          await clients.s3.send(new PutObjectCommand({ Bucket: resources.clicksBucket, Key: key, Body: body }));
        },
        bufferIntervalMs: options.firehoseBufferIntervalMs ?? 1000,
        onDeliveryError: (err) => log(`  ! firehose: ${err.message}`),
      }),
    );
    // Before the functions stop: flushing invokes process-clicks.
    stops.push({ name: 'Firehose stand-in', stop: () => firehose.stop() });

    const poller: StreamPoller = await step('Stream poller (questions -> process-questions-stream)', () =>
      startStreamPoller({
        streams: clients.streams,
        streamArn: resources.questionsStreamArn,
        functionArn: localNames.functionArn('processQuestionsStream'),
        region: LOCAL_REGION,
        invoke: (event) => runtimes.processQuestionsStream.invoke(event),
        sendToOnFailure: async (record) => {
          await clients.sqs.send(
            new SendMessageCommand({ QueueUrl: resources.onFailureQueueUrl, MessageBody: JSON.stringify(record) }),
          );
        },
        onError: (err) => log(`  ! stream poller: ${err.name}: ${err.message}`),
      }),
    );
    stops.push({ name: 'stream poller', stop: () => poller.stop() });

    gateway.attach({
      invokeFunction: (key, event, traceHeader) => runtimes[key].invoke(event, { traceHeader }),
      putClickRecord: (data) => firehose.putRecord(data),
      readMailbox: () => readMailbox(fauxqs.endpoint, localNames.mailboxQueue),
    });
    const lambdaApi = await step(
      'Lambda API (invoke one function)',
      () =>
        startSandboxLambdaApi({
          port: options.lambdaPort ?? 0,
          runtimes,
          tracing: options.tracing,
          xrayEndpoint: xray.endpoint,
          onError: (err) => log(`  ! Lambda API: ${err.message}`),
        }),
      (api) => `on ${api.url}`,
    );
    stops.push({ name: 'Lambda API', stop: () => lambdaApi.close() });
    // Stopping begins with the gateway, so no request reaches a function that is already gone.
    stops.push(
      ...stops.splice(
        stops.findIndex((s) => s.name === 'API gateway'),
        1,
      ),
    );
    const endpointsFile = options.stateDir
      ? writeEndpoints(
          options.stateDir,
          endpointsRecord({
            url: gateway.url,
            apis: gateway.apis,
            xrayEndpoint: xray.endpoint,
            dynamodbEndpoint: dynamodb.endpoint,
            fauxqsEndpoint: fauxqs.endpoint,
            lambdaEndpoint: lambdaApi.url,
            resources,
            logsDir,
          }),
        )
      : undefined;
    // Removed first on the way out: no tool finds a sandbox that is stopping.
    if (options.stateDir) stops.push({ name: 'endpoints file', stop: async () => removeEndpoints(options.stateDir!) });
    log(`  ✓ ready in ${((Date.now() - started) / 1000).toFixed(1)} s`);

    return {
      url: gateway.url,
      apis: gateway.apis,
      xrayEndpoint: xray.endpoint,
      otlpEndpoint: otlp.endpoint,
      dynamodbEndpoint: dynamodb.endpoint,
      fauxqsEndpoint: fauxqs.endpoint,
      lambdaEndpoint: lambdaApi.url,
      endpointsFile,
      resources,
      failed: failure,
      stop: stopOnce,
    };
  } catch (err) {
    await stopAll();
    throw err;
  }
}
