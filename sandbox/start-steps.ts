/**
 * The steps of `startSandbox()` (sandbox/index.ts), one function each, in the order it runs them. Each step
 * starts its parts between progress lines and registers their stops under the names of `stop-order.ts`.
 * Why one file: read top to bottom it is the start sequence; the stop-order test reads the names registered here.
 */
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { startReloader, websiteDirOf } from './reload/reloader';
import { DEFAULTS, ENV, FUNCTIONS, SANDBOX_PORTS, type FunctionKey } from '../system/definition';
import { startDeliveryStream, type DeliveryStream } from './firehose/delivery-stream';
import { API_KEYS, PORT_SETTINGS, startGateway, type Gateway } from './gateway/server';
import { startFunctionRuntime, type FunctionRuntime } from './lambda/function-runtime';
import { awsEnvironment, destroyClients, localClients, localNames, LOCAL_REGION, type LocalClients } from './local-aws';
import { provisionMessaging, provisionResources, type SandboxResources } from './resources/provision';
import { assertJava, assertPortFree, startDynamoDbLocal, startFauxqs } from './services/local-services';
import { superviseServices } from './services/supervisor';
import type { StartedParts } from './stop-order';
import type { SandboxOptions } from './index';
import { startStreamPoller, type StreamPoller } from './streams/stream-poller';
import { startStageTracer, type StageTracer } from './tracing/stage-tracer';
import { startXRayDaemon } from './xray/daemon';
import { openFunctionLogs, type FunctionLogFiles } from './daily/function-logs';
import { endpointsRecord, startSandboxLambdaApi } from './daily/hooks';
import { removeEndpoints, writeEndpoints } from './daily/state-file';
import * as path from 'node:path';
import { startOtlpHttpReceiver } from './xray/otlp-http';
import { openPersistFolder, type PersistFolder } from './services/persist-folder';
import { openTraceJournal } from './xray/trace-journal';

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

export type Ports = ReturnType<typeof portsOf>;
type DynamoDbLocal = Awaited<ReturnType<typeof startDynamoDbLocal>>;
type Fauxqs = Awaited<ReturnType<typeof startFauxqs>>;
type XRayDaemon = Awaited<ReturnType<typeof startXRayDaemon>>;
export interface Services {
  dynamodb: DynamoDbLocal;
  fauxqs: Fauxqs;
  xray: XRayDaemon;
}

/** What every start step gets: the options, the ports, the log, the started parts and the step runner. */
export interface Startup {
  options: SandboxOptions;
  ports: Ports;
  log: (line: string) => void;
  parts: StartedParts;
  /** The folder state is kept in across starts (`persistDir`), once opened; undefined: a clean start. */
  kept?: PersistFolder;
  /** Runs one step between progress lines; a failure becomes a SandboxStartError naming `part`. */
  step<T>(part: string, run: () => Promise<T> | T, describe?: (value: T) => string): Promise<T>;
}

export function portsOf(options: SandboxOptions) {
  return {
    website: options.port ?? SANDBOX_PORTS.website,
    questions: options.apiPorts?.questions ?? SANDBOX_PORTS.apis.questions,
    mysfits: options.apiPorts?.mysfits ?? SANDBOX_PORTS.apis.mysfits,
    clicks: options.apiPorts?.clicks ?? SANDBOX_PORTS.apis.clicks,
    xray: options.xrayPort ?? SANDBOX_PORTS.xray,
    dynamodb: options.dynamodbPort ?? SANDBOX_PORTS.dynamodb,
    fauxqs: options.fauxqsPort ?? SANDBOX_PORTS.fauxqs,
    otlp: options.otlpPort ?? 0,
  };
}

export function stepRunner(log: (line: string) => void): Startup['step'] {
  return async (part, run, describe) => {
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
  };
}

/** Java for DynamoDB Local, and every fixed port free, before anything starts. */
export async function checkPrerequisites({ options, ports, log, step }: Startup): Promise<void> {
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
}

/** With `persistDir`: the kept-state folder, checked and claimed before any service reads it. */
export async function openKeptState(startup: Startup): Promise<void> {
  const { options, parts, step } = startup;
  if (!options.persistDir) return;
  const dir = options.persistDir;
  const kept = await step(
    'Kept state',
    () => openPersistFolder(dir),
    (f) => `in ${f.dir}`,
  );
  parts.add('kept state', async () => kept.release());
  startup.kept = kept;
}

