/**
 * The Idempotency-Key of a question submission: a fresh key for each new question, the same key when the same
 * question is sent again after a failed attempt (timeout, 502, network), so the API stores it only once and
 * answers the retry with the first answer. Changing the text makes it another question with a new key.
 */
export interface SubmissionKeys {
  /** The key to send for this input. */
  keyFor(input: unknown): string;
  /** The question was accepted: the next one gets a new key. */
  accepted(): void;
}

/** A random UUID (crypto.randomUUID needs a secure context; getRandomValues works everywhere). */
export function randomKey(): string {
  if (typeof crypto.randomUUID === 'function') return crypto.randomUUID();
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

export function submissionKeys(newKey: () => string = randomKey): SubmissionKeys {
  let current: { key: string; fingerprint: string } | undefined;
  return {
    keyFor(input) {
      const fingerprint = JSON.stringify(input);
      if (current?.fingerprint !== fingerprint) current = { key: newKey(), fingerprint };
      return current.key;
    },
    accepted() {
      current = undefined;
    },
  };
}
