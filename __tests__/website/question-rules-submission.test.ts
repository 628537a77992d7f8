/** The form's Idempotency-Key: new per question, the same for a retry of the same submission. */
import { IDEMPOTENCY_KEY } from '../../system/definition';
import { randomKey, submissionKeys } from '../../website/src/submission';

const question = { email: 'a@example.com', questionText: 'Can I adopt two?' };

test('a retry of the same submission sends the same key', () => {
  const keys = submissionKeys();
  const first = keys.keyFor(question);
  expect(keys.keyFor({ ...question })).toBe(first);
});

test('an edited question, or the next one after success, gets a new key', () => {
  const keys = submissionKeys();
  const first = keys.keyFor(question);
  const edited = keys.keyFor({ ...question, questionText: 'Can I adopt three?' });
  expect(edited).not.toBe(first);
  keys.accepted();
  expect(keys.keyFor({ ...question, questionText: 'Can I adopt three?' })).not.toBe(edited);
});

test('keys have the format the API accepts, also without crypto.randomUUID', () => {
  expect(randomKey()).toMatch(IDEMPOTENCY_KEY.pattern);
  const original = crypto.randomUUID;
  try {
    (crypto as { randomUUID?: unknown }).randomUUID = undefined;
    const key = randomKey();
    expect(key).toMatch(IDEMPOTENCY_KEY.pattern);
    expect(key).not.toBe(randomKey());
  } finally {
    (crypto as { randomUUID?: unknown }).randomUUID = original;
  }
});