/** The three local services start side by side; each one that did start is stopped if another fails. */
export async function startServices({ ports, parts, step, kept }: Startup): Promise<Services> {
  const [dynamodb, fauxqs, xray] = await Promise.allSettled([
    step(
      'DynamoDB Local',
      () => startDynamoDbLocal({ port: ports.dynamodb || undefined, dbPath: kept?.dynamodbDir }),
      (s) => `on ${s.endpoint}`,
    ),
    step(
      'fauxqs (SNS, SQS, S3)',
      () => startFauxqs({ port: ports.fauxqs || undefined, stateFile: kept?.fauxqsFile }),
      (s) => `on ${s.endpoint}`,
    ),
    step(
      'X-Ray daemon',
      () => startXRayDaemon({ port: ports.xray }),
      (d) => `on ${d.endpoint} (UDP+TCP)`,
    ),
  ]);
  if (dynamodb.status === 'fulfilled') parts.add('DynamoDB Local', () => dynamodb.value.stop());
  if (fauxqs.status === 'fulfilled') parts.add('fauxqs', () => fauxqs.value.stop());
  if (xray.status === 'fulfilled') parts.add('X-Ray daemon', () => xray.value.stop());
  for (const service of [dynamodb, fauxqs, xray]) if (service.status === 'rejected') throw service.reason;
  const value = <T>(settled: PromiseSettledResult<T>) => (settled as PromiseFulfilledResult<T>).value;
  if (kept) {
    const store = value(xray).store;
    const journal = await step(
      'Kept traces',
      () => openTraceJournal(store, kept.tracesFile),
      (j) => `${j.loaded} segment documents`,
    );
    parts.add('trace journal', async () => journal.close());
  }
  return { dynamodb: value(dynamodb), fauxqs: value(fauxqs), xray: value(xray) };
}

/** The OTLP/HTTP receiver and the gateway's stage tracer, both feeding the X-Ray daemon. */
export async function startTracing({ ports, parts, step }: Startup, xray: XRayDaemon) {
  const otlp = await step(
    'OTLP/HTTP receiver',
    () => startOtlpHttpReceiver(xray.store, { port: ports.otlp }),
    (r) => `on ${r.endpoint}/v1/traces`,
  );
  parts.add('OTLP receiver', () => otlp.stop());
  const tracer: StageTracer = startStageTracer(xray.address);
  parts.add('stage tracer', () => tracer.close());
  return { otlp, tracer };
}

/** The website and the three APIs; API calls get 503 until the backends are attached. */
export async function startApiGateway(
  { options, ports, log, parts, step }: Startup,
  tracer: StageTracer,
  xray: XRayDaemon,
) {
  const gateway = await step(
    'API gateway',
    () =>
      startGateway({
        ports: { website: ports.website, questions: ports.questions, mysfits: ports.mysfits, clicks: ports.clicks },
        allowedOrigin: options.allowedOrigin,
        accessLog: options.accessLog,
        websiteDir: websiteDirOf(options.watch),
        tracer,
        links: () => ({ xrayConsole: xray.endpoint }),
        onError: (err) => log(`  ! gateway: ${err.message}`),
        questionsRateLimit: options.questionsRateLimit,
      }),
    (g) => `on ${g.url} (website), ${API_KEYS.map((api) => `${g.apis[api]} (${api})`).join(', ')}`,
  );
  parts.add('API gateway', () => gateway.close());
  return gateway;
}

/**
 * The tables, topic, queues and bucket, then the supervisor: from here on a service that dies is named at once;
 * fauxqs is restarted, DynamoDB Local stops the sandbox (`onFatal`).
 */
