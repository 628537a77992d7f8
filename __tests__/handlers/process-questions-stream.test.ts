/**
 * process-questions-stream with real stream records from DynamoDB Local and SNS -> SQS in fauxqs; tracing
 * through the function runtime (the bundle) with a UDP capture.
 */
import { DynamoDBDocumentClient, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
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

const questions = [
  { QuestionId: 'q-1', UserEmailAddress: 'ada@example.com', QuestionText: 'Does Pauly bite?', CreatedAt: '2024-01-01T00:00:00.000Z' },
  { QuestionId: 'q-2', UserEmailAddress: 'bob@example.com', QuestionText: 'Can I adopt two?', CreatedAt: '2024-01-01T00:00:01.000Z' },
  { QuestionId: 'q-3', UserEmailAddress: 'cy@example.com', QuestionText: '¿Habla español?', CreatedAt: '2024-01-01T00:00:02.000Z' },
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
  const documents = DynamoDBDocumentClient.from(dynamoDbClient(endpoint));
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
  documents.destroy();
  const records = await readStreamRecords(endpoint, TABLE);
  expect(records.map((r) => r.eventName)).toEqual(['INSERT', 'INSERT', 'INSERT', 'MODIFY']);
  inserts = records;
  handler = loadHandler<{ handler: Handler }>('../../handlers/process-questions-stream', {
    ...aws.env,
    [ENV.questionsTopicArn]: topic.topicArn,
    POWERTOOLS_LOG_LEVEL: 'SILENT',
  }).handler;
});
afterAll(async () => {
  await xray?.stop();
  await aws?.stop();
});

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
});

test('a poison record is reported in batchItemFailures while the good ones are published', async () => {
  const garbage = { eventID: 'no-image', eventName: 'INSERT' } as DynamoDBRecord;
  const batch = [inserts[0], poison(inserts[0]), inserts[1], garbage, inserts[2]];
  const response = await handler({ Records: batch });
  expect(response.batchItemFailures).toEqual([{ itemIdentifier: '999999999999' }, { itemIdentifier: 'no-image' }]);
  const messages = await topic.receive(3);
  expect(messages.map((m) => m.Subject).sort()).toEqual(questions.map((q) => `New question from ${q.UserEmailAddress}`).sort());
});

test('when SNS refuses, every INSERT is reported for retry, by sequence number', async () => {
  const broken = loadHandler<{ handler: Handler }>('../../handlers/process-questions-stream', {
    [ENV.questionsTopicArn]: 'arn:aws:sns:us-east-1:000000000000:no-such-topic',
  }).handler;
  const response = await broken({ Records: inserts });
  expect(response.batchItemFailures).toEqual(inserts.slice(0, 3).map((r) => ({ itemIdentifier: r.dynamodb!.SequenceNumber })));
  process.env[ENV.questionsTopicArn] = topic.topicArn;
});

test('a missing topic setting fails at cold start, naming it', () => {
  expect(() => loadHandler('../../handlers/process-questions-stream', { [ENV.questionsTopicArn]: undefined })).toThrow(
    ENV.questionsTopicArn,
  );
  process.env[ENV.questionsTopicArn] = topic.topicArn;
});

test('traced in the bundle: SNS subsegments under per-record subsegments annotated with QuestionId', async () => {
  const runtime = await startFunctionRuntime({
    key: 'processQuestionsStream',
    functionName: names.function('test', 'processQuestionsStream'),
    environment: { ...aws.env, [ENV.questionsTopicArn]: topic.topicArn, POWERTOOLS_LOG_LEVEL: 'SILENT' },
    tracing: 'Active',
    daemonAddress: xray.address,
  });
  try {
    const result = await runtime.invoke({ Records: [inserts[0], poison(inserts[0]), inserts[1]] });
    expect(result.result).toEqual({ batchItemFailures: [{ itemIdentifier: '999999999999' }] });
    const count = (docs: { name: string; trace_id: string }[], name: string) =>
      docs.filter((d) => d.name === name && d.trace_id === result.traceId).length;
    // UDP keeps no order: wait for every document of the invocation (the Lambda segment is sent last).
    const all = await xray.waitFor(
      (docs) => count(docs, 'SNS') === 2 && count(docs, 'publishQuestion') === 3 && docs.some((d) => d.origin === 'AWS::Lambda' && d.trace_id === result.traceId),
    );
    const docs = all.filter((d) => d.trace_id === result.traceId);
    // A stream invocation starts its own trace: the Lambda segment has no parent.
    expect(docs.find((d) => d.origin === 'AWS::Lambda')?.parent_id).toBeUndefined();
    const perRecord = docs.filter((d) => d.name === 'publishQuestion');
    expect(perRecord).toHaveLength(3);
    const annotated = perRecord.map((d) => d.annotations?.[ANNOTATIONS.questionId]).filter(Boolean).sort();
    expect(annotated).toEqual(['q-1', 'q-2']);
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
