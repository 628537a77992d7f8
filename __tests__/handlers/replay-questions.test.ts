/**
 * `npm run replay-questions -- --sandbox` against DynamoDB Local and fauxqs: e-mails the questions the stream
 * gave up on (older than the grace period, or named by an on-failure message's time window), each exactly once,
 * through the stream's notify code, and deletes the handled on-failure messages.
 */
import { CreateQueueCommand, GetQueueAttributesCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { main, EXIT } from '../../tools/replay-questions/cli';
import { localNames } from '../../sandbox/local-aws';
import {
  createTable,
  createTopicWithQueue,
  CREDENTIALS,
  dynamoDbClient,
  REGION,
  startLocalAws,
  type LocalAws,
  type TopicWithQueue,
} from '../support/local-aws';

let aws: LocalAws;
let topic: TopicWithQueue;
let documents: DynamoDBDocumentClient;
let sqs: SQSClient;
let onFailureQueueUrl: string;

beforeAll(async () => {
  aws = await startLocalAws({ dynamodb: true, fauxqs: true });
  await createTable(aws.dynamodb!.endpoint, 'questions', localNames.questionsTable);
  topic = await createTopicWithQueue(aws.fauxqs!.endpoint, localNames.topic);
  documents = DynamoDBDocumentClient.from(dynamoDbClient(aws.dynamodb!.endpoint));
  sqs = new SQSClient({ endpoint: aws.fauxqs!.endpoint, region: REGION, credentials: CREDENTIALS });
  onFailureQueueUrl = (await sqs.send(new CreateQueueCommand({ QueueName: localNames.onFailureQueue }))).QueueUrl!;
});
afterAll(async () => {
  documents?.destroy();
  sqs?.destroy();
  await aws?.stop();
});

const minutesAgo = (m: number) => new Date(Date.now() - m * 60_000).toISOString();
const put = (QuestionId: string, CreatedAt: string, extra: Record<string, unknown> = {}) =>
  documents.send(
    new PutCommand({
      TableName: localNames.questionsTable,
      Item: {
        QuestionId,
        CreatedAt,
        UserEmailAddress: `${QuestionId}@example.com`,
        QuestionText: `About ${QuestionId}?`,
        ...extra,
      },
    }),
  );

/** What Lambda sends to the on-failure destination for a stream batch: metadata only. */
const onFailureRecord = (first: string, last: string) => ({
  requestContext: {
    requestId: 'r',
    functionArn: localNames.functionArn('processQuestionsStream'),
    condition: 'RetryAttemptsExhausted',
    approximateInvokeCount: 4,
  },
  responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
  version: '1.0',
  timestamp: new Date().toISOString(),
  DDBStreamBatchInfo: {
    shardId: 'shard-1',
    startSequenceNumber: '100',
    endSequenceNumber: '109',
    approximateArrivalOfFirstRecord: first,
    approximateArrivalOfLastRecord: last,
    batchSize: 10,
    streamArn: 'arn:aws:dynamodb:us-east-1:000000000000:table/x/stream/y',
  },
});

function cli(args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const run = main(args, { stdout: (t) => out.push(t), stderr: (t) => err.push(t) });
  return run.then((code) => ({ code, stdout: out.join(''), stderr: err.join('') }));
}
const sandboxArgs = () => [
  '--sandbox',
  '--dynamodb-endpoint',
  aws.dynamodb!.endpoint,
  '--fauxqs-endpoint',
  aws.fauxqs!.endpoint,
];
const queueDepth = async () => {
  const { Attributes } = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: onFailureQueueUrl,
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
    }),
  );
  return Number(Attributes?.ApproximateNumberOfMessages) + Number(Attributes?.ApproximateNumberOfMessagesNotVisible);
};

test('replays each question the stream gave up on exactly once, then deletes the handled messages', async () => {
  await put('old-unsent', minutesAgo(120));
  await put('old-sent', minutesAgo(120), { NotifiedAt: minutesAgo(119) });
  await put('young-unsent', minutesAgo(1)); // the stream may still be on it: left alone
  const failedAt = minutesAgo(5);
  await put('failed-batch', failedAt); // young, but its batch is in the on-failure queue
  await sqs.send(
    new SendMessageCommand({
      QueueUrl: onFailureQueueUrl,
      MessageBody: JSON.stringify(onFailureRecord(failedAt, failedAt)),
    }),
  );

  const dry = await cli([...sandboxArgs(), '--dry-run']);
  expect(dry.code).toBe(EXIT.ok);
  expect(JSON.parse(dry.stdout).candidates.sort()).toEqual(['failed-batch', 'old-unsent']);
  expect(await topic.receive(1, 1500)).toHaveLength(0);

  expect(await queueDepth()).toBe(1); // the dry run deletes nothing
  const first = await cli(sandboxArgs());
  expect(first.code).toBe(EXIT.ok);
  const report = JSON.parse(first.stdout);
  expect(report.outcomes).toEqual({ 'old-unsent': 'published', 'failed-batch': 'published' });
  expect(report.messagesDeleted).toBe(1);
  const mails = await topic.receive(2);
  expect(mails.map((m) => m.Subject).sort()).toEqual([
    'New question from failed-batch@example.com',
    'New question from old-unsent@example.com',
  ]);
  const marked = await documents.send(
    new GetCommand({ TableName: localNames.questionsTable, Key: { QuestionId: 'old-unsent' }, ConsistentRead: true }),
  );
  expect(marked.Item?.NotifiedAt).toEqual(expect.any(String));

  // Run again (an operator's second run, or two at once): nothing is e-mailed twice.
  const second = await cli(sandboxArgs());
  expect(second.code).toBe(EXIT.ok);
  expect(JSON.parse(second.stdout).outcomes).toEqual({});
  expect(await topic.receive(1, 1500)).toHaveLength(0);
  expect(await queueDepth()).toBe(0);
});

test.each([
  [['--env', 'dev', '--sandbox'], /--env and --sandbox/],
  [[], /--env <env> is required/],
  [['--env', 'nosuchenv'], /config\/nosuchenv/],
  [['--sandbox', '--grace-minutes', '-5'], /--grace-minutes/],
])('usage errors name the setting: %j', async (args, message) => {
  const { code, stderr } = await cli(args);
  expect(code).toBe(EXIT.usage);
  expect(stderr).toMatch(message);
});
