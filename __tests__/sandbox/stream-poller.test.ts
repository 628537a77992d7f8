/**
 * The stream poller against DynamoDB Local's real stream, with in-test functions: batching, the Lambda event
 * shape, partial batch responses, bisect on error, retries and the on-failure record, record age.
 */
// The SDK's one-time Node 20 support notice is noise in test output.

import { CreateTableCommand, DeleteItemCommand, DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import type { DynamoDBStreamEvent } from 'aws-lambda';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '../../sandbox/local-aws';
import { startDynamoDbLocal, type LocalService } from '../../sandbox/services/local-services';
import {
  startStreamPoller,
  type StreamInvocation,
  type StreamMappingSettings,
  type StreamOnFailureRecord,
  type StreamPoller,
} from '../../sandbox/streams/stream-poller';
import { QUESTIONS_STREAM_MAPPING } from '../../system/definition';

let ddb: LocalService;
let dynamodb: DynamoDBClient;
let streams: DynamoDBStreamsClient;
const pollers: StreamPoller[] = [];

beforeAll(async () => {
  ddb = await startDynamoDbLocal();
  const config = { endpoint: ddb.endpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS };
  dynamodb = new DynamoDBClient(config);
  streams = new DynamoDBStreamsClient(config);
});

afterEach(async () => {
  await Promise.all(pollers.splice(0).map((p) => p.stop()));
});

afterAll(async () => {
  dynamodb?.destroy();
  streams?.destroy();
  await ddb?.stop();
});

let tableCount = 0;
async function tableWithItems(ids: string[]): Promise<{ table: string; streamArn: string }> {
  const table = `poller-${++tableCount}`;
  const out = await dynamodb.send(
    new CreateTableCommand({
      TableName: table,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [{ AttributeName: 'QuestionId', AttributeType: 'S' }],
      KeySchema: [{ AttributeName: 'QuestionId', KeyType: 'HASH' }],
      StreamSpecification: { StreamEnabled: true, StreamViewType: 'NEW_IMAGE' },
    }),
  );
  for (const id of ids) {
    await dynamodb.send(
      new PutItemCommand({ TableName: table, Item: { QuestionId: { S: id }, Blob: { B: Buffer.from(id) } } }),
    );
  }
  return { table, streamArn: out.TableDescription!.LatestStreamArn! };
}

// The deployed settings, with a shorter batching window so tests stay quick.
const MAPPING: StreamMappingSettings = { ...QUESTIONS_STREAM_MAPPING, maximumBatchingWindowInSeconds: 0.2 };

function run(
  streamArn: string,
  fn: (event: DynamoDBStreamEvent) => StreamInvocation,
  extra: { mapping?: Partial<StreamMappingSettings>; now?: () => number } = {},
) {
  const events: DynamoDBStreamEvent[] = [];
  const failures: StreamOnFailureRecord[] = [];
  const errors: Error[] = [];
  const poller = startStreamPoller({
    streams,
    streamArn,
    functionArn: 'arn:aws:lambda:us-east-1:000000000000:function:test-stream',
    region: LOCAL_REGION,
    mapping: { ...MAPPING, ...extra.mapping },
    pollIntervalMs: 50,
    invoke: async (event) => {
      events.push(event);
      return fn(event);
    },
    sendToOnFailure: async (record) => {
      failures.push(record);
    },
    onError: (e) => errors.push(e),
    now: extra.now,
  });
  pollers.push(poller);
  return { poller, events, failures, errors };
}

const idsOf = (event: DynamoDBStreamEvent) => event.Records.map((r) => r.dynamodb!.NewImage!.QuestionId.S);
async function until(check: () => boolean, what: string, timeoutMs = 15000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

test('delivers every record once, in order, in batches of at most batchSize, as Lambda stream events', async () => {
  const ids = Array.from({ length: 23 }, (_, i) => `q${String(i).padStart(2, '0')}`);
  const { streamArn } = await tableWithItems(ids);
  const { events, failures, errors, poller } = run(streamArn, () => ({ ok: true, result: null }));
  await until(() => events.flatMap(idsOf).length >= ids.length, 'all records');

  expect(events.flatMap(idsOf)).toEqual(ids);
  expect(Math.max(...events.map((e) => e.Records.length))).toBeLessThanOrEqual(QUESTIONS_STREAM_MAPPING.batchSize);
  const record = events[0].Records[0];
  expect(record).toMatchObject({
    eventName: 'INSERT',
    eventSource: 'aws:dynamodb',
    awsRegion: LOCAL_REGION,
    eventSourceARN: streamArn,
    dynamodb: { StreamViewType: 'NEW_IMAGE', Keys: { QuestionId: { S: 'q00' } } },
  });
  expect(typeof record.dynamodb!.ApproximateCreationDateTime).toBe('number');
  expect(record.dynamodb!.SequenceNumber).toMatch(/^\d+$/);
  // Binary attributes travel base64-encoded, as in the JSON Lambda receives.
  expect(record.dynamodb!.NewImage!.Blob).toEqual({ B: Buffer.from('q00').toString('base64') });
  expect(failures).toEqual([]);
  expect(errors).toEqual([]);
  expect(poller.stats).toMatchObject({ recordsRead: 23, recordsSucceeded: 23 });
});

test('with the deployed filter only INSERTs invoke: MODIFY and REMOVE records are read past', async () => {
  expect(MAPPING.filterPatterns).toEqual(['{"eventName":["INSERT"]}']);
  const { table, streamArn } = await tableWithItems(['f1']);
  await dynamodb.send(
    new PutItemCommand({ TableName: table, Item: { QuestionId: { S: 'f1' }, NotifiedAt: { S: 'now' } } }),
  );
  await dynamodb.send(new DeleteItemCommand({ TableName: table, Key: { QuestionId: { S: 'f1' } } }));
  await dynamodb.send(new PutItemCommand({ TableName: table, Item: { QuestionId: { S: 'f2' } } }));
  const { events, poller, errors } = run(streamArn, () => ({ ok: true }));
  await until(() => events.flatMap(idsOf).includes('f2'), 'the second INSERT');
  await new Promise((r) => setTimeout(r, 300));
  expect(events.flatMap((e) => e.Records.map((r) => r.eventName))).toEqual(['INSERT', 'INSERT']);
  expect(events.flatMap(idsOf)).toEqual(['f1', 'f2']);
  expect(poller.stats).toMatchObject({ recordsRead: 4, recordsFilteredOut: 2, recordsSucceeded: 2 });
  expect(errors).toEqual([]);
});

test('a filter pattern the poller cannot evaluate fails its start, naming the pattern', () => {
  expect(() =>
    run('arn:unused', () => ({ ok: true }), { mapping: { filterPatterns: ['{"eventName":[{"numeric":[">",1]}]}'] } }),
  ).toThrow(/filter pattern .*numeric.* not supported/);
});

test('records written after the poller started are delivered, also after writes to another table', async () => {
  // DynamoDB Local numbers stream records across tables; an iterator taken on the empty shard goes stale then.
  const { table, streamArn } = await tableWithItems([]);
  const { table: other } = await tableWithItems(['x1', 'x2']);
  const { events, errors } = run(streamArn, () => ({ ok: true }));
  await new Promise((r) => setTimeout(r, 300));
  await dynamodb.send(new PutItemCommand({ TableName: table, Item: { QuestionId: { S: 'late-1' } } }));
  await dynamodb.send(new PutItemCommand({ TableName: other, Item: { QuestionId: { S: 'x3' } } }));
  await dynamodb.send(new PutItemCommand({ TableName: table, Item: { QuestionId: { S: 'late-2' } } }));
  await until(() => events.flatMap(idsOf).length >= 2, 'the late records');
  await new Promise((r) => setTimeout(r, 500));
  expect(events.flatMap(idsOf)).toEqual(['late-1', 'late-2']);
  expect(errors).toEqual([]);
});

test('a record in batchItemFailures is retried from its checkpoint, then sent to the on-failure queue', async () => {
  const ids = ['a', 'b', 'poison', 'c', 'd'];
  const { streamArn } = await tableWithItems(ids);
  const delivered: string[] = [];
  const { events, failures } = run(streamArn, (event) => {
    const failed = event.Records.filter((r) => r.dynamodb!.NewImage!.QuestionId.S === 'poison');
    for (const r of event.Records) if (!failed.includes(r)) delivered.push(r.dynamodb!.NewImage!.QuestionId.S!);
    return {
      ok: true,
      result: { batchItemFailures: failed.map((r) => ({ itemIdentifier: r.dynamodb!.SequenceNumber })) },
    };
  });
  await until(() => failures.length > 0, 'the on-failure record');

  // First attempt + maximumRetryAttempts retries, each from the poison record on (checkpointing).
  expect(events.map(idsOf)).toEqual([
    ['a', 'b', 'poison', 'c', 'd'],
    ['poison', 'c', 'd'],
    ['poison', 'c', 'd'],
    ['poison', 'c', 'd'],
  ]);
  expect(new Set(delivered)).toEqual(new Set(['a', 'b', 'c', 'd']));
  expect(failures).toHaveLength(1);
  const [failure] = failures;
  const poisonSequence = events[0].Records[2].dynamodb!.SequenceNumber;
  expect(failure).toMatchObject({
    version: '1.0',
    requestContext: {
      functionArn: 'arn:aws:lambda:us-east-1:000000000000:function:test-stream',
      condition: 'RetryAttemptsExhausted',
      approximateInvokeCount: 4,
    },
    responseContext: { statusCode: 200, executedVersion: '$LATEST' },
    DDBStreamBatchInfo: {
      startSequenceNumber: poisonSequence,
      endSequenceNumber: events[0].Records[4].dynamodb!.SequenceNumber,
      batchSize: 3,
      streamArn,
    },
  });
  expect(failure.responseContext.functionError).toBeUndefined();
  expect(failure.DDBStreamBatchInfo.shardId).toMatch(/^shardId-/);
  expect(Date.parse(failure.DDBStreamBatchInfo.approximateArrivalOfFirstRecord)).not.toBeNaN();
});

test('a function error bisects the batch until the poison record is alone; only it is sent on', async () => {
  const { streamArn } = await tableWithItems(['a', 'b', 'poison', 'c']);
  const succeeded: string[] = [];
  const { events, failures } = run(streamArn, (event) => {
    const ids = idsOf(event);
    if (ids.includes('poison')) return { ok: false, error: { errorType: 'Error', errorMessage: 'cannot publish' } };
    succeeded.push(...(ids as string[]));
    return { ok: true, result: undefined };
  });
  await until(() => failures.length > 0 && succeeded.length === 3, 'bisect to finish');

  expect(events.map(idsOf)).toEqual([
    ['a', 'b', 'poison', 'c'],
    ['a', 'b'],
    ['poison', 'c'],
    ['poison'],
    ['poison'],
    ['c'],
  ]);
  expect(succeeded).toEqual(['a', 'b', 'c']);
  expect(failures).toHaveLength(1);
  expect(failures[0].responseContext.functionError).toBe('Unhandled');
  expect(failures[0].DDBStreamBatchInfo.batchSize).toBe(1);
  expect(failures[0].DDBStreamBatchInfo.startSequenceNumber).toBe(events[0].Records[2].dynamodb!.SequenceNumber);
});

test('an invalid item identifier fails the whole batch, as Lambda treats it', async () => {
  const { streamArn } = await tableWithItems(['a', 'b']);
  const { events, failures } = run(
    streamArn,
    () => ({ ok: true, result: { batchItemFailures: [{ itemIdentifier: '' }] } }),
    { mapping: { maximumRetryAttempts: 1, bisectBatchOnFunctionError: false } },
  );
  await until(() => failures.length > 0, 'the on-failure record');
  expect(events.map(idsOf)).toEqual([
    ['a', 'b'],
    ['a', 'b'],
  ]);
  expect(failures[0].DDBStreamBatchInfo.batchSize).toBe(2);
});

test('records older than maximumRecordAgeInSeconds go to the destination without an invocation', async () => {
  const { streamArn } = await tableWithItems(['old']);
  const inTwoHours = () => Date.now() + 2 * 3600 * 1000;
  const { events, failures } = run(streamArn, () => ({ ok: true }), { now: inTwoHours });
  await until(() => failures.length > 0, 'the on-failure record');
  expect(events).toHaveLength(0);
  expect(failures[0].requestContext.condition).toBe('RecordAgeExceeded');
});
