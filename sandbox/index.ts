/**
 * `startSandbox()`: the whole system on one machine, wired as the stacks wire it — DynamoDB Local, fauxqs (SNS,
 * SQS, S3), the local X-Ray daemon, the four handler bundles in Lambda-like processes, the API gateway with the
 * website, the questions stream poller and the clicks Firehose stand-in. Every part is started in order with
 * progress lines; a part that fails stops what was started and names itself in the error.
 */
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { buildWebsite, WEBSITE_OUT } from '../build/website';
import {
  DEFAULTS,
  ENV,
  FUNCTIONS,
  SANDBOX_PORTS,
  type FunctionKey,
} from '../system/definition';
import { startDeliveryStream, type DeliveryStream } from './firehose/delivery-stream';
import { startGateway, type Gateway } from './gateway/server';
import { startFunctionRuntime, type FunctionRuntime } from './lambda/function-runtime';
import {
  awsEnvironment,
  destroyClients,
  localClients,
  localNames,
  LOCAL_REGION,
  type LocalClients,
} from './local-aws';
import { readMailbox } from './mailbox/mailbox';
import { provisionResources, type SandboxResources } from './resources/provision';
import { assertJava, assertPortFree, startDynamoDbLocal, startFauxqs } from './services/local-services';
import { startStreamPoller, type StreamPoller } from './streams/stream-poller';
import { startStageTracer, type StageTracer } from './tracing/stage-tracer';
import { startXRayDaemon } from './xray/daemon';
import { startOtlpHttpReceiver } from './xray/otlp-http';
import type { TracingBackend } from '../build/tracing-backends';

export interface SandboxOptions {
  /** Gateway; default SANDBOX_PORTS.gateway (3000), 0 = free port (tests). */
  port?: number;
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
  /** Per-function env overrides, e.g. { postQuestion: { HANGING_EXCEPTION_RATE: '1', HANGING_EXCEPTION_DELAY_MS: '200' } }. */
  functionEnvironment?: Partial<Record<FunctionKey, Record<string, string>>>;
  /** Per-function tracing, default Active for all; { postQuestion: 'Off' } = tracing switched off for it. */
  tracing?: Partial<Record<FunctionKey, 'Active' | 'Off'>>;
  /** Default 1000 here (AWS: 60 s) so a click lands quickly. */
  firehoseBufferIntervalMs?: number;
  /** Execution environments (processes) per function at most; default 4 (Lambda would scale much further). */
  functionConcurrency?: number;
  /** Progress lines (and the functions' logs); silent by default. */
  log?: (line: string) => void;
}

export interface Sandbox {
  /** 'http://127.0.0.1:3000': website, config.json, /questions, /mysfits, /clicks, /_sandbox/mailbox. */
  readonly url: string;
  /** X-Ray API + console pages. */
  readonly xrayEndpoint: string;
  /** OTLP/HTTP receiver (`POST /v1/traces`) feeding the same X-Ray store. */
  readonly otlpEndpoint: string;
  readonly dynamodbEndpoint: string;
  /** SNS/SQS/S3. */
  readonly fauxqsEndpoint: string;
  readonly resources: SandboxResources;
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
  gatewayUrl: string,
  overrides: Record<string, string> | undefined,
): Record<string, string> {
  const localValues: Record<(typeof ENV)[keyof typeof ENV], string> = {
    [ENV.questionsTableName]: resources.questionsTable,
    [ENV.questionsTopicArn]: resources.topicArn,
    [ENV.mysfitsTableName]: resources.mysfitsTable,
    [ENV.mysfitsApiUrl]: gatewayUrl,
    [ENV.mysfitsLookupTimeoutMs]: String(DEFAULTS.mysfitsLookupTimeoutMs),
    [ENV.allowedOrigin]: gatewayUrl,
    [ENV.hangingExceptionRate]: String(DEFAULTS.hangingExceptionRate),
    [ENV.hangingExceptionDelayMs]: String(DEFAULTS.hangingExceptionDelayMs),
    [ENV.serviceName]: localNames.function(key),
  };
  // Only the variables the function is declared to get, as its stack sets them.
  const own = Object.fromEntries(FUNCTIONS[key].environment.map((name) => [name, localValues[name]]));
  return { ...own, ...overrides };
}

