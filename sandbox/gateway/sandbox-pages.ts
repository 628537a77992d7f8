/**
 * The sandbox's own pages on the website's origin, under `/_sandbox/` (nothing of the deployed system): the
 * mailbox of the questions topic's email subscription, as a page linking the sandbox's other pages, or as JSON.
 */
import type * as http from 'node:http';
import { renderMailboxPage } from '../mailbox/mailbox';
import { send } from '../http/serve';
import type { GatewayState } from './state';

export const SANDBOX_PAGES_PREFIX = '/_sandbox';

export const isSandboxPage = (pathname: string) =>
  pathname === SANDBOX_PAGES_PREFIX || pathname.startsWith(`${SANDBOX_PAGES_PREFIX}/`);

/** Pages linked from the sandbox's pages. */
export type SandboxLinks = () => { xrayConsole: string };

/** Answers a GET or HEAD of a `/_sandbox` path; the website has refused other methods already. */
export async function serveSandboxPage(
  res: http.ServerResponse,
  pathname: string,
  state: GatewayState,
  links: SandboxLinks,
): Promise<number> {
  const { backends } = state;
  if (!backends) return send(res, 503, 'The sandbox is still starting.', { 'Content-Type': 'text/plain' });
  if (pathname === '/_sandbox/mailbox' || pathname === '/_sandbox/mailbox.json') {
    const messages = await backends.readMailbox();
    if (pathname.endsWith('.json')) {
      return send(res, 200, JSON.stringify({ messages }, null, 2), { 'Content-Type': 'application/json' });
    }
    return send(res, 200, renderMailboxPage(messages, links()), { 'Content-Type': 'text/html; charset=utf-8' });
  }
  return send(res, 404, 'Not found', { 'Content-Type': 'text/plain' });
}
