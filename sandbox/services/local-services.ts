/**
 * Starts the real local stand-ins for AWS services as child processes:
 * - DynamoDB Local: AWS's own jar, shipped in the npm package `amplify-dynamodb-simulator` (needs Java).
 * - fauxqs: SNS, SQS and S3 on one port.
 * Used by the sandbox (`npm start`) and by the test suite's setup alike.
 *
 * Both listen on 127.0.0.1 only (they hold the questions and the askers' e-mail addresses), and both exit when
 * the process that started them goes, even by SIGKILL: each child's standard input is a pipe from this process,
 * and a child that reads end-of-file on it exits.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as net from 'node:net';
import * as path from 'node:path';

export interface LocalService {
  readonly name: string;
  readonly port: number;
  readonly endpoint: string;
  /** The child's pid (tests kill it to check the sandbox notices). */
  readonly pid: number;
  /** The last lines the process printed (stdout and stderr), for a message when it dies. */
  lastOutput(): string;
  /** Called once if the process exits without stop() having been called. */
  onUnexpectedExit(listener: (exit: ServiceExit) => void): void;
  stop(): Promise<void>;
}

export interface ServiceExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  lastOutput: string;
}

/** Enough of a dying process's output to say why, without keeping a long-running sandbox's whole log. */
const OUTPUT_TAIL_CHARS = 4000;

/** Keeps the tail of a child's stdout and stderr, and reports an exit that nobody asked for. */
function watchChild(name: string, child: ChildProcess, port: number) {
  let output = '';
  const append = (d: Buffer | string) => {
    output = (output + d).slice(-OUTPUT_TAIL_CHARS);
  };
  child.stdout?.on('data', append);
  child.stderr?.on('data', append);
  let stopRequested = false;
  const listeners: ((exit: ServiceExit) => void)[] = [];
  child.once('exit', (code, signal) => {
    if (stopRequested) return;
    for (const listener of listeners) listener({ code, signal, lastOutput: output });
  });
  const service: LocalService = {
    name,
    port,
    endpoint: `http://127.0.0.1:${port}`,
    pid: child.pid!,
    lastOutput: () => output,
    onUnexpectedExit: (listener) => void listeners.push(listener),
    stop: () => {
      stopRequested = true;
      return stopChild(child);
    },
  };
  return { service, output: () => output };
}

/** A port that is free right now on 127.0.0.1. */
export function getFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** Fails with a message naming the port when something already listens on it. */
export async function assertPortFree(port: number, what: string): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const server = net.createServer();
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(
        new Error(
          err.code === 'EADDRINUSE'
            ? `${what}: port ${port} is already in use (stop what uses it, or choose another port)`
            : `${what}: cannot listen on port ${port}: ${err.message}`,
        ),
      ),
    );
    server.listen(port, '127.0.0.1', () => server.close(() => resolve()));
  });
}

/**
 * Children still running. If this process exits without stopping them (a second Ctrl-C, an uncaught error), they
 * are killed on the way out rather than left holding their ports.
 */
const liveChildren = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of liveChildren) child.kill('SIGKILL');
});

function track(child: ChildProcess): ChildProcess {
  liveChildren.add(child);
  child.once('exit', () => liveChildren.delete(child));
  return child;
}

