/**
 * The X-Ray actions beyond reading traces: PutTraceSegments, the group actions and
 * GetTimeSeriesServiceStatistics, through @aws-sdk/client-xray against a daemon on a free port, and their
 * refusals (400 naming the field) straight through the API router.
 */
import {
  BatchGetTracesCommand,
  CreateGroupCommand,
  DeleteGroupCommand,
  GetGroupCommand,
  GetGroupsCommand,
  GetServiceGraphCommand,
  GetTimeSeriesServiceStatisticsCommand,
  GetTraceSummariesCommand,
  PutTraceSegmentsCommand,
  UpdateGroupCommand,
  XRayClient,
} from '@aws-sdk/client-xray';
import { startXRayDaemon, type XRayDaemon } from '../../sandbox/xray/daemon';
import { MAX_SEGMENT_DOCUMENT_BYTES } from '../../sandbox/xray/put-trace-segments';
import { ApiError, handleApiCall } from '../../sandbox/xray/query-api';
import { TraceStore } from '../../sandbox/xray/trace-store';
import { newEntityId, newTraceId } from '../../sandbox/xray/udp-client';
import type { SegmentDocument } from '../../system/segment-document';

let daemon: XRayDaemon;
let xray: XRayClient;

beforeAll(async () => {
  daemon = await startXRayDaemon({ port: 0 });
  xray = new XRayClient({
    endpoint: daemon.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
});

afterAll(async () => {
  xray?.destroy();
  await daemon?.stop();
});

beforeEach(() => daemon.store.clear());

const now = () => Date.now() / 1000;
const lastHour = () => ({ StartTime: new Date(Date.now() - 3600_000), EndTime: new Date(Date.now() + 60_000) });

/** A completed request segment for `name`, `seconds` long, ending now, with an HTTP status (so a client edge). */
function requestSegment(name: string, status = 200, seconds = 0.25, traceId = newTraceId()): SegmentDocument {
  const end = now();
  return {
    trace_id: traceId,
    id: newEntityId(),
    name,
    origin: 'AWS::Lambda::Function',
    start_time: end - seconds,
    end_time: end,
    http: { request: { method: 'GET', url: `https://api.example/${name}` }, response: { status } },
    // As the SDKs flag a response: 5xx fault, 4xx error, 429 also throttle.
    ...(status >= 500 ? { fault: true } : status >= 400 ? { error: true, throttle: status === 429 } : {}),
  };
}

/** Calls the router directly and returns the refusal it throws. */
async function refusal(path: string, body: Record<string, unknown>, store = new TraceStore()): Promise<ApiError> {
  try {
    await handleApiCall(store, path, body);
  } catch (err) {
    if (err instanceof ApiError) return err;
    throw err;
  }
  throw new Error(`${path} accepted ${JSON.stringify(body)}`);
}

describe('PutTraceSegments', () => {
  test(
    'stored documents appear in GetTraceSummaries and ' + 'BatchGetTraces; each bad one is reported, not dropped',
    async () => {
      const good = requestSegment('put-api');
      const child = {
        ...requestSegment('put-api'),
        trace_id: good.trace_id,
        type: 'subsegment' as const,
        parent_id: good.id,
        name: 'work',
      };
      const noId = { ...requestSegment('no-id'), id: undefined };
      const badTraceId = { ...requestSegment('bad-trace'), trace_id: 'not-a-trace-id' };
      const orphanSub = { ...requestSegment('sub'), type: 'subsegment' as const };
      const result = await xray.send(
        new PutTraceSegmentsCommand({
          TraceSegmentDocuments: [
            JSON.stringify(good),
            JSON.stringify([child]),
            JSON.stringify(noId),
            JSON.stringify(badTraceId),
            JSON.stringify(orphanSub),
            '{not json',
          ],
        }),
      );
      expect(result.UnprocessedTraceSegments).toEqual([
        { ErrorCode: 'MissingId', Message: expect.stringMatching(/^Invalid segment\. ErrorCode: MissingId/) },
        { Id: badTraceId.id, ErrorCode: 'InvalidTraceId', Message: expect.stringContaining('trace_id') },
        {
          Id: orphanSub.id,
          ErrorCode: 'MissingParentId',
          Message: expect.stringMatching(/^Invalid subsegment\. ErrorCode: MissingParentId/),
        },
        { ErrorCode: 'InvalidJson', Message: expect.stringContaining('ErrorCode: InvalidJson') },
      ]);
      expect(daemon.store.stats()).toMatchObject({ received: 2, traces: 1 });

      const summaries = await xray.send(
        new GetTraceSummariesCommand({ ...lastHour(), FilterExpression: 'service("put-api")' }),
      );
      expect(summaries.TraceSummaries?.map((s) => s.Id)).toEqual([good.trace_id]);
      const traces = await xray.send(new BatchGetTracesCommand({ TraceIds: [good.trace_id] }));
      const stored = JSON.parse(traces.Traces?.[0].Segments?.[0].Document ?? '{}');
      expect(stored.subsegments.map((s: { name: string }) => s.name)).toEqual(['work']);
    },
  );

  test(`a document over ${MAX_SEGMENT_DOCUMENT_BYTES / 1024} KB is reported and not stored`, async () => {
    const big = { ...requestSegment('big'), metadata: { default: { blob: 'x'.repeat(MAX_SEGMENT_DOCUMENT_BYTES) } } };
    const result = await xray.send(new PutTraceSegmentsCommand({ TraceSegmentDocuments: [JSON.stringify(big)] }));
    expect(result.UnprocessedTraceSegments).toEqual([
      { ErrorCode: 'SegmentTooLarge', Message: expect.stringContaining('64 KB') },
    ]);
    expect(daemon.store.stats().traces).toBe(0);
  });

  test('a request without a list of strings is refused whole, naming TraceSegmentDocuments', async () => {
    for (const body of [{}, { TraceSegmentDocuments: 'x' }, { TraceSegmentDocuments: [{ id: 'x' }] }]) {
      const err = await refusal('/TraceSegments', body);
      expect({ status: err.status, type: err.type }).toEqual({ status: 400, type: 'InvalidRequestException' });
      expect(err.message).toContain('TraceSegmentDocuments');
    }
  });
});

describe('groups', () => {
  test('Default is always there; a created group is listed, read, updated and deleted', async () => {
    const initial = await xray.send(new GetGroupsCommand({}));
    expect(initial.Groups?.map((g) => g.GroupName)).toContain('Default');

    const created = await xray.send(new CreateGroupCommand({ GroupName: 'crud', FilterExpression: 'fault' }));
    expect(created.Group).toMatchObject({
      GroupName: 'crud',
      FilterExpression: 'fault',
      GroupARN: expect.stringMatching(/^arn:aws:xray:[^:]+:\d{12}:group\/crud\//),
    });
    const byArn = await xray.send(new GetGroupCommand({ GroupARN: created.Group?.GroupARN }));
    expect(byArn.Group?.GroupName).toBe('crud');

    const updated = await xray.send(new UpdateGroupCommand({ GroupName: 'crud', FilterExpression: 'error' }));
    expect(updated.Group?.FilterExpression).toBe('error');
    await xray.send(new DeleteGroupCommand({ GroupName: 'crud' }));
    const after = await xray.send(new GetGroupsCommand({}));
    expect(after.Groups?.map((g) => g.GroupName)).not.toContain('crud');
    await expect(xray.send(new GetGroupCommand({ GroupName: 'crud' }))).rejects.toMatchObject({
      name: 'InvalidRequestException',
      message: expect.stringContaining('GroupName'),
    });
  });

  test(
    'a duplicate name, the reserved Default, a bad name or filter ' + 'are InvalidRequestException naming the field',
    async () => {
      const store = new TraceStore();
      await handleApiCall(store, '/CreateGroup', { GroupName: 'twice' });
      const cases: [Record<string, unknown>, string][] = [
        [{ GroupName: 'twice' }, 'already exists'],
        [{ GroupName: 'Default' }, 'reserved'],
        [{}, 'GroupName is required'],
        [{ GroupName: 'x'.repeat(33) }, 'GroupName must be 1 to 32'],
        [{ GroupName: 'bad-filter', FilterExpression: 'annotation.x ~ 1' }, '(field FilterExpression)'],
        [
          { GroupName: 'notify', InsightsConfiguration: { NotificationsEnabled: true } },
          'InsightsConfiguration.NotificationsEnabled',
        ],
        [{ GroupName: 'tags', Tags: [{ Key: '', Value: 'v' }] }, 'Tags[0].Key'],
      ];
      for (const [body, message] of cases) {
        const err = await refusal('/CreateGroup', body, store);
        expect({ status: err.status, type: err.type, message: err.message }).toEqual({
          status: 400,
          type: 'InvalidRequestException',
          message: expect.stringContaining(message),
        });
      }
      expect((await refusal('/DeleteGroup', { GroupName: 'Default' }, store)).message).toContain('Default');
      expect((await refusal('/GetGroup', { GroupName: 'twice', GroupARN: 'arn:x' }, store)).message).toContain(
        'not both',
      );
    },
  );

  test("GetServiceGraph with GroupName keeps only the group's traces; an unknown group is refused", async () => {
    await xray.send(new CreateGroupCommand({ GroupName: 'faults-only', FilterExpression: 'fault' }));
    try {
      await xray.send(
        new PutTraceSegmentsCommand({
          TraceSegmentDocuments: [requestSegment('healthy'), requestSegment('broken', 502)].map((d) =>
            JSON.stringify(d),
          ),
        }),
      );
      const names = async (GroupName?: string) =>
        ((await xray.send(new GetServiceGraphCommand({ ...lastHour(), GroupName }))).Services ?? [])
          .map((s) => s.Name)
          .sort();
      expect(await names()).toEqual(['broken', 'client', 'healthy']);
      expect(await names('faults-only')).toEqual(['broken', 'client']);
      await expect(names('nope')).rejects.toMatchObject({
        name: 'InvalidRequestException',
        message: expect.stringContaining('GroupName'),
      });
    } finally {
      await xray.send(new DeleteGroupCommand({ GroupName: 'faults-only' }));
    }
  });
});

describe('GetTimeSeriesServiceStatistics', () => {
  test('edge statistics by default, a service or an edge by selector, a group applied, in Period buckets', async () => {
    const documents = [
      requestSegment('series-a', 200, 0.5),
      requestSegment('series-a', 503, 1),
      requestSegment('series-b', 429, 0.25),
    ];
    await xray.send(new PutTraceSegmentsCommand({ TraceSegmentDocuments: documents.map((d) => JSON.stringify(d)) }));
    const series = async (input: { EntitySelectorExpression?: string; GroupName?: string; Period?: number }) =>
      (await xray.send(new GetTimeSeriesServiceStatisticsCommand({ ...lastHour(), ...input })))
        .TimeSeriesServiceStatistics ?? [];
    const total = (
      entries: Awaited<ReturnType<typeof series>>,
      key: 'EdgeSummaryStatistics' | 'ServiceSummaryStatistics',
    ) => entries.reduce((sum, e) => sum + (e[key]?.TotalCount ?? 0), 0);

    const entry = await series({ Period: 300 });
    expect(entry.every((e) => e.Timestamp instanceof Date && (e.Timestamp.getTime() / 1000) % 300 === 0)).toBe(true);
    expect(total(entry, 'EdgeSummaryStatistics')).toBe(3);

    const serviceA = await series({ EntitySelectorExpression: 'service("series-a")' });
    expect(total(serviceA, 'ServiceSummaryStatistics')).toBe(2);
    const faults = serviceA.reduce((sum, e) => sum + (e.ServiceSummaryStatistics?.FaultStatistics?.TotalCount ?? 0), 0);
    expect(faults).toBe(1);
    expect(
      serviceA
        .flatMap((e) => e.ResponseTimeHistogram ?? [])
        .map((h) => h.Value)
        .sort(),
    ).toEqual([0.5, 1]);

    const edgeB = await series({ EntitySelectorExpression: 'edge("client", "series-b")' });
    expect(edgeB.flatMap((e) => [e.EdgeSummaryStatistics?.ErrorStatistics?.ThrottleCount])).toEqual([1]);
    expect(
      total(
        await series({ EntitySelectorExpression: 'id(name: "series-b", type: "AWS::Lambda::Function")' }),
        'ServiceSummaryStatistics',
      ),
    ).toBe(1);

    await xray.send(new CreateGroupCommand({ GroupName: 'series-faults', FilterExpression: 'fault' }));
    try {
      expect(total(await series({ GroupName: 'series-faults' }), 'EdgeSummaryStatistics')).toBe(1);
    } finally {
      await xray.send(new DeleteGroupCommand({ GroupName: 'series-faults' }));
    }
  });

  test('bad Period, selector, time range or group is InvalidRequestException naming the field', async () => {
    const range = { StartTime: now() - 600, EndTime: now() };
    const cases: [Record<string, unknown>, string][] = [
      [{ ...range, Period: 120 }, 'Period must be 60 or 300'],
      [{ ...range, Period: '60' }, 'Period'],
      [{ ...range, EntitySelectorExpression: 'fault' }, 'EntitySelectorExpression must be one service(...)'],
      [{ ...range, EntitySelectorExpression: 'service(' }, '(field EntitySelectorExpression)'],
      [{ ...range, EntitySelectorExpression: '' }, 'EntitySelectorExpression must be 1 to 500'],
      [{ EndTime: now() }, 'StartTime is required'],
      [{ ...range, GroupName: 'missing' }, 'GroupName'],
    ];
    for (const [body, message] of cases) {
      const err = await refusal('/TimeSeriesServiceStatistics', body);
      expect({ status: err.status, type: err.type, message: err.message }).toEqual({
        status: 400,
        type: 'InvalidRequestException',
        message: expect.stringContaining(message),
      });
    }
  });
});
