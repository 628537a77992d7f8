/**
 * process-questions-stream with real stream records from DynamoDB Local and SNS -> SQS in fauxqs; tracing
 * through the function runtime (the bundle) with a UDP capture.
 */
import { DeleteCommand, DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { ANNOTATIONS, ENV, names } from '../../system/definition';
import { startFunctionRuntime } from '../../sandbox/lambda/function-runtime';
import {
  createTable,
  createTopicWithQueue,
  dynamoDbClient,
  loadHandler,
  readStreamRecords,
  startLocalAws,
  type LocalAws,
  type TopicWithQueue,
} from '../support/local-aws';
import { startUdpCapture, type UdpCapture } from '../support/udp-capture';

type Handler = (event: DynamoDBStreamEvent) => Promise<DynamoDBBatchResponse>;
const TABLE = 'questions-stream-test';
let aws: LocalAws;
let topic: TopicWithQueue;
let xray: UdpCapture;
let handler: Handler;
let inserts: DynamoDBRecord[];
let documents: DynamoDBDocumentClient;
let recordsSeen = 0;

const questions = [
  {
    QuestionId: 'q-1',
    UserEmailAddress: 'ada@example.com',
    QuestionText: 'Does Pauly bite?',
    CreatedAt: '2024-01-01T00:00:00.000Z',
  },
  {
    QuestionId: 'q-2',
    UserEmailAddress: 'bob@example.com',
    QuestionText: 'Can I adopt two?',
    CreatedAt: '2024-01-01T00:00:01.000Z',
  },
  {
    QuestionId: 'q-3',
    UserEmailAddress: 'cy@example.com',
    QuestionText: '¿Habla español?',
    CreatedAt: '2024-01-01T00:00:02.000Z',
  },
];

/** A record Lambda could deliver but that holds no question: the "poison" one. */
const poison = (template: DynamoDBRecord): DynamoDBRecord => ({
  ...template,
  eventID: 'poison-event',
  dynamodb: { ...template.dynamodb, SequenceNumber: '999999999999', NewImage: { Unrelated: { N: '1' } } },
});

beforeAll(async () => {
  [aws, xray] = await Promise.all([startLocalAws({ dynamodb: true, fauxqs: true }), startUdpCapture()]);
  const endpoint = aws.dynamodb!.endpoint;
  await createTable(endpoint, 'questions', TABLE);
  topic = await createTopicWithQueue(aws.fauxqs!.endpoint, 'questions-test');
  documents = DynamoDBDocumentClient.from(dynamoDbClient(endpoint));
  for (const Item of questions) await documents.send(new PutCommand({ TableName: TABLE, Item }));
  // An edit: a MODIFY record, which sends no e-mail.
  await documents.send(
    new UpdateCommand({
      TableName: TABLE,
      Key: { QuestionId: 'q-1' },
      UpdateExpression: 'SET Answered = :t',
      ExpressionAttributeValues: { ':t': true },
    }),
  );
  const records = await newStreamRecords();
  expect(records.map((r) => r.eventName)).toEqual(['INSERT', 'INSERT', 'INSERT', 'MODIFY']);
  inserts = records;
  handler = loadHandler<{ handler: Handler }>('../../handlers/process-questions-stream', {
    ...aws.env,
    [ENV.questionsTopicArn]: topic.topicArn,
    [ENV.questionsTableName]: TABLE,
    POWERTOOLS_LOG_LEVEL: 'SILENT',
  }).handler;
});
afterAll(async () => {
  documents?.destroy();
  await xray?.stop();
  await aws?.stop();
});

/** The stream records written since the last call. */
async function newStreamRecords(): Promise<DynamoDBRecord[]> {
  const all = await readStreamRecords(aws.dynamodb!.endpoint, TABLE);
  const fresh = all.slice(recordsSeen);
  recordsSeen = all.length;
  return fresh;
}

/** Stores questions and returns their INSERT records. */
async function storeQuestions(prefix: string, count: number, text = (i: number) => `Question ${i} of ${prefix}?`) {
  for (let i = 0; i < count; i++) {
    await documents.send(
      new PutCommand({
        TableName: TABLE,
        Item: {
          QuestionId: `${prefix}-${i}`,
          UserEmailAddress: `${prefix}-${i}@example.com`,
          QuestionText: text(i),
          CreatedAt: new Date().toISOString(),
        },
      }),
    );
  }
  // The marks of earlier tests are on the stream too (MODIFY): keep this call's INSERTs.
  const records = (await newStreamRecords()).filter((r) => r.eventName === 'INSERT');
  expect(records.map((r) => r.dynamodb?.Keys?.QuestionId.S)).toEqual(
    Array.from({ length: count }, (_, i) => `${prefix}-${i}`),
  );
  return records;
}

const stored = async (questionId: string) =>
  (await documents.send(new GetCommand({ TableName: TABLE, Key: { QuestionId: questionId }, ConsistentRead: true })))
    .Item;

test('each INSERT is published naming the e-mail and the question; MODIFY is skipped', async () => {
  const response = await handler({ Records: inserts });
  expect(response).toEqual({ batchItemFailures: [] });
  const messages = await topic.receive(3);
  expect(messages).toHaveLength(3);
  for (const q of questions) {
    const message = messages.find((m) => m.Message.includes(q.QuestionText))!;
    expect(message).toBeDefined();
    expect(message.Subject).toContain(q.UserEmailAddress);
    expect(message.Message).toContain(q.UserEmailAddress);
  }
  expect(await topic.depth()).toBe(0); // the MODIFY sent nothing
  for (const q of questions) expect((await stored(q.QuestionId))?.NotifiedAt).toEqual(expect.any(String));
});

test('a retried batch does not e-mail its questions again (each is marked notified, conditionally)', async () => {
  const batch = await storeQuestions('retried', 4);
  expect(await handler({ Records: batch })).toEqual({ batchItemFailures: [] });
  expect(await topic.receive(4)).toHaveLength(4);
  // Lambda retries the batch (a poison neighbour, a killed environment): nothing is sent twice.
  expect(await handler({ Records: batch })).toEqual({ batchItemFailures: [] });
  expect(await handler({ Records: batch.slice(1) })).toEqual({ batchItemFailures: [] });
  expect(await topic.receive(1, 1500)).toHaveLength(0);
  const item = await stored('retried-0');
  expect(item).toMatchObject({ NotifyAttempts: 1, NotifiedAt: expect.any(String) });
});

test('a question holding a lone surrogate is e-mailed (shown as U+FFFD), not retried until it expires', async () => {
  const batch = await storeQuestions('surrogate', 2, (i) => (i === 0 ? 'x \ud800 y' : 'fine?'));
  expect(await handler({ Records: batch })).toEqual({ batchItemFailures: [] });
  const messages = await topic.receive(2);
  expect(messages).toHaveLength(2);
  expect(messages.some((m) => m.Message.includes('x \ufffd y'))).toBe(true);
});

test('MODIFY and REMOVE (TTL) records send nothing; a question deleted before its turn is not recreated', async () => {
  const [insert] = await storeQuestions('deleted', 1);
  await documents.send(new DeleteCommand({ TableName: TABLE, Key: { QuestionId: 'deleted-0' } }));
  const remove = (await newStreamRecords()).find((r) => r.eventName === 'REMOVE')!;
  expect(remove.dynamodb?.Keys?.QuestionId.S).toBe('deleted-0');
  // A TTL deletion is a REMOVE made by the DynamoDB service.
  const ttlRemove = {
    ...remove,
    userIdentity: { type: 'Service', principalId: 'dynamodb.amazonaws.com' },
  } as DynamoDBRecord;
  expect(await handler({ Records: [insert, ttlRemove] })).toEqual({ batchItemFailures: [] });
  expect(await topic.receive(1, 1500)).toHaveLength(0);
  expect(await stored('deleted-0')).toBeUndefined();
});

test('a poison record is reported in batchItemFailures, the good ones published once over the retries', async () => {
  const good = await storeQuestions('poison', 3);
  const garbage = { eventID: 'no-image', eventName: 'INSERT' } as DynamoDBRecord;
  const batch = [good[0], poison(good[0]), good[1], garbage, good[2]];
  const failures = [{ itemIdentifier: '999999999999' }, { itemIdentifier: 'no-image' }];
  expect((await handler({ Records: batch })).batchItemFailures).toEqual(failures);
  // Lambda retries from the lowest failed record: the good ones after it come again, and are not re-sent.
  expect((await handler({ Records: batch.slice(1) })).batchItemFailures).toEqual(failures);
  expect((await handler({ Records: batch.slice(1) })).batchItemFailures).toEqual(failures);
  const messages = await topic.receive(4, 3000);
  expect(messages.map((m) => m.Subject).sort()).toEqual(
    [0, 1, 2].map((i) => `New question from poison-${i}@example.com`),
  );
});

test('when SNS refuses, every INSERT is reported for retry, by sequence number, and is sent on the retry', async () => {
  const batch = await storeQuestions('refused', 3);
  const broken = loadHandler<{ handler: Handler }>('../../handlers/process-questions-stream', {
    [ENV.questionsTopicArn]: 'arn:aws:sns:us-east-1:000000000000:no-such-topic',
  }).handler;
  const response = await broken({ Records: batch });
  expect(response.batchItemFailures).toEqual(batch.map((r) => ({ itemIdentifier: r.dynamodb!.SequenceNumber })));
  process.env[ENV.questionsTopicArn] = topic.topicArn;
  expect(await stored('refused-0')).not.toHaveProperty('NotifiedAt');
  expect(await handler({ Records: batch })).toEqual({ batchItemFailures: [] });
  expect(await topic.receive(3)).toHaveLength(3);
});

test('a missing topic setting fails at cold start, naming it', () => {
  expect(() => loadHandler('../../handlers/process-questions-stream', { [ENV.questionsTopicArn]: undefined })).toThrow(
    ENV.questionsTopicArn,
  );
  process.env[ENV.questionsTopicArn] = topic.topicArn;
});

test('traced in the bundle: SNS subsegments under per-record subsegments annotated with QuestionId', async () => {
  const traced = await storeQuestions('traced', 2);
  const runtime = await startFunctionRuntime({
    key: 'processQuestionsStream',
    functionName: names.function('test', 'processQuestionsStream'),
    environment: {
      ...aws.env,
      [ENV.questionsTopicArn]: topic.topicArn,
      [ENV.questionsTableName]: TABLE,
      POWERTOOLS_LOG_LEVEL: 'SILENT',
    },
    tracing: 'Active',
    daemonAddress: xray.address,
  });
  try {
    const result = await runtime.invoke({ Records: [traced[0], poison(traced[0]), traced[1]] });
    expect(result.result).toEqual({ batchItemFailures: [{ itemIdentifier: '999999999999' }] });
    const count = (docs: { name: string; trace_id: string }[], name: string) =>
      docs.filter((d) => d.name === name && d.trace_id === result.traceId).length;
    // UDP keeps no order: wait for every document of the invocation (the Lambda segment is sent last).
    const all = await xray.waitFor(
      (docs) =>
        count(docs, 'SNS') === 2 &&
        count(docs, 'publishQuestion') === 3 &&
        docs.some((d) => d.origin === 'AWS::Lambda' && d.trace_id === result.traceId),
    );
    const docs = all.filter((d) => d.trace_id === result.traceId);
    // A stream invocation starts its own trace: the Lambda segment has no parent.
    expect(docs.find((d) => d.origin === 'AWS::Lambda')?.parent_id).toBeUndefined();
    const perRecord = docs.filter((d) => d.name === 'publishQuestion');
    expect(perRecord).toHaveLength(3);
    const annotated = perRecord
      .map((d) => d.annotations?.[ANNOTATIONS.questionId])
      .filter(Boolean)
      .sort();
    expect(annotated).toEqual(['traced-0', 'traced-1']);
    for (const sns of docs.filter((d) => d.name === 'SNS')) {
      expect(sns.namespace).toBe('aws');
      expect(sns.aws).toMatchObject({ operation: 'Publish' });
      expect(perRecord.map((d) => d.id)).toContain(sns.parent_id);
    }
    const failed = perRecord.find((d) => d.annotations?.[ANNOTATIONS.questionId] === undefined)!;
    expect(failed.fault).toBe(true);
    expect(failed.cause?.exceptions?.[0]?.message).toMatch(/not a question/);
    await topic.receive(2);
  } finally {
    await runtime.stop();
  }
});
