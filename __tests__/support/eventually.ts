/**
 * Polls `probe` until it returns a value (not undefined) or the time is up; a probe that throws is tried again, and
 * its last error is part of the timeout message. For what a running sandbox does asynchronously (a stream record
 * reaching its function, an e-mail reaching the mailbox queue, a trace reaching the X-Ray store).
 */
export async function eventually<T>(
  what: string,
  probe: () => Promise<T | undefined> | T | undefined,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${last}` : ''}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
