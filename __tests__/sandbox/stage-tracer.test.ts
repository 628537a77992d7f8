/**
 * The stage tracer against the real local daemon: whatever trace header a client sends, the stage's segment is
 * one the daemon keeps (a malformed Parent or Root must not turn it into a document the daemon drops).
 */
import type { IncomingMessage } from 'node:http';
import { startStageTracer, type StageTracer } from '../../sandbox/tracing/stage-tracer';
import { startXRayDaemon, type XRayDaemon } from '../../sandbox/xray/daemon';

let daemon: XRayDaemon;
let tracer: StageTracer;

beforeAll(async () => {
  daemon = await startXRayDaemon({ port: 0 });
  tracer = startStageTracer(daemon.address);
});

afterAll(async () => {
  await tracer?.close();
  await daemon?.stop();
});

beforeEach(() => daemon.store.clear());

const STAGE = {
  segmentName: 'mysfits-local-questions-api/local',
  restApiId: 'abcdefghij',
  stage: 'local',
  accountId: '000000000000',
};
const ROOT = '1-5759e988-bd862e3fe1be46a994272794';

function request(traceHeader: string): IncomingMessage {
  return {
    headers: { host: '127.0.0.1:3000', 'x-amzn-trace-id': traceHeader },
    method: 'POST',
    url: '/questions',
    socket: { remoteAddress: '127.0.0.1' },
  } as unknown as IncomingMessage;
}

async function stageSegmentFor(traceHeader: string) {
  const span = tracer.begin(request(traceHeader), 'request-1', STAGE);
  span.end(200, 2);
  const deadline = Date.now() + 5000;
  while (daemon.store.stats().received + daemon.store.stats().malformed < 1 && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 10));
  }
  const stats = daemon.store.stats();
  expect({ malformed: stats.malformed, reason: stats.lastMalformedReason }).toEqual({
    malformed: 0,
    reason: undefined,
  });
  const [document] = daemon.store.segments();
  return { span, document };
}

test.each([
  ['not hexadecimal', 'zz'],
  ['too short', '53995c3f'],
  ['upper case', '53995C3F42CD8AD8'],
  ['with a quote', '53995c3f42cd8a"8'],
])('a Parent that is %s starts a segment without a parent in the caller trace', async (_what, parent) => {
  const { span, document } = await stageSegmentFor(`Root=${ROOT};Parent=${parent};Sampled=1`);
  expect(document).toMatchObject({ trace_id: ROOT, name: STAGE.segmentName });
  expect(document.parent_id).toBeUndefined();
  expect(span.traceId).toBe(ROOT);
});

test('a malformed Root starts a new trace, leaving the Parent behind', async () => {
  const { span, document } = await stageSegmentFor('Root=1-nothex;Parent=53995c3f42cd8ad8;Sampled=1');
  expect(document.trace_id).toMatch(/^1-[0-9a-f]{8}-[0-9a-f]{24}$/);
  expect(document.trace_id).toBe(span.traceId);
  expect(document.parent_id).toBeUndefined();
});

test('a well-formed header is kept whole', async () => {
  const { document } = await stageSegmentFor(`Root=${ROOT};Parent=53995c3f42cd8ad8;Sampled=1`);
  expect(document).toMatchObject({ trace_id: ROOT, parent_id: '53995c3f42cd8ad8' });
});
