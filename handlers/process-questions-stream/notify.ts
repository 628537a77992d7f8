/**
 * E-mails one stored question to the staff (SNS Publish) at most once per successful mark, shared by the stream
 * function and `npm run replay-questions`:
 *
 * 1. `begin`: a conditional UpdateItem counts the attempt, and fails when the question is already marked
 *    `NotifiedAt` (skip: a retried batch or a replay does not e-mail it again) or no longer stored (skip).
 * 2. Publish.
 * 3. `mark`: a conditional UpdateItem sets `NotifiedAt` (only on a stored, not yet marked question).
 *
 * Mark after publish, not claim before it: a crash between a claim and the publish would lose the e-mail for
 * good (the claim hides it from every retry), while a crash between the publish and the mark sends it once more
 * on the retry. SNS cannot be asked whether a message went out, so one of the two windows is unavoidable; this
 * one keeps every question and makes a duplicate possible only in that window (one DynamoDB write long).
 */
import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import { UpdateItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
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

export interface NotifyDependencies {
  /** The plain DynamoDB client (not the document client): keys and values are marshalled here. */
  dynamodb: Pick<DynamoDBClient, 'send'>;
  sns: Pick<SNSClient, 'send'>;
  tableName: string;
  topicArn: string;
  now?: () => Date;
}

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

/**
 * By name, as the SDK's error name, not `instanceof ConditionalCheckFailedException`: the same check whichever
 * copy of the SDK threw it (the tests load the handler in a module registry of its own, with its own SDK classes,
 * and drive it with clients from another).
 */
const isConditionFailure = (err: unknown): err is { name: string; Item?: unknown } =>
  (err as { name?: unknown } | null)?.name === 'ConditionalCheckFailedException';

/** Counts the attempt; says why not to send when the question is already notified or gone. */
async function begin(deps: NotifyDependencies, questionId: string): Promise<NotifyOutcome | undefined> {
  try {
    await deps.dynamodb.send(
      new UpdateItemCommand({
        TableName: deps.tableName,
        Key: marshall({ QuestionId: questionId }),
        UpdateExpression: 'SET #attempts = if_not_exists(#attempts, :zero) + :one',
        // attribute_exists: UpdateItem would otherwise create an item for a question that is gone.
        ConditionExpression: 'attribute_exists(QuestionId) AND attribute_not_exists(#notifiedAt)',
        ExpressionAttributeNames: {
          '#attempts': NOTIFY_ATTRIBUTES.attempts,
          '#notifiedAt': NOTIFY_ATTRIBUTES.notifiedAt,
        },
        ExpressionAttributeValues: marshall({ ':zero': 0, ':one': 1 }),
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      }),
    );
    return undefined;
  } catch (err) {
    if (!isConditionFailure(err)) throw err;
    return err.Item ? 'already-notified' : 'not-stored';
  }
}

/** Marks the question notified; false when it was marked meanwhile by another sender (or is gone). */
async function mark(deps: NotifyDependencies, questionId: string): Promise<boolean> {
  try {
    await deps.dynamodb.send(
      new UpdateItemCommand({
        TableName: deps.tableName,
        Key: marshall({ QuestionId: questionId }),
        UpdateExpression: 'SET #notifiedAt = :now',
        ConditionExpression: 'attribute_exists(QuestionId) AND attribute_not_exists(#notifiedAt)',
        ExpressionAttributeNames: { '#notifiedAt': NOTIFY_ATTRIBUTES.notifiedAt },
        ExpressionAttributeValues: marshall({ ':now': (deps.now?.() ?? new Date()).toISOString() }),
      }),
    );
    return true;
  } catch (err) {
    if (isConditionFailure(err)) return false;
    throw err;
  }
}

/**
 * Publishes the question unless it is already marked notified, then marks it. Throws when the publish or the
 * mark fails: the caller retries (a failed mark after a publish means one more e-mail on the retry).
 */
export async function notifyQuestion(
  deps: NotifyDependencies,
  question: StoredQuestion,
  onDuplicate?: (questionId: string) => void,
): Promise<NotifyOutcome> {
  const skip = await begin(deps, question.QuestionId);
  if (skip) return skip;
  await deps.sns.send(
    new PublishCommand({ TopicArn: deps.topicArn, Subject: subjectFor(question), Message: messageFor(question) }),
  );
  if (!(await mark(deps, question.QuestionId))) onDuplicate?.(question.QuestionId);
  return 'published';
}
