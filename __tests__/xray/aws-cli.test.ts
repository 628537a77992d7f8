/**
 * Debian's AWS CLI v2 (/usr/bin/aws, botocore's own X-Ray model) against the local X-Ray daemon alone, with
 * arbitrary credentials: put-trace-segments, create-group, get-groups, get-time-series-service-statistics, and
 * how a refusal reaches the CLI user.
 */
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import { promisify } from 'node:util';
import { startXRayDaemon, type XRayDaemon } from '../../sandbox/xray/daemon';
import { newEntityId, newTraceId } from '../../sandbox/xray/udp-client';

const AWS_CLI = '/usr/bin/aws';
const run = promisify(execFile);
let daemon: XRayDaemon;

beforeAll(async () => {
  // Not a skip: a machine without the CLI must fail here, loudly (.ci/run installs the awscli package).
  if (!fs.existsSync(AWS_CLI))
    throw new Error(`${AWS_CLI} is missing: install Debian's awscli package (apt-get install awscli)`);
  daemon = await startXRayDaemon({ port: 0 });
});

afterAll(async () => {
  await daemon?.stop();
});

const CLI_ENV = {
  PATH: process.env.PATH,
  HOME: os.tmpdir(),
  AWS_ACCESS_KEY_ID: 'anything',
  AWS_SECRET_ACCESS_KEY: 'anything-else',
  AWS_CONFIG_FILE: '/dev/null',
  AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
  AWS_PAGER: '',
  AWS_EC2_METADATA_DISABLED: 'true',
};

async function xray(...args: string[]) {
  const { stdout } = await run(
    AWS_CLI,
    ['--region', 'eu-west-1', '--output', 'json', 'xray', ...args, '--endpoint-url', daemon.endpoint],
    {
      env: CLI_ENV,
      timeout: 60_000,
    },
  );
  return stdout.trim() ? JSON.parse(stdout) : undefined;
}

/** The CLI takes seconds to start on a busy machine: independent calls run together, in two rounds. */
test('put-trace-segments, create-group, get-groups, get-time-series-service-statistics, and a refusal', async () => {
  const end = Date.now() / 1000;
  const segment = (name: string, status: number) => ({
    trace_id: newTraceId(),
    id: newEntityId(),
    name,
    start_time: end - 0.2,
    end_time: end,
    http: { request: { method: 'GET', url: `https://api.example/${name}` }, response: { status } },
    ...(status >= 500 ? { fault: true } : {}),
  });
  const [put, created, refused] = await Promise.all([
    xray(
      'put-trace-segments',
      '--trace-segment-documents',
      JSON.stringify(segment('cli-ok', 200)),
      JSON.stringify(segment('cli-fault', 500)),
      '{"id":"x"}',
    ),
    xray('create-group', '--group-name', 'cli-faults', '--filter-expression', 'fault'),
    xray('create-group', '--group-name', 'Default').then(
      () => undefined,
      (err: { code: number; stderr: string }) => err,
    ),
  ]);
  expect(put.UnprocessedTraceSegments).toEqual([
    { Id: 'x', ErrorCode: 'MissingTraceId', Message: expect.stringContaining('trace_id') },
  ]);
  expect(created.Group).toMatchObject({ GroupName: 'cli-faults', FilterExpression: 'fault' });
  expect(refused).toMatchObject({
    code: 254,
    stderr: expect.stringMatching(/InvalidRequestException.*GroupName: "Default" is a reserved name/),
  });

  const range = ['--start-time', String(Math.floor(end - 600)), '--end-time', String(Math.ceil(end + 60))];
  const [groups, all, faults] = await Promise.all([
    xray('get-groups'),
    xray('get-time-series-service-statistics', ...range, '--period', '60'),
    xray('get-time-series-service-statistics', ...range, '--group-name', 'cli-faults'),
  ]);
  expect(groups.Groups.map((g: { GroupName: string }) => g.GroupName)).toEqual(['Default', 'cli-faults']);
  const count = (series: { EdgeSummaryStatistics?: { TotalCount: number } }[]) =>
    series.reduce((sum, e) => sum + (e.EdgeSummaryStatistics?.TotalCount ?? 0), 0);
  expect(count(all.TimeSeriesServiceStatistics)).toBe(2);
  expect(count(faults.TimeSeriesServiceStatistics)).toBe(1);
  expect(faults.TimeSeriesServiceStatistics[0]).toEqual({
    Timestamp: expect.any(String),
    EdgeSummaryStatistics: expect.objectContaining({ FaultStatistics: { OtherCount: 1, TotalCount: 1 } }),
    ResponseTimeHistogram: [{ Value: 0.2, Count: 1 }],
  });
}, 120_000);
