/**
 * The checker through the real @aws-sdk/client-xray against the sandbox's local X-Ray daemon (its HTTP API,
 * its pagination and filters), fed the recorded segment documents over UDP as the stub answers each probe.
 */
import { randomUUID } from 'node:crypto';
import { startXRayDaemon, type XRayDaemon } from '../../sandbox/xray/daemon';
import { sendDatagrams } from '../../sandbox/xray/udp-client';
import { runCheck } from '../../tools/check-traces/check';
import { fixtureVars, loadTrace, startApiStub, type ApiStub, type Vars } from './support';

const QUESTION_ID = randomUUID();
let daemon: XRayDaemon;
let stub: ApiStub;
const base = Date.now() / 1000;

const vars = (): Vars => fixtureVars(stub, QUESTION_ID, base);

beforeAll(async () => {
  daemon = await startXRayDaemon({ port: 0 });
  const send = (...keys: Parameters<typeof loadTrace>[0][]) =>
    sendDatagrams(
      daemon.address,
      keys.flatMap((key) => loadTrace(key, vars(), base).documents),
    );
  stub = await startApiStub({
    questionId: QUESTION_ID,
    onProbe: async (probe) => {
      // The question's own trace now; its stream trace arrives in pieces a little later, as on AWS.
      if (probe === 'question') {
        await send('question');
        setTimeout(() => void send('questionStreamInProgress'), 200);
        setTimeout(() => void send('questionStream'), 600);
      }
      if (probe === 'click') {
        await send('click', 'otherClick');
        setTimeout(() => void send('clickEnrichment'), 400);
      }
      if (probe === 'invalid') await send('invalidQuestion');
    },
  });
});
afterAll(async () => {
  await stub.close();
  await daemon.stop();
});

test('passes against the local daemon, through the real X-Ray client', async () => {
  const progress: string[] = [];
  const report = await runCheck({
    env: 'test',
    questionsApi: stub.url,
    clicksApi: stub.url,
    mysfitsApi: stub.url,
    endpoint: daemon.endpoint,
    timeoutSeconds: 10,
    pollIntervalMs: 100,
    maxPollIntervalMs: 300,
    onProgress: (line) => progress.push(line),
  });
  expect(report.problems).toEqual([]);
  expect(report.ok).toBe(true);
  expect(report.region).toBe('us-east-1');
  expect(report.flows.find((f) => f.id === 'click')!.traceIds).toEqual([stub.traceIds.click]);
  const nodeNames = report.serviceMap.nodes.map((n) => n.name);
  // The daemon names the remote node after the request URL's host (with its port, here).
  expect(nodeNames).toEqual(expect.arrayContaining(['DynamoDB', 'SNS', 'Firehose', new URL(stub.url).host]));
  expect(progress.length).toBeGreaterThan(2);
});
