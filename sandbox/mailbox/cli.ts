/**
 * `npm run mailbox`: prints the staff's "e-mails" from a running sandbox (without taking them off the queue).
 * Finds the sandbox through the endpoints file `npm start` writes (whatever ports it chose); SANDBOX_URL names
 * another one. Piped into `head`, it stops quietly when the reader has had enough.
 */
import { findSandbox, SandboxNotFoundError } from '../daily/state-file';
import type { MailboxMessage } from './mailbox';

function sandboxUrl(): string {
  if (process.env.SANDBOX_URL) return process.env.SANDBOX_URL;
  try {
    return findSandbox().url;
  } catch (err) {
    if (!(err instanceof SandboxNotFoundError)) throw err;
    console.error(`✗ ${err.message}; or set SANDBOX_URL`);
    process.exit(1);
  }
}

async function main(): Promise<void> {
  const base = sandboxUrl();
  let res: Response;
  try {
    res = await fetch(`${base}/_sandbox/mailbox.json`);
  } catch (err) {
    console.error(
      `✗ No sandbox answers at ${base} (start it with npm start, or set SANDBOX_URL): ${(err as Error).message}`,
    );
    process.exit(1);
  }
  if (!res.ok) {
    console.error(`✗ ${base}/_sandbox/mailbox.json answered ${res.status}`);
    process.exit(1);
  }
  const { messages } = (await res.json()) as { messages: MailboxMessage[] };
  if (messages.length === 0) {
    console.log('The mailbox is empty: ask a question on the website.');
    return;
  }
  for (const m of messages) {
    console.log(`── ${m.timestamp}  ${m.subject ?? '(no subject)'}\n${m.message}\n`);
  }
  console.log(`${messages.length} e-mail(s).`);
}

// `npm run mailbox | head` closes the pipe early: the reader's choice, not an error worth a stack trace.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(0);
  throw err;
});

void main();
