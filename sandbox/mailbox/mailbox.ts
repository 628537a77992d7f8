/**
 * The staff's "inbox": the SQS queue subscribed to the questions topic, read through fauxqs's inspection
 * endpoint, which shows every message (ready, in flight, delayed) without receiving it — so looking at the
 * mailbox never takes a message away from a test or a consumer.
 */

export interface MailboxMessage {
  messageId: string;
  /** SNS Subject (the e-mail's subject line), when the publisher set one. */
  subject?: string;
  /** SNS Message (the e-mail's text). */
  message: string;
  /** When SNS accepted the message (ISO 8601). */
  timestamp: string;
}

interface InspectedMessage {
  messageId: string;
  body: string;
  sentTimestamp: number;
}

interface InspectedQueue {
  messages: { ready: InspectedMessage[]; delayed: InspectedMessage[]; inflight: { message: InspectedMessage }[] };
}

/** Parses an SNS-to-SQS envelope; a body that is not one (raw delivery, other publishers) is shown as it is. */
export function toMailboxMessage(m: InspectedMessage): MailboxMessage {
  try {
    const envelope = JSON.parse(m.body);
    if (envelope && envelope.Type === 'Notification' && typeof envelope.Message === 'string') {
      return {
        messageId: envelope.MessageId ?? m.messageId,
        subject: envelope.Subject ?? undefined,
        message: envelope.Message,
        timestamp: envelope.Timestamp ?? new Date(m.sentTimestamp).toISOString(),
      };
    }
  } catch {
    // not JSON: raw message
  }
  return { messageId: m.messageId, message: m.body, timestamp: new Date(m.sentTimestamp).toISOString() };
}

/** Newest first. */
export async function readMailbox(fauxqsEndpoint: string, queueName: string): Promise<MailboxMessage[]> {
  const res = await fetch(`${fauxqsEndpoint}/_fauxqs/queues/${encodeURIComponent(queueName)}`);
  if (!res.ok) throw new Error(`mailbox: fauxqs answered ${res.status} for queue ${queueName}`);
  const queue = (await res.json()) as InspectedQueue;
  const all = [
    ...queue.messages.ready,
    ...queue.messages.delayed,
    ...queue.messages.inflight.map((entry) => entry.message),
  ];
  return all.sort((a, b) => b.sentTimestamp - a.sentTimestamp).map(toMailboxMessage);
}

const escapeHtml = (text: string) =>
  text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/**
 * The mailbox as a page. It never reloads by itself (a timed refresh loses a reader's place: WCAG 2.2.1, axe's
 * `meta-refresh` rule); a Refresh link reloads it.
 */
export function renderMailboxPage(messages: MailboxMessage[], links: { xrayConsole: string }): string {
  const items = messages
    .map(
      (m) => `<article class="mail">
  <header><h2>${escapeHtml(m.subject ?? '(no subject)')}</h2><time datetime="${escapeHtml(m.timestamp)}">${escapeHtml(
    m.timestamp,
  )}</time></header>
  <pre>${escapeHtml(m.message)}</pre>
</article>`,
    )
    .join('\n');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Staff mailbox (${messages.length}) · Mythical Mysfits sandbox</title>
<style>
  body { font-family: system-ui, sans-serif; margin: 0 auto; max-width: 52rem; padding: 1rem; color: #222; }
  .mail { border: 1px solid #ccc; border-radius: 6px; padding: .5rem 1rem; margin: .75rem 0; }
  .mail header { display: flex; justify-content: space-between; align-items: baseline; gap: 1rem; }
  .mail h2 { font-size: 1.05rem; margin: .25rem 0; }
  time { color: #666; font-size: .85rem; white-space: nowrap; }
  pre { white-space: pre-wrap; font-family: inherit; margin: .5rem 0; }
  .empty { color: #666; }
</style>
</head>
<body>
<header>
<h1>Staff mailbox</h1>
<p>Questions e-mailed to the staff through SNS (the SQS queue subscribed to the topic stands in for the inbox).</p>
<nav aria-label="Sandbox"><a href="/_sandbox/mailbox">Refresh</a> · <a href="/">Website</a> ·
<a href="${escapeHtml(links.xrayConsole)}">X-Ray console</a> · <a href="/_sandbox/mailbox.json">JSON</a></nav>
</header>
<main>
${messages.length ? items : '<p class="empty">No e-mails yet: ask a question on the website.</p>'}
</main>
</body>
</html>`;
}
