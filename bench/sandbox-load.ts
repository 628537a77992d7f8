/**
 * Benchmark (not a test): drives a fresh sandbox on loopback with a bounded load and prints
 * - POST /questions throughput and p50/p99 latency at 50 concurrent connections (autocannon, 10 s by default);
 * - the median time from a POST to its e-mail on the mailbox queue, at rest and under that load.
 * Targets: p99 <= 100 ms; question to mailbox <= 1 s. Figures are printed beside them; nothing asserts.
 *
 * Usage: npx tsx bench/sandbox-load.ts [--duration 10] [--connections 50] [--function-concurrency 4] [--warmup 5]
 */
import autocannon from 'autocannon';
import { FREE_PORTS, startSandbox, type Sandbox } from '../sandbox/index';
import { QUESTIONS_STREAM_MAPPING } from '../system/definition';

const TARGET_P99_MS = 100;
const TARGET_MAILBOX_MS = 1000;

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  if (i === -1) return fallback;
  const value = Number(process.argv[i + 1]);
  if (!Number.isFinite(value) || value <= 0) {
    console.error(`--${name} must be a positive number, got ${process.argv[i + 1]}`);
    process.exit(2);
  }
  return value;
}

const median = (values: number[]) => {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

interface MailboxEntry {
  body: string;
  sentTimestamp: number;
}

/** SentTimestamp of every message on the mailbox queue (fauxqs inspection: nothing is consumed). */
async function mailboxTimes(sandbox: Sandbox): Promise<MailboxEntry[]> {
  const queueName = sandbox.resources.mailboxQueueUrl.split('/').pop()!;
  const res = await fetch(`${sandbox.fauxqsEndpoint}/_fauxqs/queues/${queueName}`);
  const queue = (await res.json()) as {
    messages: { ready: MailboxEntry[]; delayed: MailboxEntry[]; inflight: { message: MailboxEntry }[] };
  };
  return [...queue.messages.ready, ...queue.messages.delayed, ...queue.messages.inflight.map((m) => m.message)];
}

async function postMarked(sandbox: Sandbox, marker: string): Promise<number> {
  const sentAt = Date.now();
  const res = await fetch(`${sandbox.apis.questions}/questions`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ email: 'bench@example.com', questionText: `Benchmark question ${marker}` }),
  });
  if (res.status !== 201) throw new Error(`POST /questions answered ${res.status}: ${await res.text()}`);
  return sentAt;
}

/** Waits until every marker is on the queue (or the timeout), then returns POST -> queue times in ms. */
async function deliveryTimes(sandbox: Sandbox, posted: Map<string, number>, timeoutMs: number): Promise<number[]> {
  const deadline = Date.now() + timeoutMs;
  let found = new Map<string, number>();
  while (Date.now() < deadline) {
    const messages = await mailboxTimes(sandbox);
    found = new Map();
    for (const [marker, sentAt] of posted) {
      const message = messages.find((m) => m.body.includes(marker));
      if (message) found.set(marker, message.sentTimestamp - sentAt);
    }
    if (found.size === posted.size) break;
    await new Promise((r) => setTimeout(r, 250));
  }
  if (found.size < posted.size)
    console.log(`  ! ${posted.size - found.size} of ${posted.size} sampled questions never reached the mailbox`);
  return [...found.values()];
}

async function main(): Promise<void> {
  const duration = arg('duration', 10);
  const connections = arg('connections', 50);
  const functionConcurrency = arg('function-concurrency', 4);
  const warmup = arg('warmup', 5);
  console.log('Starting a sandbox on free ports…');
  // The load comes from one address: the per-client rate limit (a WAF rule in front of AWS) would cap it.
  const sandbox = await startSandbox({ ...FREE_PORTS, functionConcurrency, questionsRateLimit: false });
  try {
    // Warm-up: every execution environment is started and DynamoDB Local's JVM has compiled its hot paths
    // (cold starts and JIT warm-up are not the steady-state figure).
    await autocannon({
      url: `${sandbox.apis.questions}/questions`,
      method: 'POST',
      connections,
      // The load generator gets a thread of its own, like a separate client: on the sandbox's event loop it
      // would queue behind the gateway, the X-Ray daemon and the poller, and inflate the latencies it measures.
      workers: 1,
      duration: warmup,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'warm@example.com', questionText: 'Warm-up question' }),
    });

    // At rest: questions one at a time.
    const atRest = new Map<string, number>();
    for (let i = 0; i < 10; i++) {
      const marker = `rest-${i}-${Date.now()}`;
      atRest.set(marker, await postMarked(sandbox, marker));
      await new Promise((r) => setTimeout(r, 300));
    }
    const restTimes = await deliveryTimes(sandbox, atRest, 15_000);

    // Under load: autocannon at N connections, plus marked questions every 250 ms for the delivery time.
    const underLoad = new Map<string, number>();
    let sampling = true;
    const sampler = (async () => {
      for (let i = 0; sampling; i++) {
        const marker = `load-${i}-${Date.now()}`;
        underLoad.set(marker, await postMarked(sandbox, marker));
        await new Promise((r) => setTimeout(r, 250));
      }
    })();
    const result = await autocannon({
      url: `${sandbox.apis.questions}/questions`,
      method: 'POST',
      connections,
      workers: 1,
      duration,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'load@example.com', questionText: 'What do mysfits eat?' }),
    });
    sampling = false;
    await sampler;
    const loadTimes = await deliveryTimes(sandbox, underLoad, 60_000);

    const mark = (ok: boolean) => (ok ? 'meets target' : 'MISSES target');
    const restMedian = median(restTimes);
    const loadMedian = median(loadTimes);
    const outcomes = `${result['2xx']} x 2xx, ${result.non2xx} non-2xx, ${result.errors} errors, ${result.timeouts} timeouts`;
    const load = `${connections} connections, ${duration} s, ${functionConcurrency} environments per function`;
    const batchingWindow = QUESTIONS_STREAM_MAPPING.maximumBatchingWindowInSeconds;
    const mailboxTarget = (medianMs: number, n: number) =>
      `${medianMs.toFixed(0)} ms (n=${n})   target <= ${TARGET_MAILBOX_MS} ms: ${mark(medianMs <= TARGET_MAILBOX_MS)}`;
    console.log(`
POST /questions, ${load} (loopback, ${outcomes})
  throughput       ${result.requests.average.toFixed(0)} req/s (total ${result.requests.total})
  latency p50      ${result.latency.p50} ms
  latency p99      ${result.latency.p99} ms   target <= ${TARGET_P99_MS} ms: ${mark(result.latency.p99 <= TARGET_P99_MS)}
Question -> mailbox queue (median of sampled questions; the stream mapping's batching window is ${batchingWindow} s)
  at rest          ${mailboxTarget(restMedian, restTimes.length)}
  under load       ${mailboxTarget(loadMedian, loadTimes.length)}
`);
  } finally {
    await sandbox.stop();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
