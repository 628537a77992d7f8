/**
 * Starts the real local stand-ins for AWS services as child processes:
 * - DynamoDB Local: AWS's own jar, shipped in the npm package `amplify-dynamodb-simulator` (needs Java).
 * - fauxqs: SNS, SQS and S3 on one port.
 * Used by the sandbox (`npm start`) and by the test suite's setup alike.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as net from 'node:net';
import * as path from 'node:path';

export interface LocalService {
  readonly name: string;
  readonly port: number;
  readonly endpoint: string;
  stop(): Promise<void>;
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

export async function startDynamoDbLocal(options: { port?: number } = {}): Promise<LocalService> {
  assertJava();
  const port = options.port ?? (await getFreePort());
  if (options.port) await assertPortFree(port, 'DynamoDB Local');
  const emulatorDir = path.join(path.dirname(require.resolve('amplify-dynamodb-simulator/package.json')), 'emulator');
  let output = '';
  const child = track(
    spawn(
      'java',
      [
        `-Djava.library.path=${path.join(emulatorDir, 'DynamoDBLocal_lib')}`,
        '-Xmx512m',
        // A local emulator lives minutes, not days: C1-only JIT and the serial collector halve its CPU use on a
        // 2-core machine (measured: 8.7 -> 3 ms of CPU per question under load), which the other parts need.
        '-XX:TieredStopAtLevel=1',
        '-XX:+UseSerialGC',
        '-jar',
        path.join(emulatorDir, 'DynamoDBLocal.jar'),
        '-inMemory',
        // One database for every access key and region, so any AWS client sees the sandbox's tables (without it,
        // DynamoDB Local keeps a database per key and region):
        // https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/DynamoDBLocal.UsageNotes.html
        '-sharedDb',
        '-port',
        String(port),
      ],
      { cwd: emulatorDir, stdio: ['ignore', 'pipe', 'pipe'] },
    ),
  );
  child.stdout?.on('data', (d) => (output += d));
  child.stderr?.on('data', (d) => (output += d));
  try {
    await waitForTcp(port, child, 'DynamoDB Local', 30000, () => output);
  } catch (err) {
    await stopChild(child);
    throw err;
  }
  return { name: 'DynamoDB Local', port, endpoint: `http://127.0.0.1:${port}`, stop: () => stopChild(child) };
}

export async function startFauxqs(options: { port?: number } = {}): Promise<LocalService> {
  const port = options.port ?? (await getFreePort());
  if (options.port) await assertPortFree(port, 'fauxqs (SNS, SQS, S3)');
  let output = '';
  const child = track(
    spawn(process.execPath, [path.join(__dirname, 'fauxqs-server.mjs'), String(port)], {
      stdio: ['ignore', 'pipe', 'pipe'],
    }),
  );
  child.stdout?.on('data', (d) => (output += d));
  child.stderr?.on('data', (d) => (output += d));
  try {
    await waitForTcp(port, child, 'fauxqs', 15000, () => output);
  } catch (err) {
    await stopChild(child);
    throw err;
  }
  return { name: 'fauxqs', port, endpoint: `http://127.0.0.1:${port}`, stop: () => stopChild(child) };
}
