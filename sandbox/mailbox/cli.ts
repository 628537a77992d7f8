/**
 * `npm run mailbox`: prints the staff's "e-mails" from a running sandbox (without taking them off the queue).
 * SANDBOX_URL (default http://127.0.0.1:$PORT, PORT default 3000) names the sandbox.
 */
import { SANDBOX_PORTS } from '../../system/definition';
import type { MailboxMessage } from './mailbox';

async function main(): Promise<void> {
  const base = process.env.SANDBOX_URL ?? `http://127.0.0.1:${process.env.PORT || SANDBOX_PORTS.website}`;
  let res: Response;
  try {
    res = await fetch(`${base}/_sandbox/mailbox.json`);
  } catch (err) {
    console.error(`✗ No sandbox answers at ${base} (start it with npm start, or set SANDBOX_URL): ${(err as Error).message}`);
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

void main();