export async function provisionAndSupervise(
  { log, parts, step, kept }: Startup,
  services: Services,
  onFatal: (error: Error) => void,
) {
  const { dynamodb, fauxqs } = services;
  const clients: LocalClients = localClients({ dynamodb: dynamodb.endpoint, fauxqs: fauxqs.endpoint });
  parts.add('AWS clients', () => destroyClients(clients));
  const resources = await step('Resources (tables, mysfits, topic, queues, bucket)', () => provisionResources(clients));
  const supervisor = superviseServices({
    dynamodb,
    fauxqs,
    restartFauxqs: async (port) => {
      const restarted = await startFauxqs({ port, stateFile: kept?.fauxqsFile });
      await provisionMessaging(clients);
      return restarted;
    },
    log,
    onFatal,
  });
  parts.add('service supervisor', () => supervisor.stop());
  return { clients, resources };
}

/** The four functions' execution environments, with their log files when there is a state directory. */
export async function startFunctions(
  startup: Startup,
  services: Services,
  resources: SandboxResources,
  gateway: Gateway,
) {
  const { options, log, parts, step } = startup;
  const { dynamodb, fauxqs, xray } = services;
  const logsDir = options.stateDir ? path.join(options.stateDir, 'logs') : undefined;
  const functionLogs: FunctionLogFiles | undefined = logsDir
    ? openFunctionLogs(
        logsDir,
        FUNCTION_KEYS.map((k) => localNames.function(k)),
      )
    : undefined;
  if (functionLogs) parts.add('function log files', () => functionLogs.close());
  const runtimes = {} as Record<FunctionKey, FunctionRuntime>;
  const startOne = async (key: FunctionKey) => {
    const functionName = localNames.function(key);
    runtimes[key] = await startFunctionRuntime({
      key,
      functionName,
      environment: {
        ...awsEnvironment({ dynamodb: dynamodb.endpoint, fauxqs: fauxqs.endpoint }),
        ...functionEnvironment(key, resources, gateway, options.functionEnvironment?.[key]),
      },
      tracing: options.tracing?.[key] ?? 'Active',
      tracingBackend: options.tracingBackend,
      daemonAddress: xray.address,
      concurrency: options.functionConcurrency,
      logSink: (text) => {
        functionLogs?.write(functionName, text);
        log(text.replace(/\n$/, '').replace(/^/gm, `  [${functionName}] `));
      },
    });
    parts.add('functions', () => runtimes[key].stop());
  };
  await step(
    'Functions (bundles + execution environments)',
    async () => {
      for (const key of FUNCTION_KEYS) await startOne(key);
    },
    () => FUNCTION_KEYS.map((k) => localNames.function(k)).join(', '),
  );
  return { runtimes, logsDir };
}

/** Edit and see (`watch`): saved sources are rebuilt and the functions' environments replaced. */
export async function startWatcher(
  { options, log, parts, step }: Startup,
  runtimes: Record<FunctionKey, FunctionRuntime>,
) {
  if (!options.watch) return;
  const watch = options.watch === true ? {} : options.watch;
  const reloader = await step('Watching for saves (edit and see)', () =>
    startReloader({ ...watch, runtimes, tracingBackend: options.tracingBackend, log }),
  );
  parts.add('watcher', () => reloader.stop());
}

/** The Firehose stand-in (clicks -> process-clicks -> S3) and the questions stream poller. */
export async function startEventSources(
  { options, log, parts, step, kept }: Startup,
  clients: LocalClients,
  resources: SandboxResources,
  runtimes: Record<FunctionKey, FunctionRuntime>,
) {
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
  parts.add('Firehose stand-in', () => firehose.stop());
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
      ...kept?.streamPosition(resources.questionsStreamArn),
    }),
  );
  parts.add('stream poller', () => poller.stop());
  return firehose;
}

/** The Lambda Invoke API (`npm run invoke`, `aws lambda invoke --endpoint-url`). */
export async function startInvokeApi(
  { options, log, parts, step }: Startup,
  runtimes: Record<FunctionKey, FunctionRuntime>,
  xray: XRayDaemon,
) {
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
  parts.add('Lambda API', () => lambdaApi.close());
  return lambdaApi;
}

/** The endpoints file tools read, when there is a state directory; removed first on the way out. */
export function publishEndpoints(
  { options, parts }: Startup,
  record: Parameters<typeof endpointsRecord>[0],
): string | undefined {
  const { stateDir } = options;
  if (!stateDir) return undefined;
  const file = writeEndpoints(stateDir, endpointsRecord(record));
  parts.add('endpoints file', () => removeEndpoints(stateDir));
  return file;
}
