/**
 * Sends segment documents to a daemon the way the X-Ray SDKs do (one UDP datagram per document), for the
 * demo data and the tests that need raw documents (independent subsegments, in-progress segments).
 */
import { randomBytes } from 'node:crypto';
import * as dgram from 'node:dgram';

export const DATAGRAM_HEADER = '{"format":"json","version":1}';

export const datagram = (document: object) => `${DATAGRAM_HEADER}\n${JSON.stringify(document)}`;

/** `1-<epoch seconds hex>-<24 hex>`, as the SDKs make them. */
export function newTraceId(epochSeconds = Date.now() / 1000): string {
  return `1-${Math.floor(epochSeconds).toString(16).padStart(8, '0')}-${randomBytes(12).toString('hex')}`;
}

export const newEntityId = () => randomBytes(8).toString('hex');

/** Sends each payload as one datagram to host:port ("127.0.0.1:2000"). */
export async function sendDatagrams(address: string, payloads: readonly (string | Buffer | object)[]): Promise<void> {
  const separator = address.lastIndexOf(':');
  const host = address.slice(0, separator);
  const port = Number(address.slice(separator + 1));
  const socket = dgram.createSocket(host.includes(':') ? 'udp6' : 'udp4');
  try {
    for (const payload of payloads) {
      const data = typeof payload === 'string' || Buffer.isBuffer(payload) ? payload : datagram(payload);
      await new Promise<void>((resolve, reject) =>
        socket.send(data, port, host, (err) => (err ? reject(err) : resolve())),
      );
    }
  } finally {
    await new Promise<void>((resolve) => socket.close(() => resolve()));
  }
}