export async function startSandbox(options: SandboxOptions = {}): Promise<Sandbox> {
  const log = options.log ?? (() => {});
  const ports = {
    gateway: options.port ?? SANDBOX_PORTS.gateway,
    xray: options.xrayPort ?? SANDBOX_PORTS.xray,
    dynamodb: options.dynamodbPort ?? SANDBOX_PORTS.dynamodb,
    fauxqs: options.fauxqsPort ?? SANDBOX_PORTS.fauxqs,
    otlp: options.otlpPort ?? 0,
  };
  const stops: { name: string; stop: () => Promise<void> }[] = [];
  const started = Date.now();

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
      [ports.gateway, 'API gateway (PORT)'],
      [ports.xray, 'X-Ray daemon'],
      [ports.dynamodb, 'DynamoDB Local'],
      [ports.fauxqs, 'fauxqs (SNS, SQS, S3)'],
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
    log(`  ✓ Ports ${Object.entries(ports).map(([k, p]) => `${k} ${p || 'free'}`).join(', ')}`);

    // The three services start side by side; each one that did start is stopped if another fails.
    const services = await Promise.allSettled([
      step('DynamoDB Local', () => startDynamoDbLocal({ port: ports.dynamodb || undefined }), (s) => `on ${s.endpoint}`),
      step('fauxqs (SNS, SQS, S3)', () => startFauxqs({ port: ports.fauxqs || undefined }), (s) => `on ${s.endpoint}`),
      step('X-Ray daemon', () => startXRayDaemon({ port: ports.xray }), (d) => `on ${d.endpoint} (UDP+TCP)`),
    ]);
    for (const service of services) {
      if (service.status === 'fulfilled') stops.push({ name: 'local service', stop: () => service.value.stop() });
    }
    const failed = services.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    if (failed) throw failed.reason;
    const [dynamodb, fauxqs, xray] = services.map((s) => (s as PromiseFulfilledResult<any>).value) as [
      Awaited<ReturnType<typeof startDynamoDbLocal>>,
      Awaited<ReturnType<typeof startFauxqs>>,
      Awaited<ReturnType<typeof startXRayDaemon>>,
    ];

    const otlp = await step('OTLP/HTTP receiver', () => startOtlpHttpReceiver(xray.store, { port: ports.otlp }), (r) => `on ${r.endpoint}/v1/traces`);
    stops.push({ name: 'OTLP receiver', stop: () => otlp.stop() });

    const tracer: StageTracer = startStageTracer(xray.address);
    stops.push({ name: 'stage tracer', stop: () => tracer.close() });
    const gateway: Gateway = await step(
      'API gateway',
      () =>
        startGateway({
          port: ports.gateway,
          websiteDir: WEBSITE_OUT,
          tracer,
          links: () => ({ xrayConsole: xray.endpoint }),
          onError: (err) => log(`  ! gateway: ${err.message}`),
        }),
      (g) => `on ${g.url}`,
    );
    stops.push({ name: 'API gateway', stop: () => gateway.close() });

    const clients: LocalClients = localClients({ dynamodb: dynamodb.endpoint, fauxqs: fauxqs.endpoint });
    stops.push({ name: 'AWS clients', stop: async () => destroyClients(clients) });
    const resources = await step(
      'Resources (tables, mysfits, topic, queues, bucket)',
      () => provisionResources(clients),
    );

    await step('Website build', () => buildWebsite(), (files) => `${files.length} files`);

    const runtimes = {} as Record<FunctionKey, FunctionRuntime>;
    await step('Functions (bundles + execution environments)', async () => {
      for (const key of FUNCTION_KEYS) {
        runtimes[key] = await startFunctionRuntime({
          key,
          functionName: localNames.function(key),
          environment: {
            ...awsEnvironment({ dynamodb: dynamodb.endpoint, fauxqs: fauxqs.endpoint }),
            ...functionEnvironment(key, resources, gateway.url, options.functionEnvironment?.[key]),
          },
          tracing: options.tracing?.[key] ?? 'Active',
          tracingBackend: options.tracingBackend,
          daemonAddress: xray.address,
          concurrency: options.functionConcurrency,
          logSink: (text) => log(text.replace(/\n$/, '').replace(/^/gm, `  [${localNames.function(key)}] `)),
        });
        stops.push({ name: localNames.function(key), stop: () => runtimes[key].stop() });
      }
    }, () => FUNCTION_KEYS.map((k) => localNames.function(k)).join(', '));

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
    // Stopping begins with the gateway, so no request reaches a function that is already gone.
    stops.push(...stops.splice(stops.findIndex((s) => s.name === 'API gateway'), 1));
    log(`  ✓ ready in ${((Date.now() - started) / 1000).toFixed(1)} s`);

    let stopping: Promise<void> | undefined;
    return {
      url: gateway.url,
      xrayEndpoint: xray.endpoint,
      otlpEndpoint: otlp.endpoint,
      dynamodbEndpoint: dynamodb.endpoint,
      fauxqsEndpoint: fauxqs.endpoint,
      resources,
      stop: () => (stopping ??= stopAll()),
    };
  } catch (err) {
    await stopAll();
    throw err;
  }
}
