/**
 * A local X-Ray daemon: on one port, UDP receives segment documents exactly as the real daemon does, and TCP
 * answers the X-Ray query API (for `@aws-sdk/client-xray`) and serves the console pages.
 *
 *   const daemon = await startXRayDaemon({ port: 0 });
 *   process.env.AWS_XRAY_DAEMON_ADDRESS = daemon.address;
 * new XRayClient({ endpoint: daemon.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey:
 * 'x' } });
 */
import * as dgram from 'node:dgram';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { consoleResponse } from './console/pages';
import { ApiError, handleApiCall } from './query-api';
import { TraceStore } from './trace-store';
import { ingestUdpDatagram } from './otlp-ingest';
import { BodyTooLargeError, readBoundedBody } from '../http/read-body';
import { refuseForeignHost } from '../http/host-guard';

export { TraceStore } from './trace-store';

export interface XRayDaemonOptions {
  /** Default 2000 (the real daemon's); 0 picks a port free for both UDP and TCP. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
}

export interface XRayDaemon {
  /** The same number for UDP (segments) and TCP (HTTP API + pages). */
  readonly port: number;
  /** `127.0.0.1:<port>`, for AWS_XRAY_DAEMON_ADDRESS. */
  readonly address: string;
  /** `http://127.0.0.1:<port>`, for XRayClient({ endpoint }). */
  readonly endpoint: string;
  readonly store: TraceStore;
  stop(): Promise<void>;
}

export const DEFAULT_XRAY_DAEMON_PORT = 2000;
/** Larger bodies than any API call needs are refused rather than buffered. */
const MAX_BODY_BYTES = 1024 * 1024;

function portError(port: number, protocol: 'UDP' | 'TCP', err: NodeJS.ErrnoException): Error {
  return new Error(
    err.code === 'EADDRINUSE'
      ? `X-Ray daemon: port ${port} (${protocol}) is already in use (stop what uses it, or choose another port)`
      : `X-Ray daemon: cannot listen on port ${port} (${protocol}): ${err.message}`,
  );
}

function listenTcp(server: http.Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException) => reject(portError(port, 'TCP', err));
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

function bindUdp(socket: dgram.Socket, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException) => reject(portError(port, 'UDP', err));
    socket.once('error', onError);
    socket.bind(port, host, () => {
      socket.off('error', onError);
      resolve();
    });
  });
}

async function readBody(req: http.IncomingMessage): Promise<string> {
  try {
    return (await readBoundedBody(req, MAX_BODY_BYTES)).toString('utf8');
  } catch (err) {
    if (err instanceof BodyTooLargeError) throw new ApiError(413, 'ValidationException', err.message);
    throw err;
  }
}

function send(
  res: http.ServerResponse,
  status: number,
  contentType: string,
  body: string,
  headers: http.OutgoingHttpHeaders = {},
) {
  res.writeHead(status, { 'content-type': contentType, 'content-length': Buffer.byteLength(body), ...headers });
  res.end(body);
}

function sendError(res: http.ServerResponse, err: ApiError) {
  // restJson1 errors: the type in x-amzn-errortype, the text in `message`.
  send(res, err.status, 'application/json', JSON.stringify({ message: err.message }), { 'x-amzn-errortype': err.type });
}

function requestHandler(store: TraceStore) {
  return async (req: http.IncomingMessage, res: http.ServerResponse) => {
    // The console and the API are for this machine's browser and SDKs: no other site's name (DNS rebinding).
    if (refuseForeignHost(req, res)) return;
    const { pathname: path, search } = new URL(req.url ?? '/', 'http://localhost');
    try {
      if (req.method === 'POST') {
        const text = await readBody(req);
        let body: unknown = {};
        if (text.trim()) {
          try {
            body = JSON.parse(text);
          } catch {
            throw new ApiError(400, 'SerializationException', 'request body is not valid JSON');
          }
        }
        if (typeof body !== 'object' || body === null || Array.isArray(body)) {
          throw new ApiError(400, 'SerializationException', 'request body must be a JSON object');
        }
        const result = await handleApiCall(store, path, body as Record<string, unknown>);
        if (!result) throw new ApiError(404, 'UnknownOperationException', `no X-Ray operation at POST ${path}`);
        return send(res, result.status, 'application/json', JSON.stringify(result.body));
      }
      if (req.method === 'GET' || req.method === 'HEAD') {
        if (path === '/stats') return send(res, 200, 'application/json', JSON.stringify(store.stats()));
        const page = await consoleResponse(path, search);
        if (page) return send(res, 200, page.contentType, page.body, page.headers);
        return send(res, 404, 'text/plain; charset=utf-8', `not found: ${path}\n`);
      }
      throw new ApiError(405, 'MethodNotAllowed', `${req.method} is not supported`);
    } catch (err) {
      if (err instanceof ApiError) return sendError(res, err);
      sendError(res, new ApiError(500, 'ServiceException', (err as Error).message));
    }
  };
}

/** Opens UDP and TCP on the same port; with port 0, retries until a port is free for both. */
export async function startXRayDaemon(options: XRayDaemonOptions = {}): Promise<XRayDaemon> {
  const host = options.host ?? '127.0.0.1';
  const requested = options.port ?? DEFAULT_XRAY_DAEMON_PORT;
  const store = new TraceStore();

  for (let attempt = 0; ; attempt += 1) {
    const server = http.createServer(requestHandler(store));
    server.keepAliveTimeout = 5000;
    const socket = dgram.createSocket({ type: host.includes(':') ? 'udp6' : 'udp4', recvBufferSize: 4 * 1024 * 1024 });
    let port: number;
    try {
      port = await listenTcp(server, requested, host);
    } catch (err) {
      socket.close();
      throw err;
    }
    try {
      await bindUdp(socket, port, host);
    } catch (err) {
      await new Promise((r) => server.close(r));
      socket.close();
      // A free TCP port whose UDP twin is taken: only retry when we chose the port.
      if (requested === 0 && attempt < 20) continue;
      throw err;
    }
    // Segment documents, and OTLP spans as the X-Ray daemon in Lambda accepts them.
    socket.on('message', (datagram) => ingestUdpDatagram(store, datagram));
    // After binding, socket errors (e.g. ICMP noise) must never crash the process hosting the daemon.
    socket.on('error', () => undefined);
    server.on('error', () => undefined);

    let stopped: Promise<void> | undefined;
    return {
      port,
      address: `${host}:${port}`,
      endpoint: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
      store,
      stop: () =>
        (stopped ??= Promise.all([
          new Promise<void>((resolve) => {
            server.close(() => resolve());
            server.closeAllConnections();
          }),
          new Promise<void>((resolve) => socket.close(() => resolve())),
        ]).then(() => undefined)),
    };
  }
}
