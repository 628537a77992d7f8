/**
 * Property: whatever records of a batch fail (a poison record that always fails, transient SNS or DynamoDB
 * errors), Lambda's retry semantics (ReportBatchItemFailures: retry from the lowest failed sequence number;
 * bisect on function errors; bounded retries, then the on-failure destination) followed by a replay of the
 * questions not marked notified e-mail every good question exactly once, and the poison ones never.
 * The stream handler runs in-process over in-memory DynamoDB and SNS clients that keep the conditional-write
 * rules, behind the real table store and topic publisher (awsNotifier).
 */
import { ConditionalCheckFailedException, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { PublishCommand } from '@aws-sdk/client-sns';
import { marshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import fc from 'fast-check';
import { QUESTIONS_STREAM_MAPPING } from '../../system/definition';
import { firstFailedIndex } from '../../sandbox/streams/stream-poller';
import { createStreamHandler } from '../../handlers/process-questions-stream/handler';
import { awsNotifier, notifyQuestion, type NotifyDependencies } from '../../handlers/process-questions-stream/notify';
import { createLogger } from '../../handlers/shared/logger';

type Item = Record<string, unknown> & { QuestionId: string };

/**
 * The two conditional UpdateItem shapes notify.ts sends, with DynamoDB's semantics (no upsert when the condition needs
 * the item).
 */
class MemoryTable {
  readonly items = new Map<string, Item>();
  failNextWrites = 0;

  async send(command: any): Promise<any> {
    if (!(command instanceof UpdateItemCommand)) throw new Error('unexpected command');
    if (this.failNextWrites > 0) {
      this.failNextWrites--;
      throw Object.assign(new Error('ProvisionedThroughputExceededException'), {
        name: 'ProvisionedThroughputExceededException',
      });
    }
    const { Key, UpdateExpression, ConditionExpression } = (command as UpdateItemCommand).input;
    const item = this.items.get(Key!.QuestionId.S!);
    expect(ConditionExpression).toContain('attribute_exists(QuestionId) AND attribute_not_exists(#notifiedAt)');
    if (!item || item.NotifiedAt !== undefined) {
      // The plain client's failure carries the old item marshalled (ReturnValuesOnConditionCheckFailure: ALL_OLD).
      throw new ConditionalCheckFailedException({
        message: 'The conditional request failed',
        $metadata: {},
        Item: item && marshall(item),
      });
    }
    if (UpdateExpression!.includes('#attempts')) item.NotifyAttempts = Number(item.NotifyAttempts ?? 0) + 1;
    else item.NotifiedAt = new Date().toISOString();
    return {};
  }
}

class MemoryTopic {
  readonly published: string[] = [];
  poison = new Set<string>();
  transient = new Map<string, number>();

  async send(command: any): Promise<any> {
    if (!(command instanceof PublishCommand)) throw new Error('unexpected command');
    const id = /Question id: (\S+)/.exec((command as PublishCommand).input.Message!)![1];
    if (this.poison.has(id)) throw new Error(`cannot publish ${id}`);
    const failures = this.transient.get(id) ?? 0;
    if (failures > 0) {
      this.transient.set(id, failures - 1);
      throw new Error(`throttled ${id}`);
    }
    this.published.push(id);
    return { MessageId: id };
  }
}

const insertRecord = (id: string, sequence: number): DynamoDBRecord => ({
  eventID: `event-${sequence}`,
  eventName: 'INSERT',
  eventSource: 'aws:dynamodb',
  dynamodb: {
    SequenceNumber: String(1000 + sequence),
    Keys: { QuestionId: { S: id } },
    NewImage: {
      QuestionId: { S: id },
      UserEmailAddress: { S: `${id}@example.com` },
      QuestionText: { S: `question ${id}` },
    },
  },
});

/**
 * Lambda's stream retry loop, as the sandbox poller runs it; returns the records sent to the on-failure destination.
 */
async function deliver(
  handler: (event: DynamoDBStreamEvent) => Promise<DynamoDBBatchResponse>,
  records: DynamoDBRecord[],
  attempt = 0,
): Promise<DynamoDBRecord[]> {
  if (records.length === 0) return [];
  let invocation: { ok: boolean; result?: unknown };
  try {
    invocation = { ok: true, result: await handler({ Records: records }) };
  } catch {
    invocation = { ok: false };
  }
  const batch = records.map((r) => ({
    shardId: 's',
    sequenceNumber: r.dynamodb!.SequenceNumber!,
    createdAt: 0,
    lambdaRecord: r,
  }));
  const failedFrom = firstFailedIndex(batch, invocation, true);
  if (failedFrom === -1) return [];
  const remaining = records.slice(failedFrom);
  if (attempt >= QUESTIONS_STREAM_MAPPING.maximumRetryAttempts) return remaining;
  if (!invocation.ok && remaining.length > 1) {
    const half = Math.ceil(remaining.length / 2);
    return [
      ...(await deliver(handler, remaining.slice(0, half), attempt + 1)),
      ...(await deliver(handler, remaining.slice(half), attempt + 1)),
    ];
  }
  return deliver(handler, remaining, attempt + 1);
}

const table = new MemoryTable();
const topic = new MemoryTopic();
const deps: NotifyDependencies = {
  dynamodb: table,
  sns: topic,
  tableName: 'questions',
  topicArn: 'arn:aws:sns:us-east-1:000000000000:q',
};
const logger = createLogger('process-questions-stream');

beforeAll(() => {
  process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
});

const recordFate = fc.oneof(
  { weight: 5, arbitrary: fc.constant({ kind: 'good' as const, transient: 0 }) },
  { weight: 2, arbitrary: fc.integer({ min: 1, max: 6 }).map((transient) => ({ kind: 'good' as const, transient })) },
  { weight: 1, arbitrary: fc.constant({ kind: 'poison' as const, transient: 0 }) },
);

test('property: every good question is e-mailed exactly once across retries and replay; poison ones never', async () => {
  let run = 0;
  await fc.assert(
    fc.asyncProperty(
      fc.array(recordFate, { minLength: 1, maxLength: QUESTIONS_STREAM_MAPPING.batchSize }),
      fc.integer({ min: 0, max: 3 }),
      async (fates, failingWrites) => {
        run++;
        table.items.clear();
        topic.published.length = 0;
        topic.poison.clear();
        topic.transient.clear();
        const ids = fates.map((_, i) => `r${run}-q${i}`);
        fates.forEach((fate, i) => {
          table.items.set(ids[i], { QuestionId: ids[i] });
          if (fate.kind === 'poison') topic.poison.add(ids[i]);
          if (fate.transient) topic.transient.set(ids[i], fate.transient);
        });
        table.failNextWrites = failingWrites;
        const handler = createStreamHandler({
          service: 'process-questions-stream',
          notifier: awsNotifier(deps),
          logger,
        });
        const onFailure = await deliver(handler, ids.map(insertRecord));
        // The replay, run until nothing is left but poison: each question not marked notified goes through the
        // same notify code; one that still fails stays unmarked for the next run.
        for (let pass = 0; pass < 8; pass++) {
          for (const id of ids) {
            if (table.items.get(id)!.NotifiedAt !== undefined) continue;
            await notifyQuestion(deps, {
              QuestionId: id,
              UserEmailAddress: `${id}@example.com`,
              QuestionText: `question ${id}`,
            }).catch(() => undefined);
          }
        }
        const good = ids.filter((id) => !topic.poison.has(id));
        const counts = new Map<string, number>();
        for (const id of topic.published) counts.set(id, (counts.get(id) ?? 0) + 1);
        for (const id of good) expect({ id, sent: counts.get(id) ?? 0 }).toEqual({ id, sent: 1 });
        for (const id of topic.published) expect(good).toContain(id);
        for (const [id, n] of counts) expect({ id, n }).toEqual({ id, n: 1 });
        // Whatever reached the on-failure destination is recoverable: stored and, unless poison or still failing, sent.
        for (const record of onFailure) expect(table.items.has(record.dynamodb!.Keys!.QuestionId.S!)).toBe(true);
      },
    ),
    { numRuns: 300 },
  );
});