function stopChild(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

async function waitForTcp(port: number, child: ChildProcess, what: string, timeoutMs: number, output: () => string) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) {
      throw new Error(`${what} exited with code ${child.exitCode} before it was ready:\n${output()}`);
    }
    const open = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (open) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${what} did not listen on port ${port} within ${timeoutMs} ms:\n${output()}`);
}

/** Throws a message naming Java when it is missing: DynamoDB Local is a Java program. */
export function assertJava(): void {
  const result = spawnSync('java', ['-version'], { encoding: 'utf8' });
  if (result.error || result.status !== 0) {
    throw new Error(
      'Java is needed to run DynamoDB Local but `java` was not found on the PATH. ' +
        'Install Java 17 or newer (Debian/Ubuntu: `sudo apt-get install openjdk-17-jre-headless`).',
    );
  }
}

/**
 * Whether this Java can run a single-file source program (JEP 330): it needs the jdk.compiler module, which a
 * full JDK has and some JRE packages lack.
 */
let sourceLauncherAvailable: boolean | undefined;
function javaCanRunSource(): boolean {
  sourceLauncherAvailable ??= /^jdk\.compiler@/m.test(
    spawnSync('java', ['--list-modules'], { encoding: 'utf8' }).stdout ?? '',
  );
  return sourceLauncherAvailable;
}

/** The launcher that binds DynamoDB Local to 127.0.0.1 and exits with its parent (see the .java file). */
const LOOPBACK_LAUNCHER = path.join(__dirname, 'LoopbackDynamoDbLocal.java');

export async function startDynamoDbLocal(
  options: {
    port?: number;
    log?: (line: string) => void;
    /** Keep the tables in this folder (`-dbPath`; the file is shared-local-instance.db) instead of in memory. */
    dbPath?: string;
  } = {},
): Promise<LocalService> {
  assertJava();
  const port = options.port ?? (await getFreePort());
  if (options.port) await assertPortFree(port, 'DynamoDB Local');
  const emulatorDir = path.join(path.dirname(require.resolve('amplify-dynamodb-simulator/package.json')), 'emulator');
  const jvmOptions = [
    `-Djava.library.path=${path.join(emulatorDir, 'DynamoDBLocal_lib')}`,
    '-Xmx512m',
    // A local emulator lives minutes, not days: C1-only JIT and the serial collector halve its CPU use on a
    // 2-core machine (measured: 8.7 -> 3 ms of CPU per question under load), which the other parts need.
    '-XX:TieredStopAtLevel=1',
    '-XX:+UseSerialGC',
  ];
  // -disableTelemetry: DynamoDB Local otherwise reports to AWS at start (its -help lists the flag).
  // -sharedDb: one database for every access key and region, so any AWS client sees the sandbox's tables (without
  // it, DynamoDB Local keeps a database per key and region):
  // https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/DynamoDBLocal.UsageNotes.html
  // -dbPath keeps the database in a SQLite file in that folder; -inMemory and -dbPath exclude each other.
  const storage = options.dbPath ? ['-dbPath', options.dbPath] : ['-inMemory'];
  const serverArgs = [...storage, '-sharedDb', '-port', String(port), '-disableTelemetry'];
  const loopbackOnly = javaCanRunSource();
  const javaArgs = loopbackOnly
    ? [...jvmOptions, '-cp', `DynamoDBLocal.jar${path.delimiter}DynamoDBLocal_lib/*`, LOOPBACK_LAUNCHER, ...serverArgs]
    : [...jvmOptions, '-jar', 'DynamoDBLocal.jar', ...serverArgs];
  if (!loopbackOnly) {
    options.log?.(
      `  ! DynamoDB Local listens on every interface: this Java cannot run ${path.basename(LOOPBACK_LAUNCHER)} ` +
        '(no jdk.compiler module; install a full JDK, e.g. openjdk-17-jdk-headless)',
    );
  }
  // stdin is a pipe held by this process: the launcher exits when it reads end-of-file (this process is gone).
  const child = track(spawn('java', javaArgs, { cwd: emulatorDir, stdio: ['pipe', 'pipe', 'pipe'] }));
  const { service, output } = watchChild('DynamoDB Local', child, port);
  try {
    await waitForTcp(port, child, 'DynamoDB Local', 30000, output);
  } catch (err) {
    await stopChild(child);
    throw err;
  }
  return service;
}

export async function startFauxqs(
  options: {
    port?: number;
    /** Restore SNS, SQS and S3 from this file at start and keep saving them to it (fauxqs-state.mjs). */
    stateFile?: string;
  } = {},
): Promise<LocalService> {
  const port = options.port ?? (await getFreePort());
  if (options.port) await assertPortFree(port, 'fauxqs (SNS, SQS, S3)');
  const args = [
    path.join(__dirname, 'fauxqs-server.mjs'),
    String(port),
    ...(options.stateFile ? [options.stateFile] : []),
  ];
  // stdin is a pipe held by this process: fauxqs-server.mjs exits when it closes (this process is gone), saving its
  // state first when it keeps one.
  const child = track(
    spawn(process.execPath, args, {
      stdio: ['pipe', 'pipe', 'pipe'],
    }),
  );
  const { service, output } = watchChild('fauxqs', child, port);
  try {
    await waitForTcp(port, child, 'fauxqs', 15000, output);
  } catch (err) {
    await stopChild(child);
    throw err;
  }
  return service;
}
