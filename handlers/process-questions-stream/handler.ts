/**
 * Questions table stream (DynamoDB Streams, NEW_IMAGE): for each INSERT, e-mails the question to the staff
 * through the questions topic, once (./notify: a conditional mark in the table makes a retried batch skip the
 * questions already sent). The event source mapping only delivers INSERTs (filter criteria); other records are
 * ignored here too, so the marks (MODIFY) and TTL deletions (REMOVE) never send anything. Failed records are
 * returned as `batchItemFailures` (ReportBatchItemFailures); a record that cannot be parsed is reported, never
 * thrown on, and never stops the others.
 *
 * DynamoDB Streams carry no trace context, so this invocation starts a trace of its own: the `QuestionId`
 * annotation on each record's subsegment is what joins it to the post-question trace.
 */
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { ANNOTATIONS } from '../../system/trace-names';
import type { Logger } from '../shared/logger';
import { annotate, traceInvocation, withSubsegment } from '../shared/tracing';
import { notify, StoredQuestion, type Notifier } from './notify';

export class PoisonRecord extends Error {
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
    throw new PoisonRecord(
      `not a question: ${parsed.error.issues.map((i) => `${i.path.join('.')} ${i.message}`).join('; ')}`,
    );
  }
  return parsed.data;
}

export interface StreamHandlerDependencies {
  service: string;
  notifier: Notifier;
  logger: Logger;
}

/** The handler over the given store and publisher: index.ts passes the table and topic, tests in-memory ones. */
export function createStreamHandler({ service, notifier, logger }: StreamHandlerDependencies) {
  async function publishQuestion(record: DynamoDBRecord): Promise<void> {
    // A throw here closes the subsegment as a fault with its cause, and fails this record only.
    await withSubsegment('publishQuestion', async (subsegment) => {
      const question = questionOf(record);
      annotate(subsegment, ANNOTATIONS.questionId, question.QuestionId);
      const outcome = await notify(notifier, question, (questionId) =>
        logger.warn('question was marked notified by another sender meanwhile: e-mailed twice', { questionId }),
      );
      logger.info(outcome === 'published' ? 'question published' : `question skipped: ${outcome}`, {
        questionId: question.QuestionId,
      });
    });
  }

  return async function handler(event: DynamoDBStreamEvent): Promise<DynamoDBBatchResponse> {
    return traceInvocation(service, async () => {
      // Only new questions are e-mailed (the mapping's filter already drops the rest: this is a second guard).
      // A batch's questions are published concurrently: a batch takes as long as its slowest publish, not the sum.
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
  };
}
