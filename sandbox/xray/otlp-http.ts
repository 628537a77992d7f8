/**
 * OTLP over HTTP on a port of its own: `POST /v1/traces`, as X-Ray's OTLP endpoint
 * (`https://xray.<region>.amazonaws.com/v1/traces`) and any OTLP/HTTP receiver take it, in binary protobuf
 * (`application/x-protobuf`) or OTLP/JSON (`application/json`), optionally gzip-compressed
 * (https://opentelemetry.io/docs/specs/otlp/#otlphttp). Spans become segment documents in the daemon's store,
 * so the X-Ray API and console show them like any other.
 *
 * Answers as OTLP/HTTP says: 200 with an empty `ExportTraceServiceResponse`; a malformed request gets 400 with a
 * `google.rpc.Status` naming what is wrong (JSON for a JSON request), and nothing of it is stored; another path
 * 404, another method 405, another content type 415, a body over the limit 413.
 *
 * Loopback only, like every sandbox server: it listens on 127.0.0.1, and a request whose Host is not a loopback
 * name with this port gets 403 before its body is read (a web page could otherwise post spans into the store
 * through DNS rebinding; see ../http/host-guard.ts).
 */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { refuseForeignHost } from '../http/host-guard';
import { BodyTooLargeError, readBoundedBody } from '../http/read-body';
import { decodeOtlpProtobuf, OtlpDecodeError } from './otlp-decode';
import { decodeOtlpJson } from './otlp-json';
import { ingestOtlp } from './otlp-ingest';
import type { TraceStore } from './trace-store';

export const OTLP_TRACES_PATH = '/v1/traces';
/** OTLP/HTTP's default port (https://opentelemetry.io/docs/specs/otlp/#otlphttp-default-port). */
export const DEFAULT_OTLP_HTTP_PORT = 4318;
/** Far more than one batch of a function's spans; larger bodies are refused rather than buffered. */
const MAX_BODY_BYTES = 4 * 1024 * 1024;
/** google.rpc.Code INVALID_ARGUMENT. */
const INVALID_ARGUMENT = 3;

export interface OtlpHttpReceiver {
  readonly port: number;
  /** `http://127.0.0.1:<port>`; the traces endpoint is `${endpoint}/v1/traces`. */
  readonly endpoint: string;
  stop(): Promise<void>;
}

type Encoding = 'protobuf' | 'json';

function encodingOf(contentType: string | undefined): Encoding | undefined {
  const mediaType = (contentType ?? '').split(';')[0].trim().toLowerCase();
  if (mediaType === 'application/x-protobuf') return 'protobuf';
  if (mediaType === 'application/json') return 'json';
  return undefined;
}

/** A protobuf field: tag, then a varint or a length-delimited value. */
function protobufField(field: number, value: number | string): Buffer {
  const varint = (n: number) => {
    const bytes: number[] = [];
    while (n > 0x7f) {
      bytes.push((n & 0x7f) | 0x80);
      n >>>= 7;
    }
    bytes.push(n);
    return Buffer.from(bytes);
  };
  if (typeof value === 'number') return Buffer.concat([varint(field << 3), varint(value)]);
  const text = Buffer.from(value, 'utf8');
  return Buffer.concat([varint((field << 3) | 2), varint(text.length), text]);
}

function sendStatus(res: http.ServerResponse, status: number, encoding: Encoding, message: string): void {
  const body =
    encoding === 'json'
      ? Buffer.from(JSON.stringify({ code: INVALID_ARGUMENT, message }))
      : Buffer.concat([protobufField(1, INVALID_ARGUMENT), protobufField(2, message)]);
  res.writeHead(status, {
    'content-type': encoding === 'json' ? 'application/json' : 'application/x-protobuf',
    'content-length': body.length,
  });
  res.end(body);
}

function sendText(
  res: http.ServerResponse,
  status: number,
  message: string,
  headers: http.OutgoingHttpHeaders = {},
): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify({ message }));
}

function decompress(body: Buffer, contentEncoding: string | undefined): Buffer {
  const encoding = (contentEncoding ?? 'identity').trim().toLowerCase();
  if (encoding === 'identity' || encoding === '') return body;
  if (encoding === 'gzip') {
    try {
      return gunzipSync(body as Uint8Array, { maxOutputLength: MAX_BODY_BYTES });
    } catch (err) {
      throw new OtlpDecodeError(`body is not valid gzip within ${MAX_BODY_BYTES} bytes: ${(err as Error).message}`);
    }
  }
  throw new OtlpDecodeError(`content-encoding ${encoding} is not supported (use gzip or none)`);
}

function decodeBody(body: Buffer, encoding: Encoding) {
  if (encoding === 'protobuf') return decodeOtlpProtobuf(body);
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch {
    throw new OtlpDecodeError('request body is not valid JSON');
  }
  return decodeOtlpJson(parsed);
}

function requestHandler(store: TraceStore) {
  return async (req: http.IncomingMessage, res: http.ServerResponse) => {
    if (refuseForeignHost(req, res)) return;
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    if (path !== OTLP_TRACES_PATH)
      return sendText(res, 404, `no OTLP endpoint at ${path}: traces go to POST ${OTLP_TRACES_PATH}`);
    if (req.method !== 'POST') return sendText(res, 405, `${req.method} is not supported: use POST`, { allow: 'POST' });
    const encoding = encodingOf(req.headers['content-type']);
    if (!encoding) return sendText(res, 415, 'content-type must be application/x-protobuf or application/json');
    let body: Buffer;
    try {
      body = decompress(await readBoundedBody(req, MAX_BODY_BYTES), req.headers['content-encoding']);
    } catch (err) {
      if (err instanceof BodyTooLargeError) return sendStatus(res, 413, encoding, err.message);
      if (err instanceof OtlpDecodeError) return sendStatus(res, 400, encoding, err.message);
      throw err;
    }
    const result = ingestOtlp(store, () => decodeBody(body, encoding));
    if (!result.ok) {
      store.countMalformed(`OTLP/HTTP: ${result.reason}`);
      return sendStatus(res, 400, encoding, result.reason);
    }
    // An empty ExportTraceServiceResponse: no partial_success, everything was accepted.
    const ok = encoding === 'json' ? Buffer.from('{}') : Buffer.alloc(0);
    res.writeHead(200, {
      'content-type': encoding === 'json' ? 'application/json' : 'application/x-protobuf',
      'content-length': ok.length,
    });
    res.end(ok);
  };
}

/** Listens on `port` (0: a free one) on 127.0.0.1 only; spans go into `store`. */
export async function startOtlpHttpReceiver(
  store: TraceStore,
  options: { port?: number } = {},
): Promise<OtlpHttpReceiver> {
  const host = '127.0.0.1';
  const server = http.createServer((req, res) => {
    requestHandler(store)(req, res).catch((err: Error) => {
      if (!res.headersSent) sendText(res, 500, err.message);
      else res.destroy();
    });
  });
  server.keepAliveTimeout = 5000;
  const port = await new Promise<number>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(
        new Error(
          err.code === 'EADDRINUSE'
            ? `OTLP receiver: port ${options.port} is already in use (stop what uses it, or choose another port)`
            : `OTLP receiver: cannot listen on port ${options.port}: ${err.message}`,
        ),
      ),
    );
    server.listen(options.port ?? 0, host, () => resolve((server.address() as AddressInfo).port));
  });
  server.on('error', () => undefined);
  let stopped: Promise<void> | undefined;
  return {
    port,
    endpoint: `http://${host}:${port}`,
    stop: () =>
      (stopped ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      })),
  };
}
