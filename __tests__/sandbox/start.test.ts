/**
 * `npm start` (sandbox/start.ts) as a user runs it: progress then URLs, Ctrl-C stops every child process, and a
 * missing Java, a busy port or a bad setting gives a message naming it and a non-zero exit.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { listeningAddresses } from '../support/listeners';
import { alive, descendants } from '../support/processes';

const REPO = path.resolve(__dirname, '../..');
/** The arguments `npm start` gives node (package.json's start script), so the test runs what a user runs. */
const START_ARGS: string[] = (() => {
  const [command, ...args] = (
    JSON.parse(fs.readFileSync(path.join(REPO, 'package.json'), 'utf8')).scripts.start as string
  ).split(' ');
  if (command !== 'node') throw new Error(`package.json's start script should run node directly, not ${command}`);
  return args;
})();
const STATE_DIR = fs.mkdtempSync(path.join(os.tmpdir(), 'sandbox-state-'));
const FREE_PORTS = {
  PORT: '0',
  QUESTIONS_API_PORT: '0',
  MYSFITS_API_PORT: '0',
  CLICKS_API_PORT: '0',
  XRAY_PORT: '0',
  DYNAMODB_PORT: '0',
  FAUXQS_PORT: '0',
  LAMBDA_PORT: '0',
  SANDBOX_STATE_DIR: STATE_DIR,
};
const ENDPOINTS_FILE = path.join(STATE_DIR, 'endpoints.json');

interface Run {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

/**
 * `npm start` as package.json runs it: one node process with the tsx loader. (The tsx CLI would run the script in a
 * second process and relay signals to it with a 30 ms handshake, which a loaded machine misses.)
 */
function runStart(env: Record<string, string>, args: string[] = []): Run {
  let output = '';
  const child = spawn(process.execPath, [...START_ARGS, ...args], {
    cwd: REPO,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  // 'exit' can come before the last of the output has been read from the pipes: wait for both streams to end too
  // (at most 2 s, in case a descendant still holds them open).
  const drained = Promise.all(
    [child.stdout!, child.stderr!].map((s) => new Promise((resolve) => s.once('end', resolve))),
  );
  const exited = new Promise<number | null>((resolve) =>
    child.once(
      'exit',
      (code) => void Promise.race([drained, new Promise((r) => setTimeout(r, 2000))]).then(() => resolve(code)),
    ),
  );
  return { child, output: () => output, exited };
}

/** The website's origin and the mysfits API's, from the banner. */
async function waitUntilRunning(run: Run): Promise<{ website: string; mysfitsApi: string }> {
  const deadline = Date.now() + 90_000;
  while (!run.output().includes('The sandbox is running')) {
    if (Date.now() > deadline || run.child.exitCode !== null) throw new Error(`did not start:\n${run.output()}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  const banner = run.output().slice(run.output().indexOf('The sandbox is running'));
  return {
    website: /Website\s+(http:\/\/127\.0\.0\.1:\d+)\//.exec(banner)![1],
    mysfitsApi: /Mysfits API\s+GET (http:\/\/127\.0\.0\.1:\d+)\/mysfits/.exec(banner)![1],
  };
}

test('starts with progress and URLs, and Ctrl-C stops every child process', async () => {
  const run = runStart(FREE_PORTS);
  let children: number[] = [];
  try {
    const { website, mysfitsApi } = await waitUntilRunning(run);
    const out = run.output();
    // The website first, then each API on its own origin.
    const banner = out.slice(out.indexOf('The sandbox is running'));
    expect(banner.split('\n')[1]).toMatch(/^\s+Website\s+http/);
    const origins = [
      /Questions API\s+POST (\S+)\/questions/,
      /Mysfits API\s+GET (\S+)\/mysfits/,
      /Clicks API\s+PUT (\S+)\/clicks/,
    ].map((pattern) => pattern.exec(banner)![1]);
    expect(new Set([website, ...origins]).size).toBe(4);
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
    // Each API's own origin, as the banner prints it (tools such as check-traces --env local read them here).
    expect(endpoints).toMatchObject({
      url: website,
      apis: { questions: origins[0], mysfits: origins[1], clicks: origins[2] },
      pid: expect.any(Number),
    });
    expect((await fetch(`${website}/config.json`)).status).toBe(200);
    expect(await (await fetch(`${website}/config.json`)).json()).toMatchObject({ mysfitsApiEndpoint: mysfitsApi });
    // Wake one function so its execution environment (a child process) exists too.
    expect((await fetch(`${mysfitsApi}/mysfits`)).status).toBe(200);

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
    const { mysfitsApi } = await waitUntilRunning(run);
    await fetch(`${mysfitsApi}/mysfits`); // an execution environment exists too
    children = descendants(run.child.pid!);
    expect(children.length).toBeGreaterThanOrEqual(3);
    // Two signals in a row, as an impatient user or a process manager sends them.
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

test('kill -9 of the sandbox process leaves no child running and no port bound', async () => {
  const run = runStart(FREE_PORTS);
  let children: number[] = [];
  try {
    const { mysfitsApi } = await waitUntilRunning(run);
    expect((await fetch(`${mysfitsApi}/mysfits`)).status).toBe(200); // an execution environment exists too
    const ports = [...run.output().matchAll(/http:\/\/127\.0\.0\.1:(\d+)/g)].map((m) => Number(m[1]));
    const unique = [...new Set(ports)];
    expect(unique.length).toBeGreaterThanOrEqual(4); // gateway, X-Ray, DynamoDB Local, fauxqs
    children = descendants(run.child.pid!);
    expect(children.length).toBeGreaterThanOrEqual(3);
    run.child.kill('SIGKILL'); // no handler runs: each child must notice its parent is gone
    await run.exited;
    const deadline = Date.now() + 5000;
    const left = () => ({
      running: children.filter(alive),
      bound: unique.filter((p) => listeningAddresses(p).length > 0),
    });
    while ((left().running.length || left().bound.length) && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 100));
    expect(left()).toEqual({ running: [], bound: [] });
  } finally {
    for (const pid of children) if (alive(pid)) process.kill(pid, 'SIGKILL');
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
    const run = runStart({ ...FREE_PORTS, CLICKS_API_PORT: String(port) });
    expect(await run.exited).toBe(1);
    expect(run.output()).toContain(`port ${port} is already in use`);
    expect(run.output()).toContain('clicks API (CLICKS_API_PORT)');
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

test('an unknown option is named, exit 2', async () => {
  const run = runStart(FREE_PORTS, ['--presist']);
  expect(await run.exited).toBe(2);
  expect(run.output()).toContain("unknown option '--presist'");
});

test(
  "--persist with a folder that is not the sandbox's is " + 'refused, naming the folder, before anything starts',
  async () => {
    const foreign = fs.mkdtempSync(path.join(os.tmpdir(), 'not-sandbox-state-'));
    fs.writeFileSync(path.join(foreign, 'thesis.tex'), '');
    try {
      const run = runStart(FREE_PORTS, ['--persist', foreign]);
      expect(await run.exited).toBe(1);
      expect(run.output()).toContain(`Kept state: ${foreign} is not a sandbox state folder`);
      expect(run.output()).not.toContain('✓ DynamoDB Local');
      // SANDBOX_PERSIST says the same.
      const fromEnvironment = runStart({ ...FREE_PORTS, SANDBOX_PERSIST: foreign });
      expect(await fromEnvironment.exited).toBe(1);
      expect(fromEnvironment.output()).toContain(`Kept state: ${foreign} is not a sandbox state folder`);
    } finally {
      fs.rmSync(foreign, { recursive: true, force: true });
    }
  },
);
