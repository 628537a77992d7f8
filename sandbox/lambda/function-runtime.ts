/**
 * A Lambda-like function runtime for the sandbox and the tests: runs a bundled handler (the very file the
 * stacks deploy) in child-process execution environments, and records what the Lambda service records in
 * X-Ray under Active tracing: an `AWS::Lambda` segment per invocation (child of the caller's segment when a
 * trace header is given, a new trace otherwise) and an `AWS::Lambda::Function` segment under it, whose id is
 * the `Parent` in the handler's `_X_AMZN_TRACE_ID`, so the handler's own subsegments hang under it.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import * as dgram from 'node:dgram';
import * as path from 'node:path';
import * as AWSXRay from 'aws-xray-sdk-core';
import { bundleHandlerFor, type TracingBackend } from '../../build/tracing-variant';
import { FUNCTIONS, LAMBDA_RUNTIME, type FunctionKey } from '../../system/definition';
import { endLine, reportLine, startLine } from './platform-log';

export interface FunctionRuntimeOptions {
  key: FunctionKey;
  /** e.g. names.function('local', key): the name of the function's segments. */
  functionName: string;
  /** The function's environment (ENV names) + AWS_REGION, AWS_ENDPOINT_URL_*, credentials. */
  environment: Record<string, string>;
  /** Off: the function and its SDK send no segments at all. */
  tracing: 'Active' | 'Off';
  /** Which build of the handler runs: the X-Ray SDK one (default) or the OpenTelemetry one, as the stacks deploy it. */
  tracingBackend?: TracingBackend;
  /** `host:port` of the X-Ray daemon (AWS_XRAY_DAEMON_ADDRESS), default 127.0.0.1:2000. */
  daemonAddress?: string;
  /** Max execution environments (child processes), spawned lazily. Default 4. */
  concurrency?: number;
  /** Overrides FUNCTIONS[key].timeoutSeconds (tests use short ones). */
  timeoutSeconds?: number;
  /** Receives the functions' stdout/stderr (their logs). Default: the sandbox's stderr, prefixed. */
  logSink?: (text: string) => void;
}

export interface InvokeResult {
  /** false when the handler threw / timed out (a Lambda "function error"). */
  ok: boolean;
  result?: unknown;
  error?: { errorType: string; errorMessage: string };
  /** The X-Ray trace id used ("1-xxxxxxxx-..."). */
  traceId?: string;
  durationMs: number;
  /** Lambda's request id; the log's START, END and REPORT lines name it. */
  requestId?: string;
  /** This invocation's log, START to REPORT (what `X-Amz-Log-Type: Tail` returns the end of). */
  log?: string;
}

export interface FunctionRuntime {
  invoke(event: unknown, options?: { traceHeader?: string }): Promise<InvokeResult>;
  stop(): Promise<void>;
}

const BOOTSTRAP = path.join(__dirname, 'bootstrap.js');
/** How much of an execution environment's output is kept to say why it died. */
const OUTPUT_TAIL_CHARS = 4000;

type ChildMessage =
  | { type: 'init'; ok: boolean; startMs: number; endMs: number; error?: InvokeResult['error'] }
  | {
      type: 'result';
      requestId: string;
      ok: boolean;
      result?: unknown;
      error?: InvokeResult['error'];
      startMs?: number;
      endMs?: number;
      maxRssKb?: number;
    };

interface ExecutionEnvironment {
  child: ChildProcess;
  init: Promise<Extract<ChildMessage, { type: 'init' }>>;
  /** True until its first invocation: that one reports the Initialization phase. */
  fresh: boolean;
  dead: boolean;
  /** The runtime killed it (timeout, failed init, stop): its exit is expected, not news. */
  killedByRuntime: boolean;
  onMessage?: (message: ChildMessage) => void;
  onExit?: () => void;
  /** Receives this environment's output too, while an invocation wants its own log. */
  tap?: (text: string) => void;
}

/** What Lambda sets `AWS_EXECUTION_ENV` to on the runtime the stacks deploy (`AWS_Lambda_nodejs24.x`). */
export const EXECUTION_ENV = `AWS_Lambda_${LAMBDA_RUNTIME}`;

const seconds = (ms: number) => ms / 1000;
const newTraceId = () => `1-${Math.floor(Date.now() / 1000).toString(16)}-${randomBytes(12).toString('hex')}`;

