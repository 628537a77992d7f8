/** One sandbox per describe block, and the checker run against it: shared by the X-Ray SDK and OpenTelemetry suites. */
import { FREE_PORTS, startSandbox, type Sandbox, type SandboxOptions } from '../../sandbox';
import { runCheck, type CheckReport } from '../../tools/check-traces/check';

const SANDBOX_START_MS = 90_000;
/**
 * AWS-sized budgets do not fit a sandbox sharing 2 cores with other suites (a cold DynamoDB Local write alone can
 * take 1.3 s); slow nodes are tested on recorded traces instead.
 */
export const SANDBOX_LATENCY_FACTOR = 10;

/** A sandbox on free ports started before the block's tests and stopped after them. */
export function withSandbox(options: Omit<SandboxOptions, keyof typeof FREE_PORTS> = {}) {
  const holder: { sandbox?: Sandbox } = {};
  beforeAll(async () => {
    holder.sandbox = await startSandbox({ ...FREE_PORTS, ...options });
  }, SANDBOX_START_MS);
  afterAll(async () => {
    await holder.sandbox?.stop();
  }, 30_000);
  return holder;
}

export const checkSandbox = (sandbox: Sandbox, timeoutSeconds: number) =>
  runCheck({
    env: 'local',
    questionsApi: sandbox.apis.questions,
    clicksApi: sandbox.apis.clicks,
    mysfitsApi: sandbox.apis.mysfits,
    endpoint: sandbox.xrayEndpoint,
    timeoutSeconds,
    latencyBudgetFactor: SANDBOX_LATENCY_FACTOR,
    pollIntervalMs: 250,
    maxPollIntervalMs: 1000,
  });

export const flow = (report: CheckReport, id: string) => report.flows.find((f) => f.id === id)!;

/** How the check fails with the hangingException switch on, whichever tracing build the functions run. */
export function expectHangingExceptionFailure(report: CheckReport): void {
  expect(report.exitCode).toBe(1);
  expect(report.problems).toContainEqual(expect.stringMatching(/^probe question: POST .* answered 500/));
  expect(flow(report, 'question').problems).toContainEqual(
    expect.stringMatching(/^fault at mysfits-local-post-question › .*hangingException/),
  );
}
