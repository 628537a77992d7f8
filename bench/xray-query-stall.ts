/**
 * Benchmark (not a test): how long one X-Ray query over a full trace store holds the event loop of the process
 * that hosts the daemon (in the sandbox, the gateway's process too). Fills the store to MAX_TRACES traces, then
 * times GetTraceSummaries (with a filter) and GetServiceGraph, each first (cold caches) and again (warm), and
 * prints the query's wall time beside the longest event-loop stall seen meanwhile. Target: no stall over 100 ms.
 *
 * Usage: npx tsx bench/xray-query-stall.ts [--traces 20000]
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { startXRayDaemon } from '../sandbox/xray/daemon';
import { MAX_TRACES } from '../sandbox/xray/trace-store';
import { newEntityId, newTraceId } from '../sandbox/xray/udp-client';

const TARGET_STALL_MS = 100;
const i = process.argv.indexOf('--traces');
const traces = i === -1 ? MAX_TRACES : Number(process.argv[i + 1]);

async function main() {
  const daemon = await startXRayDaemon({ port: 0 });
  const now = Date.now() / 1000;
  for (let n = 0; n < traces; n += 1) {
    const traceId = newTraceId();
    const id = newEntityId();
    daemon.store.put({
      trace_id: traceId,
      id,
      name: 'mysfits-local-questions-api/local',
      origin: 'AWS::ApiGateway::Stage',
      start_time: now - 60 + n / traces,
      end_time: now - 60 + n / traces + 0.05,
      http: {
        request: { method: 'POST', url: 'http://127.0.0.1/questions' },
        response: { status: n % 10 ? 200 : 500 },
      },
      fault: n % 10 === 0,
      subsegments: [
        { id: newEntityId(), name: 'Lambda', namespace: 'aws', start_time: now - 60, end_time: now - 59.99 },
      ],
    } as never);
  }
  const range = { StartTime: now - 3600, EndTime: now + 60 };
  const queries: [string, string, object][] = [
    ['GetTraceSummaries fault', '/TraceSummaries', { ...range, FilterExpression: 'fault OR responsetime > 1' }],
    ['GetServiceGraph', '/ServiceGraph', range],
  ];
  console.log(`${traces} traces in the store`);
  for (const pass of ['cold', 'warm']) {
    for (const [what, path, body] of queries) {
      const histogram = monitorEventLoopDelay({ resolution: 10 });
      histogram.enable();
      const t0 = performance.now();
      const res = await fetch(daemon.endpoint + path, { method: 'POST', body: JSON.stringify(body) });
      await res.arrayBuffer();
      const wall = performance.now() - t0;
      histogram.disable();
      const stall = histogram.max / 1e6;
      console.log(
        `  ${what} (${pass}): ${res.status} in ${wall.toFixed(0)} ms; longest event-loop stall ${stall.toFixed(0)} ms ` +
          `(target <= ${TARGET_STALL_MS} ms)`,
      );
    }
  }
  await daemon.stop();
}

void main();
