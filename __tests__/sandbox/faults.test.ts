/**
 * A part of the sandbox that dies or hangs is noticed (one sandbox start, run in this process): a function's
 * execution environment killed is named with its pid and replaced; fauxqs stopped (SIGSTOP) is named as not
 * answering and again when resumed; fauxqs killed is named with its last output and restarted with its topic,
 * queues and bucket; DynamoDB Local killed is named and the sandbox stops as a whole (its `failed` settles).
 */
import * as fs from 'node:fs';
import { randomUUID } from 'node:crypto';
import * as net from 'node:net';
import { FREE_PORTS, startSandbox, type Sandbox } from '../../sandbox/index';
import { alive, descendants } from '../support/processes';

let sandbox: Sandbox;
const lines: string[] = [];

beforeAll(async () => {
  sandbox = await startSandbox({
    ...FREE_PORTS,
    functionConcurrency: 1,
    log: (line) => lines.push(line),
  });
}, 120_000);

afterAll(async () => {
  await sandbox?.stop();
});

/** This process's child whose command line contains `marker` (the sandbox runs in this process). */
function childPid(marker: string): number {
  const pid = descendants(process.pid).find((p) => {
    try {
      return fs.readFileSync(`/proc/${p}/cmdline`, 'utf8').includes(marker) && alive(p);
    } catch {
      return false;
    }
  });
  if (!pid) throw new Error(`no child process running ${marker}`);
  return pid;
}

/** The first log line (after `from`) matching `pattern`, waiting up to `timeoutMs`. */
async function logLine(pattern: RegExp, from: number, timeoutMs: number): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = lines.slice(from).find((l) => pattern.test(l));
    if (found) return found;
    if (Date.now() > deadline)
      throw new Error(`no log line like ${pattern} within ${timeoutMs} ms:\n${lines.slice(from).join('\n')}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

async function ask(marker: string): Promise<number> {
  const res = await fetch(`${sandbox.apis.questions}/questions`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ email: 'faults@example.com', questionText: marker }),
  });
  await res.arrayBuffer();
  return res.status;
}

async function mailed(marker: string, timeoutMs = 20_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const res = await fetch(`${sandbox.url}/_sandbox/mailbox.json`);
    if (res.ok && JSON.stringify(await res.json()).includes(marker)) return true;
    await new Promise((r) => setTimeout(r, 200));
  }
  return false;
}

test('a killed execution environment is named with its pid at once, and the next call gets a new one', async () => {
  expect((await fetch(`${sandbox.apis.mysfits}/mysfits`)).status).toBe(200);
  const from = lines.length;
  const pid = childPid('bootstrap.js');
  process.kill(pid, 'SIGKILL');
  const line = await logLine(new RegExp(`execution environment \\(pid ${pid}\\) was killed by SIGKILL`), from, 1000);
  expect(line).toContain('[mysfits-'); // prefixed with the function's name
  expect((await fetch(`${sandbox.apis.mysfits}/mysfits`)).status).toBe(200);
});

test('fauxqs stopped (SIGSTOP) is named as not answering, then as answering again when resumed', async () => {
  const pid = childPid('fauxqs-server.mjs');
  const from = lines.length;
  process.kill(pid, 'SIGSTOP');
  try {
    await logLine(/fauxqs \(SNS, SQS, S3\) on port \d+ is not answering/, from, 5000);
  } finally {
    process.kill(pid, 'SIGCONT');
  }
  await logLine(/fauxqs \(SNS, SQS, S3\) on port \d+ answers again/, from, 5000);
  const marker = `after-resume-${randomUUID()}`;
  expect(await ask(marker)).toBe(201);
  expect(await mailed(marker)).toBe(true);
}, 60_000);

test('fauxqs killed is named with its last output in a second, restarted with its topic, queues, bucket', async () => {
  const pid = childPid('fauxqs-server.mjs');
  const from = lines.length;
  process.kill(pid, 'SIGKILL');
  const named = await logLine(/fauxqs \(SNS, SQS, S3\) was killed by SIGKILL; its last output/, from, 1000);
  expect(named).toMatch(/"ready":true/); // the last thing it printed
  await logLine(/✓ fauxqs restarted on http:\/\/127\.0\.0\.1:\d+/, from, 20_000);
  expect(childPid('fauxqs-server.mjs')).not.toBe(pid);
  // The topic, the mailbox queue and its subscription are back under the same names.
  const marker = `after-restart-${randomUUID()}`;
  expect(await ask(marker)).toBe(201);
  expect(await mailed(marker)).toBe(true);
}, 60_000);

test('DynamoDB Local killed is named with its last output and the sandbox stops as a whole', async () => {
  const pid = childPid('DynamoDBLocal');
  const from = lines.length;
  const port = Number(new URL(sandbox.url).port);
  process.kill(pid, 'SIGKILL');
  await logLine(/DynamoDB Local was killed by SIGKILL; its last output/, from, 1000);
  const error = await Promise.race([
    sandbox.failed,
    new Promise<never>((_, reject) => setTimeout(() => reject(new Error('sandbox.failed did not settle')), 20_000)),
  ]);
  expect(error.message).toMatch(
    /DynamoDB Local was killed by SIGKILL[\s\S]*DynamoDB Local listening on 127\.0\.0\.1 only/,
  );
  expect(error.message).toContain('the sandbox stops');
  // Stopped as a whole: the gateway no longer listens, and no child is left.
  const refused = await new Promise<boolean>((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => resolve(true));
  });
  expect(refused).toBe(true);
  const deadline = Date.now() + 5000;
  const left = () =>
    descendants(process.pid).filter((p) => alive(p) && !/esbuild/.test(fs.readFileSync(`/proc/${p}/cmdline`, 'utf8')));
  while (left().length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  expect(left()).toEqual([]);
}, 60_000);
