/**
 * DNS rebinding guard for the sandbox's HTTP servers (the gateway with the website and the mailbox, the X-Ray API
 * and console). They listen on 127.0.0.1 only, but a page on any web site can point its own name at 127.0.0.1
 * and then read them as "same origin". The browser still sends that site's name in `Host`, so a request is served
 * only when `Host` is a loopback name with the port the request came in on.
 */
import type * as http from 'node:http';

/** The names this machine's loopback goes by; anything else in Host is some other site's name. */
const LOOPBACK_NAMES = ['127.0.0.1', 'localhost', '[::1]'];

/** The Host values a request on this socket may carry, e.g. ['127.0.0.1:3000', 'localhost:3000', '[::1]:3000']. */
export function servedHosts(localPort: number): string[] {
  return LOOPBACK_NAMES.map((name) => `${name}:${localPort}`);
}

/** Undefined when the request's Host is one this server serves; otherwise why not, for the 403's message. */
export function foreignHostProblem(req: http.IncomingMessage): string | undefined {
  const host = req.headers.host;
  const served = servedHosts(req.socket.localPort ?? 0);
  if (host === undefined || host === '')
    return `the Host header is missing (this server answers to ${served.join(', ')})`;
  if (served.includes(host.toLowerCase())) return undefined;
  return `Host ${JSON.stringify(host)} is not a name this server answers to (${served.join(', ')})`;
}

/**
 * Answers 403 with a JSON message and returns true when the Host is foreign; the request body is drained, not
 * read. Returns false when the request may go on.
 */
export function refuseForeignHost(req: http.IncomingMessage, res: http.ServerResponse): boolean {
  const problem = foreignHostProblem(req);
  if (!problem) return false;
  req.resume();
  const body = JSON.stringify({ message: 'Forbidden', detail: problem });
  res.writeHead(403, { 'Content-Type': 'application/json', 'Content-Length': String(Buffer.byteLength(body)) });
  res.end(body);
  return true;
}
