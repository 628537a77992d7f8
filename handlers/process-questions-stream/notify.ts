/**
 * E-mails one stored question to the staff (SNS Publish) at most once per successful mark, shared by the stream
 * function and `npm run replay-questions`:
 *
 * 1. `beginAttempt`: a conditional UpdateItem counts the attempt, and fails when the question is already marked
 *    `NotifiedAt` (skip: a retried batch or a replay does not e-mail it again) or no longer stored (skip).
 * 2. Publish.
 * 3. `markNotified`: a conditional UpdateItem sets `NotifiedAt` (only on a stored, not yet marked question).
 *
 * Mark after publish, not claim before it: a crash between a claim and the publish would lose the e-mail for
 * good (the claim hides it from every retry), while a crash between the publish and the mark sends it once more
 * on the retry. SNS cannot be asked whether a message went out, so one of the two windows is unavoidable; this
 * one keeps every question and makes a duplicate possible only in that window (one DynamoDB write long).
 *
 * The steps go through two small interfaces, a `NotificationStore` (1 and 3) and a `QuestionPublisher` (2), so
 * the flow is tested with in-memory ones; `awsNotifier` puts the questions table and the topic behind them.
 */
import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import { ConditionalCheckFailedException, UpdateItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import * as z from '../shared/zod';

export const StoredQuestion = z.object({
  QuestionId: z.string().check(z.minLength(1)),
  UserEmailAddress: z.string().check(z.minLength(1)),
  QuestionText: z.string(),
  CreatedAt: z.optional(z.string()),
});
export type StoredQuestion = z.infer<typeof StoredQuestion>;

/** Attributes this module writes on a question item. */
export const NOTIFY_ATTRIBUTES = {
  notifiedAt: 'NotifiedAt',
  attempts: 'NotifyAttempts',
} as const;

export type NotifyOutcome = 'published' | 'already-notified' | 'not-stored';

/** A lone surrogate cannot be serialized for SNS: show it as U+FFFD rather than fail the e-mail forever. */
const wellFormed = (text: string) => text.replace(/\p{Cs}/gu, '\uFFFD');

/** SNS subjects: at most 100 printable ASCII characters, no line breaks. */
export function subjectFor(question: StoredQuestion): string {
  const subject = `New question from ${question.UserEmailAddress}`.replace(/[^\x20-\x7e]/g, '?');
  return subject.length <= 100 ? subject : `${subject.slice(0, 99)}…`.replace(/[^\x20-\x7e]/g, '.');
}

export function messageFor(question: StoredQuestion): string {
  return wellFormed(
    [
      `${question.UserEmailAddress} asked a question${question.CreatedAt ? ` at ${question.CreatedAt}` : ''}:`,
      '',
      question.QuestionText,
      '',
      `Reply to: ${question.UserEmailAddress}`,
      `Question id: ${question.QuestionId}`,
    ].join('\n'),
  );
}

/** Step 1 and 3 of a notification: the attempt count and the `NotifiedAt` mark on the stored question. */
export interface NotificationStore {
  /** Counts an attempt; says why not to send when the question is already marked notified or no longer stored. */
  beginAttempt(questionId: string): Promise<Exclude<NotifyOutcome, 'published'> | undefined>;
  /** Marks the question notified; false when it was marked meanwhile by another sender (or is gone). */
  markNotified(questionId: string): Promise<boolean>;
}

/** Step 2: the e-mail to the staff. */
export interface QuestionPublisher {
  publish(question: StoredQuestion): Promise<void>;
}

export interface Notifier {
  store: NotificationStore;
  publisher: QuestionPublisher;
}

/** The AWS clients and names behind a Notifier (the stream function's, and `npm run replay-questions`'). */
export interface NotifyDependencies {
  /** The plain DynamoDB client (not the document client): keys and values are marshalled here. */
  dynamodb: Pick<DynamoDBClient, 'send'>;
  sns: Pick<SNSClient, 'send'>;
  tableName: string;
  topicArn: string;
  now?: () => Date;
}

/** The conditions both writes need: the question is stored (UpdateItem would otherwise create it) and not marked. */
const STORED_AND_NOT_NOTIFIED = 'attribute_exists(QuestionId) AND attribute_not_exists(#notifiedAt)';

export function dynamoNotificationStore(
  dynamodb: Pick<DynamoDBClient, 'send'>,
  tableName: string,
  now: () => Date = () => new Date(),
): NotificationStore {
  return {
    async beginAttempt(questionId) {
      try {
        await dynamodb.send(
          new UpdateItemCommand({
            TableName: tableName,
            Key: marshall({ QuestionId: questionId }),
            UpdateExpression: 'SET #attempts = if_not_exists(#attempts, :zero) + :one',
            ConditionExpression: STORED_AND_NOT_NOTIFIED,
            ExpressionAttributeNames: {
              '#attempts': NOTIFY_ATTRIBUTES.attempts,
              '#notifiedAt': NOTIFY_ATTRIBUTES.notifiedAt,
            },
            ExpressionAttributeValues: marshall({ ':zero': 0, ':one': 1 }),
            // The item in the failure tells "already notified" (it exists) from "gone" (no item).
            ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
          }),
        );
        return undefined;
      } catch (err) {
        if (!(err instanceof ConditionalCheckFailedException)) throw err;
        return err.Item ? 'already-notified' : 'not-stored';
      }
    },
    async markNotified(questionId) {
      try {
        await dynamodb.send(
          new UpdateItemCommand({
            TableName: tableName,
            Key: marshall({ QuestionId: questionId }),
            UpdateExpression: 'SET #notifiedAt = :now',
            ConditionExpression: STORED_AND_NOT_NOTIFIED,
            ExpressionAttributeNames: { '#notifiedAt': NOTIFY_ATTRIBUTES.notifiedAt },
            ExpressionAttributeValues: marshall({ ':now': now().toISOString() }),
          }),
        );
        return true;
      } catch (err) {
        if (err instanceof ConditionalCheckFailedException) return false;
        throw err;
      }
    },
  };
}

export function snsQuestionPublisher(sns: Pick<SNSClient, 'send'>, topicArn: string): QuestionPublisher {
  return {
    async publish(question) {
      await sns.send(
        new PublishCommand({ TopicArn: topicArn, Subject: subjectFor(question), Message: messageFor(question) }),
      );
    },
  };
}

export function awsNotifier(deps: NotifyDependencies): Notifier {
  return {
    store: dynamoNotificationStore(deps.dynamodb, deps.tableName, deps.now),
    publisher: snsQuestionPublisher(deps.sns, deps.topicArn),
  };
}

/**
 * Publishes the question unless it is already marked notified, then marks it. Throws when the publish or the
 * mark fails: the caller retries (a failed mark after a publish means one more e-mail on the retry).
 */
export async function notify(
  notifier: Notifier,
  question: StoredQuestion,
  onDuplicate?: (questionId: string) => void,
): Promise<NotifyOutcome> {
  const skip = await notifier.store.beginAttempt(question.QuestionId);
  if (skip) return skip;
  await notifier.publisher.publish(question);
  if (!(await notifier.store.markNotified(question.QuestionId))) onDuplicate?.(question.QuestionId);
  return 'published';
}

/** `notify` over the AWS clients (what `npm run replay-questions` calls). */
export function notifyQuestion(
  deps: NotifyDependencies,
  question: StoredQuestion,
  onDuplicate?: (questionId: string) => void,
): Promise<NotifyOutcome> {
  return notify(awsNotifier(deps), question, onDuplicate);
}
