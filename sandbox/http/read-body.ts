/** Reading a request body with a size limit, for the sandbox's HTTP servers (the gateway, the X-Ray daemon). */
import type * as http from 'node:http';

export class BodyTooLargeError extends Error {
  constructor(readonly maxBytes: number) {
    super(`request body is larger than ${maxBytes} bytes`);
    this.name = 'BodyTooLargeError';
  }
}

/**
 * The whole body, or BodyTooLargeError once it passes `maxBytes`. The rest is drained, not buffered, so the
 * server can still answer 413 on the same connection.
 */
export function readBoundedBody(req: http.IncomingMessage, maxBytes: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on('data', (chunk: Buffer) => {
      if (tooLarge) return;
      size += chunk.length;
      if (size > maxBytes) {
        tooLarge = true;
        reject(new BodyTooLargeError(maxBytes));
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks as Uint8Array[])));
    req.on('error', reject);
  });
}
