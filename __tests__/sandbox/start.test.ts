/**
 * `npm start` (sandbox/start.ts) as a user runs it: progress then URLs, Ctrl-C stops every child process, and a
 * missing Java, a busy port or a bad setting gives a message naming it and a non-zero exit.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { alive, descendants } from '../support/processes';

const REPO = path.resolve(__dirname, '../..');
const TSX_CLI = path.join(REPO, 'node_modules/tsx/dist/cli.mjs');
const STATE_DIR = fs.mkdtempSync(path.join(os.tmpdir(), 'sandbox-state-'));
const FREE_PORTS = { PORT: '0', XRAY_PORT: '0', DYNAMODB_PORT: '0', FAUXQS_PORT: '0', LAMBDA_PORT: '0', SANDBOX_STATE_DIR: STATE_DIR };
const ENDPOINTS_FILE = path.join(STATE_DIR, 'endpoints.json');

interface Run {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

function runStart(env: Record<string, string>): Run {
  let output = '';
  const child = spawn(process.execPath, [TSX_CLI, 'sandbox/start.ts'], {
    cwd: REPO,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, output: () => output, exited };
}

async function waitUntilRunning(run: Run): Promise<string> {
  const deadline = Date.now() + 90_000;
  while (!run.output().includes('The sandbox is running')) {
    if (Date.now() > deadline || run.child.exitCode !== null) throw new Error(`did not start:\n${run.output()}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  return /Website\s+(http:\/\/127\.0\.0\.1:\d+)\//.exec(run.output())![1];
}

test('starts with progress and URLs, and Ctrl-C stops every child process', async () => {
  const run = runStart(FREE_PORTS);
  let children: number[] = [];
  try {
    const website = await waitUntilRunning(run);
    const out = run.output();
    for (const part of ['DynamoDB Local', 'fauxqs', 'X-Ray daemon', 'API gateway', 'Functions', 'Stream poller']) {
      expect(out).toMatch(new RegExp(`✓ ${part}`));
    }
    expect(out).toMatch(/X-Ray console\s+http:\/\/127\.0\.0\.1:\d+\//);
    expect(out).toContain(`${website}/_sandbox/mailbox`);
    // The banner names what any AWS client needs, and tools find the sandbox through the endpoints file.
    expect(out).toMatch(/AWS_ACCESS_KEY_ID=\S+ AWS_SECRET_ACCESS_KEY=\S+ AWS_REGION=us-east-1/);
    expect(out).toMatch(/Lambda API\s+http:\/\/127\.0\.0\.1:\d+/);
    expect(out).toMatch(/Queues\s+http:\/\/\S+mysfits-local-staff-mailbox/);
    const endpoints = JSON.parse(fs.readFileSync(ENDPOINTS_FILE, 'utf8'));
    expect(endpoints).toMatchObject({ url: website, pid: expect.any(Number) });
    expect((await fetch(`${website}/config.json`)).status).toBe(200);
    // Wake one function so its execution environment (a child process) exists too.
    await fetch(`${website}/mysfits`);

    children = descendants(run.child.pid!);
    expect(children.length).toBeGreaterThanOrEqual(3); // sandbox process, java, fauxqs, ...
    run.child.kill('SIGINT'); // only the top process: the sandbox itself must stop the rest
    expect(await run.exited).toBe(0);
    expect(run.output()).toContain('Stopped.');
    expect(fs.existsSync(ENDPOINTS_FILE)).toBe(false);
    await new Promise((r) => setTimeout(r, 500));
    expect(children.filter(alive)).toEqual([]);
  } finally {
    // Whatever the outcome, leave nothing of ours running.
    const ours = run.child.exitCode === null ? [...children, ...descendants(run.child.pid!)] : children;
    for (const pid of ours) if (alive(pid)) process.kill(pid, 'SIGKILL');
    if (run.child.exitCode === null) run.child.kill('SIGKILL');
  }
});

test('a second Ctrl-C exits at once, and still leaves no child process running', async () => {
  const run = runStart(FREE_PORTS);
  let children: number[] = [];
  try {
    const website = await waitUntilRunning(run);
    await fetch(`${website}/mysfits`); // an execution environment exists too
    children = descendants(run.child.pid!);
    expect(children.length).toBeGreaterThanOrEqual(3);
    // Two signals in a row, as an impatient user or a process manager sends them (tsx also relays the first one).
    run.child.kill('SIGINT');
    run.child.kill('SIGINT');
    await run.exited;
    expect(run.output()).toMatch(/again: exiting without waiting|Stopped\./);
    const deadline = Date.now() + 5000;
    while (children.some(alive) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(children.filter(alive)).toEqual([]);
  } finally {
    const ours = run.child.exitCode === null ? [...children, ...descendants(run.child.pid!)] : children;
    for (const pid of ours) if (alive(pid)) process.kill(pid, 'SIGKILL');
    if (run.child.exitCode === null) run.child.kill('SIGKILL');
  }
});

test('a missing Java is named, with a non-zero exit', async () => {
  const emptyBin = fs.mkdtempSync(path.join(os.tmpdir(), 'no-java-'));
  const run = runStart({ ...FREE_PORTS, PATH: emptyBin });
  expect(await run.exited).toBe(1);
  expect(run.output()).toMatch(/Java.*`java` was not found/s);
});

test('a busy port is named, with a non-zero exit', async () => {
  const blocker = net.createServer();
  await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', () => resolve()));
  const { port } = blocker.address() as net.AddressInfo;
  try {
    const run = runStart({ ...FREE_PORTS, PORT: String(port) });
    expect(await run.exited).toBe(1);
    expect(run.output()).toContain(`port ${port} is already in use`);
    expect(run.output()).toContain('API gateway');
    // The Lambda API's port is checked with the others, before anything starts.
    const lambda = runStart({ ...FREE_PORTS, LAMBDA_PORT: String(port) });
    expect(await lambda.exited).toBe(1);
    expect(lambda.output()).toContain(`Lambda API (LAMBDA_PORT): port ${port} is already in use`);
    expect(lambda.output()).not.toContain('✓ DynamoDB Local');
  } finally {
    blocker.close();
  }
});

test('a bad port setting is named, exit 2', async () => {
  const run = runStart({ ...FREE_PORTS, XRAY_PORT: 'two-thousand' });
  expect(await run.exited).toBe(2);
  expect(run.output()).toContain('XRAY_PORT=two-thousand is not a port number');
});