export async function startFunctionRuntime(options: FunctionRuntimeOptions): Promise<FunctionRuntime> {
  const definition = FUNCTIONS[options.key];
  if (!definition) throw new Error(`startFunctionRuntime: unknown function key "${options.key}"`);
  const taskRoot = bundleHandlerFor(options.key, options.tracingBackend);
  const timeoutMs = (options.timeoutSeconds ?? definition.timeoutSeconds) * 1000;
  const concurrency = options.concurrency ?? 4;
  if (!Number.isInteger(concurrency) || concurrency < 1) {
    throw new Error(`startFunctionRuntime: concurrency must be a positive integer, got ${concurrency}`);
  }
  const traced = options.tracing === 'Active';
  const daemon = parseDaemonAddress(options.daemonAddress ?? '127.0.0.1:2000');
  const socket = traced ? dgram.createSocket('udp4') : undefined;
  socket?.unref();
  const logSink =
    options.logSink ?? ((text: string) => process.stderr.write(prefixLines(`[${options.functionName}] `, text)));

  const childEnv: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    LANG: 'en_US.UTF-8',
    TZ: ':UTC',
    AWS_REGION: 'us-east-1',
    ...options.environment,
    // Reserved variables, set by Lambda and not overridable by the function's configuration.
    LAMBDA_TASK_ROOT: taskRoot,
    LAMBDA_RUNTIME_DIR: __dirname,
    _HANDLER: 'index.handler',
    AWS_EXECUTION_ENV: EXECUTION_ENV,
    AWS_LAMBDA_FUNCTION_NAME: options.functionName,
    AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(definition.memorySize),
    AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/${options.functionName}`,
    AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
    AWS_XRAY_CONTEXT_MISSING: 'LOG_ERROR',
    AWS_XRAY_DAEMON_ADDRESS: `${daemon.host}:${daemon.port}`,
    NODE_OPTIONS: '',
  };

  const environments: ExecutionEnvironment[] = [];
  const idle: ExecutionEnvironment[] = [];
  const waiting: ((env: ExecutionEnvironment) => void)[] = [];
  let stopped = false;

  function spawnEnvironment(): ExecutionEnvironment {
    const child = fork(BOOTSTRAP, [], {
      env: { ...childEnv, AWS_LAMBDA_LOG_STREAM_NAME: `local/[$LATEST]${randomUUID().replace(/-/g, '')}` },
      execArgv: [],
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      cwd: taskRoot,
    });
    let lastOutput = '';
    const env: ExecutionEnvironment = {
      child,
      fresh: true,
      dead: false,
      killedByRuntime: false,
      init: undefined as never,
    };
    const onOutput = (text: string) => {
      lastOutput = (lastOutput + text).slice(-OUTPUT_TAIL_CHARS);
      logSink(text);
      env.tap?.(text);
    };
    child.stdout?.setEncoding('utf8').on('data', onOutput);
    child.stderr?.setEncoding('utf8').on('data', onOutput);
    env.init = new Promise((resolve) => {
      const onInit = (message: ChildMessage) => {
        if (message.type === 'init') resolve(message);
      };
      child.on('message', onInit);
      child.once('exit', (code, signal) =>
        resolve({
          type: 'init',
          ok: false,
          startMs: Date.now(),
          endMs: Date.now(),
          error: {
            errorType: 'Runtime.ExitError',
            errorMessage: `Runtime exited during init (${signal ?? `code ${code}`})`,
          },
        }),
      );
    });
    child.on('message', (message: ChildMessage) => env.onMessage?.(message));
    child.once('exit', (code, signal) => {
      if (!env.killedByRuntime && !stopped) {
        // Said at once and with its last words; the next invocation gets a new environment, as in Lambda.
        const how = signal ? `was killed by ${signal}` : `exited with code ${code}`;
        const tail = lastOutput.trim()
          ? `; its last output:\n${lastOutput.trim().split('\n').slice(-10).join('\n')}`
          : '';
        logSink(`execution environment (pid ${child.pid}) ${how}${tail}\n`);
      }
      env.dead = true;
      env.onExit?.();
      const i = environments.indexOf(env);
      if (i >= 0) environments.splice(i, 1);
      const j = idle.indexOf(env);
      if (j >= 0) idle.splice(j, 1);
      // A slot became free: a waiting invocation may now spawn its own environment.
      const next = waiting.shift();
      if (next && !stopped) next(acquireNow()!);
    });
    environments.push(env);
    return env;
  }

  function acquireNow(): ExecutionEnvironment | undefined {
    const ready = idle.pop();
    if (ready) return ready;
    if (environments.length < concurrency) return spawnEnvironment();
    return undefined;
  }

  const acquire = () =>
    new Promise<ExecutionEnvironment>((resolve) => {
      const env = acquireNow();
      if (env) resolve(env);
      else waiting.push(resolve);
    });

  function release(env: ExecutionEnvironment) {
    if (env.dead || stopped) return;
    const next = waiting.shift();
    if (next) next(env);
    else idle.push(env);
  }

  function kill(env: ExecutionEnvironment) {
    env.dead = true;
    env.killedByRuntime = true;
    if (env.child.exitCode === null && env.child.signalCode === null) env.child.kill('SIGKILL');
  }

  function emit(document: object) {
    if (!socket) return;
    const message = Buffer.from(`{"format":"json","version":1}\n${JSON.stringify(document)}`);
    socket.send(message, daemon.port, daemon.host, () => undefined);
  }

  async function invoke(event: unknown, invokeOptions: { traceHeader?: string } = {}): Promise<InvokeResult> {
    if (stopped) throw new Error(`function runtime for ${options.functionName} is stopped`);
    const startMs = Date.now();
    const requestId = randomUUID();
    const caller = invokeOptions.traceHeader ? AWSXRay.utils.processTraceData(invokeOptions.traceHeader) : {};
    const traceId = caller.root ?? newTraceId();
    const sampled = traced && caller.sampled !== '0';
    const serviceSegment = sampled ? lambdaSegment(options.functionName, traceId, caller.parent, startMs) : undefined;

    const env = await acquire();
    const init = await env.init;
    const coldStart = env.fresh;
    env.fresh = false;
    const functionSegment = serviceSegment
      ? lambdaFunctionSegment(options.functionName, traceId, serviceSegment.id, coldStart ? init.startMs : Date.now())
      : undefined;
    if (coldStart && functionSegment) {
      functionSegment.subsegments = [phase('Initialization', init.startMs, init.endMs, init.error)];
    }

    let invocationLog = '';
    env.tap = (text) => (invocationLog += text);
    const platformLine = (line: string) => {
      logSink(line);
      invocationLog += line;
    };
    platformLine(startLine(requestId));
    const handlerStart = performance.now();
    let outcome: { ok: boolean; result?: unknown; error?: InvokeResult['error']; maxRssKb?: number };
    if (!init.ok) {
      // As in Lambda: an init failure fails the invocation and the environment is thrown away.
      outcome = { ok: false, error: init.error };
      kill(env);
    } else {
      const parentId = functionSegment?.id ?? randomBytes(8).toString('hex');
      const traceHeader = `Root=${traceId};Parent=${parentId};Sampled=${sampled ? 1 : 0}`;
      outcome = await runInvocation(env, { requestId, event, traceHeader, deadlineMs: Date.now() + timeoutMs });
    }
    const handlerMs = performance.now() - handlerStart;
    // The handler's last lines travel on the output pipe, its answer on the IPC channel. They were written before
    // the answer, so they are readable by the time it arrives: one turn of the event loop reads them.
    await new Promise((resolve) => setImmediate(resolve));
    env.tap = undefined;
    // Lambda's own line for a timeout, ahead of END: `<time> <request id> Task timed out after 1.00 seconds`.
    if (outcome.error?.errorType === 'Sandbox.Timedout')
      platformLine(`${new Date().toISOString()} ${requestId} ${outcome.error.errorMessage}\n`);
    platformLine(endLine(requestId));
    platformLine(
      reportLine({
        requestId,
        durationMs: handlerMs,
        memorySizeMb: definition.memorySize,
        maxMemoryUsedMb: (outcome.maxRssKb ?? 0) / 1024,
        initDurationMs: coldStart ? init.endMs - init.startMs : undefined,
        xray: serviceSegment ? { traceId, segmentId: serviceSegment.id, sampled } : undefined,
      }),
    );
    release(env);

    const endMs = Date.now();
    if (serviceSegment && functionSegment) {
      functionSegment.end_time = seconds(endMs);
      if (!outcome.ok && outcome.error) {
        functionSegment.fault = true;
        functionSegment.cause = {
          working_directory: taskRoot,
          exceptions: [
            { id: randomBytes(8).toString('hex'), message: outcome.error.errorMessage, type: outcome.error.errorType },
          ],
        };
      }
      serviceSegment.end_time = seconds(endMs);
      emit(functionSegment);
      emit(serviceSegment);
    }
    const { maxRssKb: _maxRssKb, ...answer } = outcome;
    return { ...answer, traceId, durationMs: endMs - startMs, requestId, log: invocationLog };
  }

  function runInvocation(
    env: ExecutionEnvironment,
    message: { requestId: string; event: unknown; traceHeader: string; deadlineMs: number },
  ): Promise<{ ok: boolean; result?: unknown; error?: InvokeResult['error']; maxRssKb?: number }> {
    return new Promise((resolve) => {
      const done = (outcome: { ok: boolean; result?: unknown; error?: InvokeResult['error']; maxRssKb?: number }) => {
        clearTimeout(timer);
        env.onMessage = undefined;
        env.onExit = undefined;
        resolve(outcome);
      };
      const timer = setTimeout(() => {
        // Lambda stops a timed-out environment; the next invocation gets a fresh one.
        kill(env);
        done({
          ok: false,
          error: {
            errorType: 'Sandbox.Timedout',
            errorMessage: `Task timed out after ${(timeoutMs / 1000).toFixed(2)} seconds`,
          },
        });
      }, timeoutMs);
      env.onMessage = (reply) => {
        if (reply.type === 'result' && reply.requestId === message.requestId) {
          done({ ok: reply.ok, result: reply.result, error: reply.error, maxRssKb: reply.maxRssKb });
        }
      };
      env.onExit = () =>
        done({
          ok: false,
          error: { errorType: 'Runtime.ExitError', errorMessage: 'Runtime exited without providing a reason' },
        });
      try {
        env.child.send({ type: 'invoke', ...message });
      } catch (err) {
        kill(env);
        done({ ok: false, error: { errorType: 'Runtime.InvalidEvent', errorMessage: (err as Error).message } });
      }
    });
  }

  let stopping: Promise<void> | undefined;
  const stop = () => (stopping ??= stopAll());
  async function stopAll() {
    stopped = true;
    const exits = environments.map(
      (env) =>
        new Promise<void>((resolve) =>
          env.child.exitCode !== null || env.child.signalCode !== null
            ? resolve()
            : env.child.once('exit', () => resolve()),
        ),
    );
    for (const env of [...environments]) kill(env);
    await Promise.all(exits);
    socket?.close();
  }

  return { invoke, stop };
}

/** The Lambda service's segment for one invocation (origin AWS::Lambda). */
function lambdaSegment(name: string, traceId: string, parentId: string | undefined, startMs: number) {
  const segment = new AWSXRay.Segment(name, traceId, parentId) as AWSXRay.Segment & Record<string, unknown>;
  return toDocument(segment, 'AWS::Lambda', startMs);
}

/** The function's segment (origin AWS::Lambda::Function): the parent of the handler's subsegments. */
function lambdaFunctionSegment(name: string, traceId: string, parentId: string, startMs: number) {
  const segment = new AWSXRay.Segment(name, traceId, parentId) as AWSXRay.Segment & Record<string, unknown>;
  return toDocument(segment, 'AWS::Lambda::Function', startMs);
}

interface SegmentDocument {
  trace_id: string;
  id: string;
  name: string;
  parent_id?: string;
  origin: string;
  start_time: number;
  end_time?: number;
  fault?: boolean;
  cause?: unknown;
  subsegments?: object[];
}

/** Takes the ids the SDK's Segment generated, without the SDK/service data the Lambda service would not add. */
function toDocument(segment: AWSXRay.Segment, origin: string, startMs: number): SegmentDocument {
  return {
    trace_id: segment.trace_id,
    id: segment.id,
    name: segment.name,
    ...(segment.parent_id ? { parent_id: segment.parent_id } : {}),
    origin,
    start_time: seconds(startMs),
  };
}

function phase(name: string, startMs: number, endMs: number, error?: InvokeResult['error']) {
  return {
    id: randomBytes(8).toString('hex'),
    name,
    start_time: seconds(startMs),
    end_time: seconds(endMs),
    ...(error ? { fault: true, cause: { exceptions: [{ message: error.errorMessage, type: error.errorType }] } } : {}),
  };
}

function parseDaemonAddress(address: string): { host: string; port: number } {
  const match = /^([^:]+):(\d+)$/.exec(address.trim());
  if (!match || Number(match[2]) < 1 || Number(match[2]) > 65535) {
    throw new Error(`startFunctionRuntime: daemonAddress must be "host:port", got "${address}"`);
  }
  return { host: match[1], port: Number(match[2]) };
}

function prefixLines(prefix: string, text: string): string {
  return text.replace(/^(?=.)/gm, prefix);
}
