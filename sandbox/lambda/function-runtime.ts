/**
 * A Lambda-like function runtime for the sandbox and the tests: runs a bundled handler (the very file the
 * stacks deploy) in child-process execution environments, and records what the Lambda service records in
 * X-Ray under Active tracing: an `AWS::Lambda` segment per invocation (child of the caller's segment when a
 * trace header is given, a new trace otherwise) and an `AWS::Lambda::Function` segment under it, whose id is
 * the `Parent` in the handler's `_X_AMZN_TRACE_ID`, so the handler's own subsegments hang under it.
 * Why one file: the execution-environment pool, the invocation and the Lambda segments it records share one
 * lifecycle (init, invoke, retire on reload); each function in it is short, split apart they would pass state around.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import * as dgram from 'node:dgram';
import * as path from 'node:path';
import * as AWSXRay from 'aws-xray-sdk-core';
import { bundleHandlerFor, type TracingBackend } from '../../build/tracing-variant';
import { FUNCTIONS, LAMBDA_RUNTIME, type FunctionDefinition, type FunctionKey } from '../../system/definition';
import { endLine, reportLine, startLine } from './platform-log';
import type { SegmentDocument } from '../../system/segment-document';

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
  /** The directory holding the bundle's `index.js`; default: the handler bundled as deployed (build/bundle.ts). */
  taskRoot?: string;
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
  /**
   * A new bundle is in `taskRoot` (default: the same directory, whose `index.js` was replaced): every execution
   * environment is retired, idle ones at once and busy ones once their invocation ends (never mid-invocation), so
   * the next invocation starts a fresh one on the new code, with an Init Duration, as after a new Lambda version.
   */
  reload(taskRoot?: string): void;
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
  /** A reload came while it was busy: it finishes its invocation on the old code, then goes. */
  retired: boolean;
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

type Outcome = { ok: boolean; result?: unknown; error?: InvokeResult['error']; maxRssKb?: number };

export async function startFunctionRuntime(options: FunctionRuntimeOptions): Promise<FunctionRuntime> {
  const definition = FUNCTIONS[options.key];
  if (!definition) throw new Error(`startFunctionRuntime: unknown function key "${options.key}"`);
  const concurrency = options.concurrency ?? 4;
  if (!Number.isInteger(concurrency) || concurrency < 1) {
    throw new Error(`startFunctionRuntime: concurrency must be a positive integer, got ${concurrency}`);
  }
  const taskRoot = options.taskRoot ?? bundleHandlerFor(options.key, options.tracingBackend);
  return new LocalFunctionRuntime(options, taskRoot, concurrency);
}

