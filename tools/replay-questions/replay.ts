/**
 * Replays the questions whose e-mail the stream gave up on. A DynamoDB stream's on-failure record holds batch
 * metadata only (shard, sequence numbers, arrival times), never the question, and the stream keeps records
 * 24 h; the table keeps each question (TTL, 90 days by default) with its `NotifiedAt` mark. So the replay reads
 * the table: every question not marked notified that is older than the grace period (the stream is done
 * with it) or that arrived within an on-failure message's time window is e-mailed through the stream function's
 * own notify code (conditional mark: a question is never e-mailed again once marked). On-failure messages
 * whose questions are all handled are then deleted; the others stay for the next run.
 */
import {
  ChangeMessageVisibilityCommand,
  DeleteMessageCommand,
  ReceiveMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { SNSClient } from '@aws-sdk/client-sns';
import { ScanCommand, type AttributeValue, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import {
  NOTIFY_ATTRIBUTES,
  notifyQuestion,
  StoredQuestion,
  type NotifyOutcome,
} from '../../handlers/process-questions-stream/notify';
import { QUESTIONS_STREAM_MAPPING } from '../../system/definition';

export interface ReplayClients {
  /** The plain client, as the stream function's notify code takes it. */
  dynamodb: Pick<DynamoDBClient, 'send'>;
  sns: Pick<SNSClient, 'send'>;
  sqs: Pick<SQSClient, 'send'>;
}

export interface ReplayTargets {
  tableName: string;
  topicArn: string;
  onFailureQueueUrl: string;
}

export interface ReplayOptions {
  /** Questions younger than this (and named by no on-failure message) are left to the stream. */
  graceMs: number;
  dryRun?: boolean;
  now?: () => number;
  log?: (line: string) => void;
}

/** The stream retries a record for at most maximumRecordAgeInSeconds: after that plus a margin it is done. */
export const DEFAULT_GRACE_MINUTES = Math.ceil(QUESTIONS_STREAM_MAPPING.maximumRecordAgeInSeconds / 60) + 15;

export interface ReplayReport {
  onFailureMessages: number;
  unnotified: number;
  candidates: string[];
  outcomes: Record<string, NotifyOutcome | 'would-send'>;
  failed: { questionId: string; error: string }[];
  messagesDeleted: number;
}

interface FailureWindow {
  receiptHandle: string;
  fromMs: number;
  toMs: number;
}

/** CreatedAt is set just before the put; the stream's arrival time has whole seconds: widen the window. */
const WINDOW_SLACK_MS = 2000;

async function receiveFailureWindows(clients: ReplayClients, queueUrl: string, log: (line: string) => void) {
  const windows: FailureWindow[] = [];
  let unreadable = 0;
  for (;;) {
    const { Messages = [] } = await clients.sqs.send(
      // Hidden for 5 minutes while this run works; undeleted ones come back for the next run.
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: 1,
        VisibilityTimeout: 300,
      }),
    );
    if (Messages.length === 0) break;
    for (const message of Messages) {
      try {
        const info = JSON.parse(message.Body ?? '').DDBStreamBatchInfo;
        const fromMs = Date.parse(info.approximateArrivalOfFirstRecord);
        const toMs = Date.parse(info.approximateArrivalOfLastRecord);
        if (Number.isNaN(fromMs) || Number.isNaN(toMs)) throw new Error('no arrival times');
        windows.push({
          receiptHandle: message.ReceiptHandle!,
          fromMs: fromMs - WINDOW_SLACK_MS,
          toMs: toMs + WINDOW_SLACK_MS,
        });
      } catch (err) {
        unreadable++;
        log(
          `! on-failure message ${message.MessageId} is not a stream on-failure record (${(err as Error).message}): ` +
            `left in the queue`,
        );
      }
    }
  }
  return { windows, unreadable };
}

async function scanUnnotified(clients: ReplayClients, tableName: string): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  let start: Record<string, AttributeValue> | undefined;
  do {
    const page = await clients.dynamodb.send(
      new ScanCommand({
        TableName: tableName,
        FilterExpression: 'attribute_not_exists(#notifiedAt)',
        ExpressionAttributeNames: { '#notifiedAt': NOTIFY_ATTRIBUTES.notifiedAt },
        ConsistentRead: true,
        ExclusiveStartKey: start,
      }),
    );
    items.push(...(page.Items ?? []).map((item) => unmarshall(item)));
    start = page.LastEvaluatedKey;
  } while (start);
  return items;
}

export async function replayQuestions(
  clients: ReplayClients,
  targets: ReplayTargets,
  options: ReplayOptions,
): Promise<ReplayReport> {
  const log = options.log ?? (() => {});
  const now = (options.now ?? Date.now)();
  const { windows } = await receiveFailureWindows(clients, targets.onFailureQueueUrl, log);
  const unnotified = await scanUnnotified(clients, targets.tableName);
  log(`${windows.length} on-failure message(s); ${unnotified.length} question(s) not marked notified`);

  const createdMs = (item: Record<string, unknown>) => Date.parse(String(item.CreatedAt ?? ''));
  const inWindow = (ms: number) => windows.some((w) => ms >= w.fromMs && ms <= w.toMs);
  const candidates = unnotified
    // No readable CreatedAt: old enough (it was never going to be younger).
    .filter(
      (item) => Number.isNaN(createdMs(item)) || createdMs(item) <= now - options.graceMs || inWindow(createdMs(item)),
    )
    .sort((a, b) => String(a.CreatedAt).localeCompare(String(b.CreatedAt)));

  const report: ReplayReport = {
    onFailureMessages: windows.length,
    unnotified: unnotified.length,
    candidates: candidates.map((item) => String(item.QuestionId)),
    outcomes: {},
    failed: [],
    messagesDeleted: 0,
  };
  const failedAt: number[] = [];
  for (const item of candidates) {
    const parsed = StoredQuestion.safeParse(item);
    const id = String(item.QuestionId);
    if (!parsed.success) {
      report.failed.push({ questionId: id, error: `not a question: ${parsed.error.issues[0]?.message}` });
      failedAt.push(createdMs(item));
      continue;
    }
    if (options.dryRun) {
      report.outcomes[id] = 'would-send';
      log(`would send ${id} (${String(item.CreatedAt)})`);
      continue;
    }
    try {
      report.outcomes[id] = await notifyQuestion(
        { ...clients, tableName: targets.tableName, topicArn: targets.topicArn },
        parsed.data,
      );
      log(`${report.outcomes[id]}: ${id}`);
    } catch (err) {
      report.failed.push({ questionId: id, error: (err as Error).message });
      failedAt.push(createdMs(item));
      log(`! failed: ${id}: ${(err as Error).message}`);
    }
  }
  if (options.dryRun) {
    // Show the messages again at once: a dry run must not hide them from the next (real) run.
    for (const window of windows) {
      await clients.sqs.send(
        new ChangeMessageVisibilityCommand({
          QueueUrl: targets.onFailureQueueUrl,
          ReceiptHandle: window.receiptHandle,
          VisibilityTimeout: 0,
        }),
      );
    }
    return report;
  }
  // A message is handled when no question of its window still fails.
  for (const window of windows) {
    if (failedAt.some((ms) => Number.isNaN(ms) || (ms >= window.fromMs && ms <= window.toMs))) continue;
    await clients.sqs.send(
      new DeleteMessageCommand({ QueueUrl: targets.onFailureQueueUrl, ReceiptHandle: window.receiptHandle }),
    );
    report.messagesDeleted++;
  }
  return report;
}
