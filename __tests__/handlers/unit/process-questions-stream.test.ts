/**
 * process-questions-stream's flow over an in-memory notification store and publisher (the table and topic
 * are tested in ../process-questions-stream.test.ts): each INSERT e-mailed once, partial batch failures.
 */
import type { DynamoDBRecord } from 'aws-lambda';
import { ANNOTATIONS } from '../../../system/definition';
import { createStreamHandler } from '../../../handlers/process-questions-stream/handler';
import type {
  NotificationStore,
  NotifyOutcome,
  QuestionPublisher,
  StoredQuestion,
} from '../../../handlers/process-questions-stream/notify';
import { memoryLogger, traced } from './support';

/** What the table promises: attempts counted, a mark set once, nothing done for a question that is gone. */
class MemoryNotificationStore implements NotificationStore {
  readonly questions = new Map<string, { attempts: number; notifiedAt?: string }>();
  /** Marks another sender makes between our publish and our mark. */
  readonly markedMeanwhile = new Set<string>();

  add(...ids: string[]) {
    for (const id of ids) this.questions.set(id, { attempts: 0 });
  }
  async beginAttempt(id: string): Promise<Exclude<NotifyOutcome, 'published'> | undefined> {
    const question = this.questions.get(id);
    if (!question) return 'not-stored';
    if (question.notifiedAt) return 'already-notified';
    question.attempts++;
    return undefined;
  }
  async markNotified(id: string): Promise<boolean> {
    const question = this.questions.get(id);
    if (this.markedMeanwhile.has(id) && question) question.notifiedAt = 'by another sender';
    if (!question || question.notifiedAt) return false;
    question.notifiedAt = new Date().toISOString();
    return true;
  }
}

class MemoryPublisher implements QuestionPublisher {
  readonly published: StoredQuestion[] = [];
  readonly failing = new Map<string, Error>();
  async publish(question: StoredQuestion): Promise<void> {
    const failure = this.failing.get(question.QuestionId);
    if (failure) throw failure;
    this.published.push(question);
  }
}

let store: MemoryNotificationStore;
let publisher: MemoryPublisher;
let logger: ReturnType<typeof memoryLogger>;
const handler = () => createStreamHandler({ service: 'stream', notifier: { store, publisher }, logger });
const publishedIds = () => publisher.published.map((q) => q.QuestionId);

beforeEach(() => {
  store = new MemoryNotificationStore();
  publisher = new MemoryPublisher();
  logger = memoryLogger();
});

let sequence = 0;
function record(
  id: string,
  eventName: DynamoDBRecord['eventName'] = 'INSERT',
  image?: DynamoDBRecord['dynamodb'],
): DynamoDBRecord {
  sequence++;
  return {
    eventID: `event-${sequence}`,
    eventName,
    dynamodb: image ?? {
      SequenceNumber: String(1000 + sequence),
      Keys: { QuestionId: { S: id } },
      NewImage: {
        QuestionId: { S: id },
        UserEmailAddress: { S: `${id}@example.com` },
        QuestionText: { S: `question ${id}` },
      },
    },
  };
}

test(
  'each new question is published with its fields, marked, and ' + 'not published again when the batch is retried',
  async () => {
    store.add('q1', 'q2');
    const batch = [record('q1'), record('q2')];
    expect(await handler()({ Records: batch })).toEqual({ batchItemFailures: [] });
    expect(await handler()({ Records: batch })).toEqual({ batchItemFailures: [] });
    expect(publisher.published).toEqual([
      { QuestionId: 'q1', UserEmailAddress: 'q1@example.com', QuestionText: 'question q1' },
      { QuestionId: 'q2', UserEmailAddress: 'q2@example.com', QuestionText: 'question q2' },
    ]);
    expect([...store.questions.values()].map((q) => [q.attempts, typeof q.notifiedAt])).toEqual([
      [1, 'string'],
      [1, 'string'],
    ]);
    expect(logger.lines.filter((l) => l.message === 'question skipped: already-notified')).toHaveLength(2);
  },
);

test('only INSERTs are e-mailed: the marks (MODIFY) and TTL deletions (REMOVE) are ignored', async () => {
  store.add('q1', 'q2', 'q3');
  await handler()({ Records: [record('q1', 'MODIFY'), record('q2', 'REMOVE'), record('q3')] });
  expect(publishedIds()).toEqual(['q3']);
});

test('a question no longer stored is skipped, not e-mailed', async () => {
  expect(await handler()({ Records: [record('gone')] })).toEqual({ batchItemFailures: [] });
  expect(publishedIds()).toEqual([]);
  expect(store.questions.has('gone')).toBe(false);
});

test(
  'a failed publish fails its record only: reported by sequence ' + 'number, left unmarked, sent once on the retry',
  async () => {
    store.add('q1', 'q2', 'q3');
    publisher.failing.set('q2', new Error('SNS throttled'));
    const batch = [record('q1'), record('q2'), record('q3')];
    const { result, find } = await traced(() => handler()({ Records: batch }));
    expect(result).toEqual({ batchItemFailures: [{ itemIdentifier: batch[1].dynamodb!.SequenceNumber }] });
    expect(publishedIds()).toEqual(['q1', 'q3']);
    expect(store.questions.get('q2')).toEqual({ attempts: 1 });
    // The failing record's subsegment is a fault with the error as its cause; the others are not.
    const steps = find('publishQuestion');
    const failed = steps.filter((s) => s.fault);
    expect(failed).toHaveLength(1);
    expect(failed[0].annotations?.[ANNOTATIONS.questionId]).toBe('q2');
    expect(failed[0].cause?.exceptions[0]).toMatchObject({ message: 'SNS throttled' });
    expect(logger.lines).toContainEqual(
      expect.objectContaining({
        level: 'ERROR',
        message: 'question not published',
        itemIdentifier: batch[1].dynamodb!.SequenceNumber,
      }),
    );

    publisher.failing.clear();
    expect(await handler()({ Records: batch.slice(1) })).toEqual({ batchItemFailures: [] });
    expect(publishedIds()).toEqual(['q1', 'q3', 'q2']);
  },
);

test.each([
  ['no NewImage', { SequenceNumber: '77', Keys: { QuestionId: { S: 'p' } } }],
  ['an image that is not a question', { SequenceNumber: '78', NewImage: { QuestionId: { S: 'p' } } }],
  ['an image that is not a DynamoDB item', { SequenceNumber: '79', NewImage: { QuestionId: { X: 'p' } } as never }],
])('a record with %s is reported, and its neighbours are still e-mailed', async (_what, image) => {
  store.add('q1', 'q2');
  const poison = record('p', 'INSERT', image);
  const response = await handler()({ Records: [record('q1'), poison, record('q2')] });
  expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: image.SequenceNumber }] });
  expect(publishedIds()).toEqual(['q1', 'q2']);
});

test('a question marked by another sender between publish and mark is logged as e-mailed twice', async () => {
  store.add('q1');
  store.markedMeanwhile.add('q1');
  expect(await handler()({ Records: [record('q1')] })).toEqual({ batchItemFailures: [] });
  expect(logger.lines).toContainEqual(
    expect.objectContaining({ level: 'WARN', questionId: 'q1', message: expect.stringContaining('e-mailed twice') }),
  );
});

test('an empty or missing batch is answered with no failures', async () => {
  expect(await handler()({ Records: [] })).toEqual({ batchItemFailures: [] });
  expect(await handler()(undefined as never)).toEqual({ batchItemFailures: [] });
});
