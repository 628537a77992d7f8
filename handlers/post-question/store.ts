/**
 * Where post-question keeps questions: a store that writes a question once and never overwrites it, and on a
 * second write with the same id tells what the first one was (for Idempotency-Key retries). The handler sees
 * only this interface; `dynamoQuestionStore` is the questions table behind it.
 */
import { ConditionalCheckFailedException, PutItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { TABLES } from '../../system/resources';

export interface StoredQuestion {
  QuestionId: string;
  QuestionText: string;
  UserEmailAddress: string;
  CreatedAt: string;
  /** Epoch seconds: DynamoDB's TTL deletes the question after the retention period. */
  [TABLES.questions.ttlAttribute]: number;
  /** Set when an Idempotency-Key was sent: what a retry with the same key must match. */
  RequestHash?: string;
}

/** `stored`, or the question already stored under that id (its RequestHash, if it had a key). */
export type PutOutcome = { stored: true } | { stored: false; existing: Pick<StoredQuestion, 'RequestHash'> };

export interface QuestionStore {
  /** Stores the question unless one with its QuestionId exists (then nothing is written). */
  putIfAbsent(question: StoredQuestion): Promise<PutOutcome>;
}

export function dynamoQuestionStore(dynamodb: Pick<DynamoDBClient, 'send'>, tableName: string): QuestionStore {
  return {
    async putIfAbsent(question) {
      try {
        await dynamodb.send(
          new PutItemCommand({
            TableName: tableName,
            Item: marshall(question, { removeUndefinedValues: true }),
            // Written once, never overwritten; the first one comes back in the failure (no second read).
            ConditionExpression: 'attribute_not_exists(QuestionId)',
            ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
          }),
        );
        return { stored: true };
      } catch (err) {
        if (!(err instanceof ConditionalCheckFailedException)) throw err;
        const first = err.Item ? unmarshall(err.Item) : {};
        return { stored: false, existing: { RequestHash: first.RequestHash } };
      }
    },
  };
}
