/**
 * The plumbing every gateway origin shares: answering with a known length, a server that refuses foreign Host
 * names and turns a handler's failure into a 500, listening with a message that names the setting to change,
 * and closing without waiting for browsers' keep-alive connections.
 */
import * as http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { refuseForeignHost } from './host-guard';

export type HeaderMap = Record<string, string | string[]>;

export type Handler = (req: http.IncomingMessage, res: http.ServerResponse) => unknown;

/** Writes the whole answer with its Content-Length; returns the body's length (for access logs). */
export function send(res: http.ServerResponse, status: number, body: Buffer | string, headers: HeaderMap = {}): number {
  const payload = typeof body === 'string' ? Buffer.from(body) : body;
  res.writeHead(status, { ...headers, 'Content-Length': String(payload.length) });
  res.end(payload);
  return payload.length;
}

/** A server for `handle`: foreign Host names get 403 first; a handler that throws is reported and answers 500. */
export function guardedServer(handle: Handler, report: (err: unknown) => void): http.Server {
  return http.createServer((req, res) => {
    if (refuseForeignHost(req, res)) return;
    Promise.resolve()
      .then(() => handle(req, res))
      .catch((err) => {
        report(err);
        if (!res.headersSent) send(res, 500, 'Internal error', { 'Content-Type': 'text/plain' });
        else res.destroy();
      });
  });
}

/** Listens; the error names the part (`what`) and the environment variable that moves it (`setting`). */
export function listen(
  server: http.Server,
  port: number,
  host: string,
  what: string,
  setting: string,
): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(
        new Error(
          err.code === 'EADDRINUSE'
            ? `${what}: port ${port} is already in use (stop what uses it, or set ${setting})`
            : `${what}: cannot listen on port ${port}: ${err.message}`,
        ),
      ),
    );
    server.listen(port, host, () => resolve((server.address() as AddressInfo).port));
  });
}

/** Keep-alive connections from browsers and load generators must not hold close() up. */
export function trackSockets(server: http.Server): () => Promise<void> {
  const sockets = new Set<Socket>();
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  return () =>
    new Promise<void>((resolve) => {
      if (!server.listening) return resolve();
      server.close(() => resolve());
      for (const socket of sockets) socket.destroy();
    });
}
