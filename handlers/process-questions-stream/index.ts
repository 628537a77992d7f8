/**
 * Questions table stream (DynamoDB Streams, NEW_IMAGE): for each INSERT, publishes to the questions topic a
 * subject and message naming the asker's e-mail and the question. Failed records are returned as
 * `batchItemFailures` (ReportBatchItemFailures), so Lambda retries only those; a record that cannot be parsed
 * is reported, never thrown on, and never stops the others.
 *
 * DynamoDB Streams carry no trace context, so this invocation starts a trace of its own: the `QuestionId`
 * annotation on each record's subsegment is what joins it to the post-question trace.
 */
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import * as z from '../shared/zod';
import { ANNOTATIONS, ENV, FUNCTIONS } from '../../system/definition';
import { createLogger } from '../shared/logger';
import { requiredSetting } from '../shared/settings';
import { annotate, captureClient, traceInvocation, withSubsegment } from '../shared/tracing';

const service = process.env[ENV.serviceName] || FUNCTIONS.processQuestionsStream.name;
const logger = createLogger(service);
const topicArn = requiredSetting(process.env, ENV.questionsTopicArn);
const sns = captureClient(new SNSClient({}));

const StoredQuestion = z.object({
  QuestionId: z.string().check(z.minLength(1)),
  UserEmailAddress: z.string().check(z.minLength(1)),
  QuestionText: z.string(),
  CreatedAt: z.optional(z.string()),
});
type StoredQuestion = z.infer<typeof StoredQuestion>;

class PoisonRecord extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = 'PoisonRecord';
  }
}

function questionOf(record: DynamoDBRecord): StoredQuestion {
  const image = record.dynamodb?.NewImage;
  if (!image) throw new PoisonRecord('the record has no NewImage');
  let item: unknown;
  try {
    item = unmarshall(image as never);
  } catch (err) {
    throw new PoisonRecord(`NewImage is not a DynamoDB item: ${(err as Error).message}`);
  }
  const parsed = StoredQuestion.safeParse(item);
  if (!parsed.success) {
    throw new PoisonRecord(`not a question: ${parsed.error.issues.map((i) => `${i.path.join('.')} ${i.message}`).join('; ')}`);
  }
  return parsed.data;
}

/** SNS subjects: at most 100 printable ASCII characters, no line breaks. */
function subjectFor(question: StoredQuestion): string {
  const subject = `New question from ${question.UserEmailAddress}`.replace(/[^\x20-\x7e]/g, '?');
  return subject.length <= 100 ? subject : `${subject.slice(0, 99)}…`.replace(/[^\x20-\x7e]/g, '.');
}

function messageFor(question: StoredQuestion): string {
  return [
    `${question.UserEmailAddress} asked a question${question.CreatedAt ? ` at ${question.CreatedAt}` : ''}:`,
    '',
    question.QuestionText,
    '',
    `Reply to: ${question.UserEmailAddress}`,
    `Question id: ${question.QuestionId}`,
  ].join('\n');
}

async function publishQuestion(record: DynamoDBRecord): Promise<void> {
  await withSubsegment('publishQuestion', async (subsegment) => {
    const question = questionOf(record);
    annotate(subsegment, ANNOTATIONS.questionId, question.QuestionId);
    await sns.send(new PublishCommand({ TopicArn: topicArn, Subject: subjectFor(question), Message: messageFor(question) }));
    logger.info('question published', { questionId: question.QuestionId });
  });
}

export async function handler(event: DynamoDBStreamEvent): Promise<DynamoDBBatchResponse> {
  return traceInvocation(service, async () => {
    // Edits and deletes send no e-mail. The batch's questions are published concurrently: a batch takes as long
    // as its slowest publish, not the sum, so the stream does not fall behind under load.
    const inserts = (event?.Records ?? []).filter((record) => record?.eventName === 'INSERT');
    const outcomes = await Promise.allSettled(inserts.map((record) => publishQuestion(record)));
    const batchItemFailures: DynamoDBBatchResponse['batchItemFailures'] = [];
    outcomes.forEach((outcome, i) => {
      if (outcome.status === 'fulfilled') return;
      const itemIdentifier = inserts[i].dynamodb?.SequenceNumber ?? inserts[i].eventID ?? '';
      logger.error('question not published', { itemIdentifier, error: outcome.reason });
      batchItemFailures.push({ itemIdentifier });
    });
    return { batchItemFailures };
  });
}