/** The variables every execution environment gets: the function's own, then Lambda's reserved ones. */
function executionEnvironmentVariables(
  options: FunctionRuntimeOptions,
  taskRoot: string,
  daemon: { host: string; port: number },
): NodeJS.ProcessEnv {
  return {
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
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(FUNCTIONS[options.key].memorySize),
    AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/${options.functionName}`,
    AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
    AWS_XRAY_CONTEXT_MISSING: 'LOG_ERROR',
    AWS_XRAY_DAEMON_ADDRESS: `${daemon.host}:${daemon.port}`,
    NODE_OPTIONS: '',
  };
}

/** Starts one execution environment: a child process that loads the bundle in `taskRoot` (its init phase). */
function forkEnvironment(
  variables: NodeJS.ProcessEnv,
  taskRoot: string,
  onOutput: (text: string) => void,
): ExecutionEnvironment {
  const child = fork(BOOTSTRAP, [], {
    env: { ...variables, AWS_LAMBDA_LOG_STREAM_NAME: `local/[$LATEST]${randomUUID().replace(/-/g, '')}` },
    execArgv: [],
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    cwd: taskRoot,
  });
  const env: ExecutionEnvironment = {
    child,
    fresh: true,
    dead: false,
    retired: false,
    killedByRuntime: false,
    init: undefined as never,
  };
  const output = (text: string) => {
    onOutput(text);
    env.tap?.(text);
  };
  child.stdout?.setEncoding('utf8').on('data', output);
  child.stderr?.setEncoding('utf8').on('data', output);
  env.init = new Promise((resolve) => {
    child.on('message', (message: ChildMessage) => {
      if (message.type === 'init') resolve(message);
    });
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
  return env;
}

function kill(env: ExecutionEnvironment) {
  env.dead = true;
  env.killedByRuntime = true;
  if (env.child.exitCode === null && env.child.signalCode === null) env.child.kill('SIGKILL');
}

/** Runs one invocation in `env`: its answer, or a timeout / exit of the environment as Lambda reports them. */
function runInvocation(
  env: ExecutionEnvironment,
  message: { requestId: string; event: unknown; traceHeader: string; deadlineMs: number },
  timeoutMs: number,
): Promise<Outcome> {
  return new Promise((resolve) => {
    const done = (outcome: Outcome) => {
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

/** One invocation's trace: the Lambda service's segment and the function's segment under it. */
interface InvocationTrace {
  traceId: string;
  sampled: boolean;
  service?: SegmentDocument;
  fn?: SegmentDocument;
}

class LocalFunctionRuntime implements FunctionRuntime {
  private readonly definition: FunctionDefinition;
  private readonly timeoutMs: number;
  private readonly traced: boolean;
  private readonly daemon: { host: string; port: number };
  private readonly socket?: dgram.Socket;
  private readonly logSink: (text: string) => void;
  private variables: NodeJS.ProcessEnv;
  private readonly environments: ExecutionEnvironment[] = [];
  private readonly idle: ExecutionEnvironment[] = [];
  private readonly waiting: ((env: ExecutionEnvironment) => void)[] = [];
  private stopped = false;
  private stopping?: Promise<void>;

  constructor(
    private readonly options: FunctionRuntimeOptions,
    private taskRoot: string,
    private readonly concurrency: number,
  ) {
    this.definition = FUNCTIONS[options.key];
    this.timeoutMs = (options.timeoutSeconds ?? this.definition.timeoutSeconds) * 1000;
    this.traced = options.tracing === 'Active';
    this.daemon = parseDaemonAddress(options.daemonAddress ?? '127.0.0.1:2000');
    this.socket = this.traced ? dgram.createSocket('udp4') : undefined;
    this.socket?.unref();
    this.logSink =
      options.logSink ?? ((text: string) => process.stderr.write(prefixLines(`[${options.functionName}] `, text)));
    this.variables = executionEnvironmentVariables(options, taskRoot, this.daemon);
  }

  reload(taskRoot: string = this.taskRoot): void {
    if (this.stopped) return;
    this.taskRoot = taskRoot;
    this.variables = executionEnvironmentVariables(this.options, taskRoot, this.daemon);
    // Idle environments go at once; busy ones finish their invocation first (release retires them).
    for (const env of this.environments) env.retired = true;
    for (const env of this.idle.splice(0)) kill(env);
  }

  private spawnEnvironment(): ExecutionEnvironment {
    let lastOutput = '';
    const env = forkEnvironment(this.variables, this.taskRoot, (text) => {
      lastOutput = (lastOutput + text).slice(-OUTPUT_TAIL_CHARS);
      this.logSink(text);
    });
    env.child.once('exit', (code, signal) => {
      if (!env.killedByRuntime && !this.stopped) {
        // Said at once and with its last words; the next invocation gets a new environment, as in Lambda.
        const how = signal ? `was killed by ${signal}` : `exited with code ${code}`;
        const tail = lastOutput.trim()
          ? `; its last output:\n${lastOutput.trim().split('\n').slice(-10).join('\n')}`
          : '';
        this.logSink(`execution environment (pid ${env.child.pid}) ${how}${tail}\n`);
      }
      this.forget(env);
    });
    this.environments.push(env);
    return env;
  }

  /** An environment is gone: its slot is free, and a waiting invocation may now spawn its own environment. */
  private forget(env: ExecutionEnvironment) {
    env.dead = true;
    env.onExit?.();
    const i = this.environments.indexOf(env);
    if (i >= 0) this.environments.splice(i, 1);
    const j = this.idle.indexOf(env);
    if (j >= 0) this.idle.splice(j, 1);
    const next = this.waiting.shift();
    if (next && !this.stopped) next(this.acquireNow()!);
  }

  private acquireNow(): ExecutionEnvironment | undefined {
    const ready = this.idle.pop();
    if (ready) return ready;
    if (this.environments.length < this.concurrency) return this.spawnEnvironment();
    return undefined;
  }

  private acquire(): Promise<ExecutionEnvironment> {
    return new Promise((resolve) => {
      const env = this.acquireNow();
      if (env) resolve(env);
      else this.waiting.push(resolve);
    });
  }

  private release(env: ExecutionEnvironment) {
    if (env.dead || this.stopped) return;
    // Retired by a reload while it worked: it served its invocation on the old code and goes now.
    if (env.retired) return kill(env);
    const next = this.waiting.shift();
    if (next) next(env);
    else this.idle.push(env);
  }

  private emit(document: object) {
    if (!this.socket) return;
    const message = Buffer.from(`{"format":"json","version":1}\n${JSON.stringify(document)}`);
    this.socket.send(message, this.daemon.port, this.daemon.host, () => undefined);
  }

  async invoke(event: unknown, invokeOptions: { traceHeader?: string } = {}): Promise<InvokeResult> {
    if (this.stopped) throw new Error(`function runtime for ${this.options.functionName} is stopped`);
    const startMs = Date.now();
    const requestId = randomUUID();
    const trace = this.beginTrace(invokeOptions.traceHeader, startMs);
    const env = await this.acquire();
    const init = await env.init;
    const coldStart = env.fresh;
    env.fresh = false;
    if (trace.service) {
      trace.fn = lambdaFunctionSegment(
        this.options.functionName,
        trace.traceId,
        trace.service.id,
        coldStart ? init.startMs : Date.now(),
      );
      if (coldStart) trace.fn.subsegments = [phase('Initialization', init.startMs, init.endMs, init.error)];
    }
    const { outcome, log } = await this.logInvocation(
      env,
      { requestId, trace, coldInit: coldStart ? init : undefined },
      () => {
        if (init.ok) return this.runHandler(env, requestId, event, trace);
        // As in Lambda: an init failure fails the invocation and the environment is thrown away.
        kill(env);
        return Promise.resolve({ ok: false, error: init.error });
      },
    );
    this.release(env);
    const endMs = Date.now();
    this.endTrace(trace, outcome, endMs);
    const { maxRssKb: _maxRssKb, ...answer } = outcome;
    return { ...answer, traceId: trace.traceId, durationMs: endMs - startMs, requestId, log };
  }

  private beginTrace(traceHeader: string | undefined, startMs: number): InvocationTrace {
    const caller = traceHeader ? AWSXRay.utils.processTraceData(traceHeader) : {};
    const traceId = caller.root ?? newTraceId();
    const sampled = this.traced && caller.sampled !== '0';
    const service = sampled ? lambdaSegment(this.options.functionName, traceId, caller.parent, startMs) : undefined;
    return { traceId, sampled, service };
  }

  private runHandler(
    env: ExecutionEnvironment,
    requestId: string,
    event: unknown,
    trace: InvocationTrace,
  ): Promise<Outcome> {
    const parentId = trace.fn?.id ?? randomBytes(8).toString('hex');
    const traceHeader = `Root=${trace.traceId};Parent=${parentId};Sampled=${trace.sampled ? 1 : 0}`;
    return runInvocation(
      env,
      { requestId, event, traceHeader, deadlineMs: Date.now() + this.timeoutMs },
      this.timeoutMs,
    );
  }

  /** Runs the invocation between Lambda's START and END/REPORT lines, collecting its log. */
  private async logInvocation(
    env: ExecutionEnvironment,
    invocation: { requestId: string; trace: InvocationTrace; coldInit?: { startMs: number; endMs: number } },
    run: () => Promise<Outcome>,
  ): Promise<{ outcome: Outcome; log: string }> {
    const { requestId, trace, coldInit } = invocation;
    let log = '';
    env.tap = (text) => (log += text);
    const platformLine = (line: string) => {
      this.logSink(line);
      log += line;
    };
    platformLine(startLine(requestId));
    const handlerStart = performance.now();
    const outcome = await run();
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
        memorySizeMb: this.definition.memorySize,
        maxMemoryUsedMb: (outcome.maxRssKb ?? 0) / 1024,
        initDurationMs: coldInit ? coldInit.endMs - coldInit.startMs : undefined,
        xray: trace.service
          ? { traceId: trace.traceId, segmentId: trace.service.id, sampled: trace.sampled }
          : undefined,
      }),
    );
    return { outcome, log };
  }

  /** Ends and sends the invocation's two segments; a function error is a fault on the function's segment. */
  private endTrace(trace: InvocationTrace, outcome: Outcome, endMs: number) {
    if (!trace.service || !trace.fn) return;
    trace.fn.end_time = seconds(endMs);
    if (!outcome.ok && outcome.error) {
      trace.fn.fault = true;
      trace.fn.cause = {
        working_directory: this.taskRoot,
        exceptions: [
          { id: randomBytes(8).toString('hex'), message: outcome.error.errorMessage, type: outcome.error.errorType },
        ],
      };
    }
    trace.service.end_time = seconds(endMs);
    this.emit(trace.fn);
    this.emit(trace.service);
  }

  stop(): Promise<void> {
    this.stopping ??= this.stopAll();
    return this.stopping;
  }

  private async stopAll() {
    this.stopped = true;
    const exits = this.environments.map(
      (env) =>
        new Promise<void>((resolve) =>
          env.child.exitCode !== null || env.child.signalCode !== null
            ? resolve()
            : env.child.once('exit', () => resolve()),
        ),
    );
    for (const env of [...this.environments]) kill(env);
    await Promise.all(exits);
    this.socket?.close();
  }
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
