/**
 * Creates the system's resources in the local services, from the same definitions the stacks use:
 * the tables (keys and stream view from TABLES) with the mysfits seeded from data/mysfits.json, and in fauxqs
 * the questions topic, the stream's on-failure queue, the clicks bucket, and a queue subscribed to the topic that
 * stands in for the staff's e-mail inbox (SNS e-mail subscriptions cannot be delivered here).
 *
 * Idempotent, for a sandbox that keeps its state (`npm start -- --persist`): a table that exists already is used as
 * it is (the mysfits are seeded only into a table created now, so nothing is written over), and fauxqs's create
 * calls return what exists (CreateQueue, CreateTopic and Subscribe are idempotent for the same attributes, as on AWS).
 */
import {
  CreateTableCommand,
  DescribeTableCommand,
  DescribeTimeToLiveCommand,
  ResourceInUseException,
  UpdateTimeToLiveCommand,
  type CreateTableCommandInput,
  type TableDescription,
} from '@aws-sdk/client-dynamodb';
import {
  BatchWriteCommand,
  type BatchWriteCommandInput,
  type BatchWriteCommandOutput,
  DynamoDBDocumentClient,
} from '@aws-sdk/lib-dynamodb';
import { CreateBucketCommand } from '@aws-sdk/client-s3';
import { CreateTopicCommand, SubscribeCommand } from '@aws-sdk/client-sns';
import { CreateQueueCommand, GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import mysfits from '../../data/mysfits.json';
import { TABLES } from '../../system/definition';
import { localNames, type LocalClients } from '../local-aws';

export interface SandboxResources {
  questionsTable: string;
  mysfitsTable: string;
  /** The questions table's stream, read by the stream poller. */
  questionsStreamArn: string;
  topicArn: string;
  mailboxQueueUrl: string;
  onFailureQueueUrl: string;
  onFailureQueueArn: string;
  clicksBucket: string;
  deliveryStream: string;
}

function tableInput(table: keyof typeof TABLES, tableName: string): CreateTableCommandInput {
  const def = TABLES[table];
  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: [{ AttributeName: def.hashKey.name, AttributeType: def.hashKey.type }],
    KeySchema: [{ AttributeName: def.hashKey.name, KeyType: 'HASH' }],
    StreamSpecification: def.streamViewType ? { StreamEnabled: true, StreamViewType: def.streamViewType } : undefined,
  };
}

async function seedMysfits(clients: LocalClients, tableName: string): Promise<void> {
  const doc = DynamoDBDocumentClient.from(clients.dynamodb);
  // BatchWriteItem takes at most 25 items per call.
  for (let i = 0; i < mysfits.length; i += 25) {
    const chunk = mysfits.slice(i, i + 25);
    let unprocessed: BatchWriteCommandInput['RequestItems'] = {
      [tableName]: chunk.map((item) => ({ PutRequest: { Item: item } })),
    };
    while (unprocessed && Object.keys(unprocessed).length > 0) {
      const out: BatchWriteCommandOutput = await doc.send(new BatchWriteCommand({ RequestItems: unprocessed }));
      unprocessed = out.UnprocessedItems;
    }
  }
}

/** Creates the table, or describes it when it exists already (a kept state); says which. */
async function ensureTable(
  clients: LocalClients,
  table: keyof typeof TABLES,
  tableName: string,
): Promise<{ description: TableDescription; created: boolean }> {
  try {
    const out = await clients.dynamodb.send(new CreateTableCommand(tableInput(table, tableName)));
    return { description: out.TableDescription!, created: true };
  } catch (err) {
    if (!(err instanceof ResourceInUseException)) throw err;
    const out = await clients.dynamodb.send(new DescribeTableCommand({ TableName: tableName }));
    return { description: out.Table!, created: false };
  }
}

/** The questions' retention, as deployed (TTL on TABLES.questions.ttlAttribute); once, as a second enable fails. */
async function ensureQuestionsTtl(clients: LocalClients): Promise<void> {
  const { TimeToLiveDescription: ttl } = await clients.dynamodb.send(
    new DescribeTimeToLiveCommand({ TableName: localNames.questionsTable }),
  );
  if (ttl?.TimeToLiveStatus === 'ENABLED' && ttl.AttributeName === TABLES.questions.ttlAttribute) return;
  await clients.dynamodb.send(
    new UpdateTimeToLiveCommand({
      TableName: localNames.questionsTable,
      TimeToLiveSpecification: { AttributeName: TABLES.questions.ttlAttribute, Enabled: true },
    }),
  );
}

export async function provisionResources(clients: LocalClients): Promise<SandboxResources> {
  const questions = await ensureTable(clients, 'questions', localNames.questionsTable);
  // A kept table keeps its stream, under the same ARN (DynamoDB Local stores streams in its database file).
  const questionsStreamArn = questions.description.LatestStreamArn;
  if (!questionsStreamArn) throw new Error(`DynamoDB Local: ${localNames.questionsTable} has no stream`);
  await ensureQuestionsTtl(clients);
  const mysfitsTable = await ensureTable(clients, 'mysfits', localNames.mysfitsTable);
  if (mysfitsTable.created) await seedMysfits(clients, localNames.mysfitsTable);

  const messaging = await provisionMessaging(clients);
  return {
    questionsTable: localNames.questionsTable,
    mysfitsTable: localNames.mysfitsTable,
    questionsStreamArn,
    ...messaging,
    clicksBucket: localNames.clicksBucket,
    deliveryStream: localNames.deliveryStream,
  };
}

/**
 * The fauxqs half: topic, queues, the mailbox subscription and the clicks bucket. Names are fixed, so running it
 * again against a restarted fauxqs on the same port gives the same ARNs and URLs.
 */
export async function provisionMessaging(
  clients: LocalClients,
): Promise<Pick<SandboxResources, 'topicArn' | 'mailboxQueueUrl' | 'onFailureQueueUrl' | 'onFailureQueueArn'>> {
  const { TopicArn: topicArn } = await clients.sns.send(new CreateTopicCommand({ Name: localNames.topic }));
  const { QueueUrl: mailboxQueueUrl } = await clients.sqs.send(
    new CreateQueueCommand({ QueueName: localNames.mailboxQueue }),
  );
  const { QueueUrl: onFailureQueueUrl } = await clients.sqs.send(
    new CreateQueueCommand({ QueueName: localNames.onFailureQueue }),
  );
  if (!topicArn || !mailboxQueueUrl || !onFailureQueueUrl) throw new Error('fauxqs: topic or queue was not created');
  const arnOf = async (QueueUrl: string) => {
    const out = await clients.sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }));
    const arn = out.Attributes?.QueueArn;
    if (!arn) throw new Error(`fauxqs: no ARN for ${QueueUrl}`);
    return arn;
  };
  // SNS envelope kept (no raw delivery): the mailbox shows Subject and Message as an e-mail would.
  await clients.sns.send(
    new SubscribeCommand({ TopicArn: topicArn, Protocol: 'sqs', Endpoint: await arnOf(mailboxQueueUrl) }),
  );
  await clients.s3.send(new CreateBucketCommand({ Bucket: localNames.clicksBucket }));

  return { topicArn, mailboxQueueUrl, onFailureQueueUrl, onFailureQueueArn: await arnOf(onFailureQueueUrl) };
}
