/**
 * Test support: real local AWS stand-ins (DynamoDB Local, fauxqs) for one test file, plus the few calls tests
 * need against them: tables from TABLES, the mysfits catalogue, DynamoDB stream records shaped as Lambda
 * receives them, and an SNS topic with an SQS queue subscribed to it.
 */
import {
  CreateTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  ScanCommand,
  type AttributeValue,
} from '@aws-sdk/client-dynamodb';
import {
  DynamoDBStreamsClient,
  GetRecordsCommand,
  GetShardIteratorCommand,
  DescribeStreamCommand,
} from '@aws-sdk/client-dynamodb-streams';
import { BatchWriteCommand, DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { CreateTopicCommand, SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import {
  CreateQueueCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import type { DynamoDBRecord } from 'aws-lambda';
import { TABLES } from '../../system/definition';
import { startDynamoDbLocal, startFauxqs, type LocalService } from '../../sandbox/services/local-services';
import mysfits from '../../data/mysfits.json';

export const REGION = 'us-east-1';
export const CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' };

/** Environment a handler (in-process or in a function runtime) needs to reach the local services. */
export function awsEnvironment(endpoints: { dynamodb?: string; fauxqs?: string }): Record<string, string> {
  const env: Record<string, string> = {
    AWS_REGION: REGION,
    AWS_ACCESS_KEY_ID: CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: CREDENTIALS.secretAccessKey,
  };
  if (endpoints.dynamodb) env.AWS_ENDPOINT_URL_DYNAMODB = endpoints.dynamodb;
  if (endpoints.fauxqs) {
    env.AWS_ENDPOINT_URL_SNS = endpoints.fauxqs;
    env.AWS_ENDPOINT_URL_SQS = endpoints.fauxqs;
    env.AWS_ENDPOINT_URL_S3 = endpoints.fauxqs;
  }
  return env;
}

export interface LocalAws {
  dynamodb?: LocalService;
  fauxqs?: LocalService;
  env: Record<string, string>;
  stop(): Promise<void>;
}

/** Starts the requested services in parallel; on failure stops whatever did start. */
export async function startLocalAws(which: { dynamodb?: boolean; fauxqs?: boolean }): Promise<LocalAws> {
  const results = await Promise.allSettled([
    which.dynamodb ? startDynamoDbLocal() : Promise.resolve(undefined),
    which.fauxqs ? startFauxqs() : Promise.resolve(undefined),
  ]);
  const started = results.flatMap((r) => (r.status === 'fulfilled' && r.value ? [r.value] : []));
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) {
    await Promise.all(started.map((s) => s.stop()));
    throw failed.reason;
  }
  const [dynamodb, fauxqs] = results.map((r) => (r as PromiseFulfilledResult<LocalService | undefined>).value);
  return {
    dynamodb,
    fauxqs,
    env: awsEnvironment({ dynamodb: dynamodb?.endpoint, fauxqs: fauxqs?.endpoint }),
    stop: async () => {
      await Promise.all(started.map((s) => s.stop()));
    },
  };
}

export const dynamoDbClient = (endpoint: string) =>
  new DynamoDBClient({ endpoint, region: REGION, credentials: CREDENTIALS });

/** Creates a table shaped as TABLES[key] says (with its stream, if any). */
export async function createTable(endpoint: string, key: keyof typeof TABLES, tableName: string): Promise<void> {
  const table = TABLES[key];
  const client = dynamoDbClient(endpoint);
  await client.send(
    new CreateTableCommand({
      TableName: tableName,
      AttributeDefinitions: [{ AttributeName: table.hashKey.name, AttributeType: table.hashKey.type }],
      KeySchema: [{ AttributeName: table.hashKey.name, KeyType: 'HASH' }],
      BillingMode: 'PAY_PER_REQUEST',
      StreamSpecification: table.streamViewType
        ? { StreamEnabled: true, StreamViewType: table.streamViewType }
        : undefined,
    }),
  );
  client.destroy();
}

export async function seedMysfits(endpoint: string, tableName: string): Promise<void> {
  const documents = DynamoDBDocumentClient.from(dynamoDbClient(endpoint));
  for (let i = 0; i < mysfits.length; i += 25) {
    await documents.send(
      new BatchWriteCommand({
        RequestItems: { [tableName]: mysfits.slice(i, i + 25).map((Item) => ({ PutRequest: { Item } })) },
      }),
    );
  }
  documents.destroy();
}

export async function scanTable(endpoint: string, tableName: string): Promise<Record<string, AttributeValue>[]> {
  const client = dynamoDbClient(endpoint);
  const items: Record<string, AttributeValue>[] = [];
  let start: Record<string, AttributeValue> | undefined;
  do {
    const page = await client.send(new ScanCommand({ TableName: tableName, ExclusiveStartKey: start }));
    items.push(...(page.Items ?? []));
    start = page.LastEvaluatedKey;
  } while (start);
  client.destroy();
  return items;
}

/**
 * Every record so far on the table's stream, shaped as Lambda's DynamoDB event source delivers them
 * (`eventSourceARN` added, `ApproximateCreationDateTime` in epoch seconds).
 */
export async function readStreamRecords(endpoint: string, tableName: string): Promise<DynamoDBRecord[]> {
  const dynamodb = dynamoDbClient(endpoint);
  const streams = new DynamoDBStreamsClient({ endpoint, region: REGION, credentials: CREDENTIALS });
  try {
    const { Table } = await dynamodb.send(new DescribeTableCommand({ TableName: tableName }));
    const streamArn = Table?.LatestStreamArn;
    if (!streamArn) throw new Error(`table ${tableName} has no stream`);
    const { StreamDescription } = await streams.send(new DescribeStreamCommand({ StreamArn: streamArn }));
    const records: DynamoDBRecord[] = [];
    for (const shard of StreamDescription?.Shards ?? []) {
      let { ShardIterator: iterator } = await streams.send(
        new GetShardIteratorCommand({
          StreamArn: streamArn,
          ShardId: shard.ShardId,
          ShardIteratorType: 'TRIM_HORIZON',
        }),
      );
      while (iterator) {
        const page = await streams.send(new GetRecordsCommand({ ShardIterator: iterator }));
        for (const record of page.Records ?? []) {
          const { ApproximateCreationDateTime, ...rest } = record.dynamodb ?? {};
          records.push({
            ...(record as unknown as DynamoDBRecord),
            eventSourceARN: streamArn,
            dynamodb: {
              ...(rest as DynamoDBRecord['dynamodb']),
              ApproximateCreationDateTime: ApproximateCreationDateTime
                ? Math.floor(new Date(ApproximateCreationDateTime).getTime() / 1000)
                : undefined,
            },
          });
        }
        // An open shard keeps returning an iterator; stop once a page comes back empty.
        iterator = page.Records?.length ? page.NextShardIterator : undefined;
      }
    }
    return records;
  } finally {
    dynamodb.destroy();
    streams.destroy();
  }
}

export interface TopicWithQueue {
  topicArn: string;
  queueUrl: string;
  /** Receives (and deletes) messages until `count` arrived or the time is up. Bodies are SNS envelopes. */
  receive(count: number, timeoutMs?: number): Promise<{ Subject?: string; Message: string }[]>;
  /** Messages waiting (visible + in flight). */
  depth(): Promise<number>;
}

/** An SNS topic with an SQS queue subscribed to it, in fauxqs. */
export async function createTopicWithQueue(endpoint: string, name: string): Promise<TopicWithQueue> {
  const sns = new SNSClient({ endpoint, region: REGION, credentials: CREDENTIALS });
  const sqs = new SQSClient({ endpoint, region: REGION, credentials: CREDENTIALS });
  const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: name }));
  const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: `${name}-inbox` }));
  const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }));
  await sns.send(new SubscribeCommand({ TopicArn, Protocol: 'sqs', Endpoint: Attributes!.QueueArn }));
  return {
    topicArn: TopicArn!,
    queueUrl: QueueUrl!,
    async receive(count, timeoutMs = 5000) {
      const deadline = Date.now() + timeoutMs;
      const out: { Subject?: string; Message: string }[] = [];
      while (out.length < count && Date.now() < deadline) {
        const { Messages } = await sqs.send(
          new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }),
        );
        for (const message of Messages ?? []) {
          out.push(JSON.parse(message.Body!));
          await sqs.send(new DeleteMessageCommand({ QueueUrl, ReceiptHandle: message.ReceiptHandle }));
        }
      }
      return out;
    },
    async depth() {
      const { Attributes: a } = await sqs.send(
        new GetQueueAttributesCommand({
          QueueUrl,
          AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
        }),
      );
      return Number(a?.ApproximateNumberOfMessages ?? 0) + Number(a?.ApproximateNumberOfMessagesNotVisible ?? 0);
    },
  };
}

/** A Lambda context good enough for handlers called in-process. */
export function lambdaContext(requestId = 'test-request-id'): import('aws-lambda').Context {
  return {
    awsRequestId: requestId,
    functionName: 'test',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:test',
    memoryLimitInMB: '256',
    logGroupName: '/aws/lambda/test',
    logStreamName: 'local',
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => 10000,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

/**
 * Loads a handler module fresh (it reads its settings at cold start) after putting `env` into process.env
 * (undefined deletes). The variables stay set: the SDK reads region, endpoints and credentials lazily.
 * Jest gives each test file its own process.env, so this does not leak into other files.
 */
export function loadHandler<T>(modulePath: string, env: Record<string, string | undefined>): T {
  for (const [k, v] of Object.entries(env)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  let loaded: T | undefined;
  jest.isolateModules(() => {
    loaded = require(modulePath) as T;
  });
  return loaded!;
}
