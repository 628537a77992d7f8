/**
 * Idempotent POST /questions. With an `Idempotency-Key` header the question's id is derived from the key, and
 * the item stores a hash of the question: the conditional put (attribute_not_exists) stores the first request
 * only, and a retry finds the stored item in the condition failure (ReturnValuesOnConditionCheckFailure) to
 * answer as the first time. The key lives as long as the question (its TTL). No extra table, no extra IAM action.
 */
import { createHash } from 'node:crypto';
import { IDEMPOTENCY_KEY } from '../../system/api';
import { header } from '../shared/http-responses';
import type { Question } from './question';

export type IdempotencyKey = { ok: true; key?: string } | { ok: false; reason: string };

/** The header's value, checked; absent means no idempotency (each request stores a new question). */
export function readIdempotencyKey(headers: Record<string, string | undefined> | null | undefined): IdempotencyKey {
  const value = header(headers, IDEMPOTENCY_KEY.header);
  if (value === undefined) return { ok: true };
  if (!IDEMPOTENCY_KEY.pattern.test(value)) return { ok: false, reason: `must be ${IDEMPOTENCY_KEY.description}` };
  return { ok: true, key: value };
}

const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');

/** The QuestionId a key maps to: UUID-shaped, so ids look alike whether or not a key was sent. */
export function questionIdForKey(key: string): string {
  const hex = sha256(`questions-idempotency-key\n${key}`);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

/** What makes two requests "the same question": the normalized fields that are stored. */
export function requestHash(question: Pick<Question, 'email' | 'questionText'>): string {
  return sha256(JSON.stringify([question.email, question.questionText]));
}
