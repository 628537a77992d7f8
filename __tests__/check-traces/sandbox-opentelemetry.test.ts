/**
 * The same trace contract with the OpenTelemetry build of the functions (`tracing: opentelemetry`): the checker
 * passes against the healthy sandbox, and fails the same way as with the X-Ray SDK build when the
 * hangingException switch is on (see sandbox.test.ts for the X-Ray SDK build).
 */
import { BatchGetTracesCommand, XRayClient } from '@aws-sdk/client-xray';
import type { SandboxOptions } from '../../sandbox';
import { walkEntities, type XRayEntity } from '../../sandbox/xray/segment-document';
import { checkSandbox, expectHangingExceptionFailure, flow, withSandbox } from './sandbox-support';

const withOpenTelemetrySandbox = (options: Pick<SandboxOptions, 'functionEnvironment'> = {}) =>
  withSandbox({ tracingBackend: 'opentelemetry', ...options });
const check = checkSandbox;

describe('healthy sandbox, OpenTelemetry build', () => {
  const held = withOpenTelemetrySandbox();

  test('every flow of the contract holds', async () => {
    const report = await check(held.sandbox!, 30);
    expect(report.problems).toEqual([]);
    for (const f of report.flows)
      expect({ id: f.id, state: f.state, problems: f.problems }).toEqual({ id: f.id, state: 'passed', problems: [] });
    expect(report.exitCode).toBe(0);
    expect(flow(report, 'question-stream').traceIds.length).toBeGreaterThanOrEqual(1);

    // And it was the OpenTelemetry build that traced it: its DynamoDB subsegment carries the span's attributes.
    const xray = new XRayClient({
      endpoint: held.sandbox!.xrayEndpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    const { Traces } = await xray.send(new BatchGetTracesCommand({ TraceIds: [...flow(report, 'question').traceIds] }));
    xray.destroy();
    const entities: XRayEntity[] = [];
    for (const segment of Traces?.flatMap((t) => t.Segments ?? []) ?? [])
      walkEntities(JSON.parse(segment.Document!), (e) => entities.push(e));
    const dynamo = entities.find((e) => e.name === 'DynamoDB' && e.namespace === 'aws');
    expect(dynamo?.metadata).toMatchObject({ default: { 'rpc.system': 'aws-api', 'rpc.method': 'PutItem' } });
  }, 60_000);
});

describe('hangingException switch on, OpenTelemetry build', () => {
  const held = withOpenTelemetrySandbox({
    functionEnvironment: { postQuestion: { HANGING_EXCEPTION_RATE: '1', HANGING_EXCEPTION_DELAY_MS: '300' } },
  });

  test('fails naming the fault in the hangingException subsegment', async () => {
    const report = await check(held.sandbox!, 15);
    expectHangingExceptionFailure(report);
  }, 60_000);
});
