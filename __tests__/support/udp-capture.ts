/**
 * Test support: a stand-in X-Ray daemon. Listens on a free UDP port of 127.0.0.1 and keeps every segment
 * document sent to it (`{"format":"json","version":1}\n{...}`), with helpers to wait for and search them.
 */
import * as dgram from 'node:dgram';

export interface SegmentDocument {
  trace_id: string;
  id: string;
  name: string;
  parent_id?: string;
  type?: 'subsegment';
  origin?: string;
  namespace?: string;
  start_time: number;
  end_time?: number;
  in_progress?: boolean;
  error?: boolean;
  fault?: boolean;
  throttle?: boolean;
  cause?: { exceptions?: { message?: string; type?: string }[]; id?: string };
  annotations?: Record<string, string | number | boolean>;
  metadata?: Record<string, Record<string, unknown>>;
  http?: { request?: { url?: string; method?: string }; response?: { status?: number } };
  aws?: Record<string, unknown>;
  subsegments?: SegmentDocument[];
  [key: string]: unknown;
}

export interface UdpCapture {
  /** `127.0.0.1:<port>`, the value for AWS_XRAY_DAEMON_ADDRESS. */
  readonly address: string;
  readonly port: number;
  /** Every document received so far, in arrival order. */
  documents(): SegmentDocument[];
  /** Documents plus all their nested subsegments, flattened. */
  all(): SegmentDocument[];
  /** Resolves with the flattened documents once `predicate` holds for them; rejects after `timeoutMs`. */
  waitFor(predicate: (all: SegmentDocument[]) => boolean, timeoutMs?: number): Promise<SegmentDocument[]>;
  /** Datagrams that were not a header line plus a JSON document. */
  malformed(): string[];
  clear(): void;
  stop(): Promise<void>;
}

export function flatten(documents: SegmentDocument[]): SegmentDocument[] {
  const out: SegmentDocument[] = [];
  const walk = (doc: SegmentDocument, parentId?: string, traceId?: string) => {
    // Nested subsegments carry neither trace_id nor parent_id: fill them in from where they sit.
    const flat = { ...doc, parent_id: doc.parent_id ?? parentId, trace_id: doc.trace_id ?? traceId };
    out.push(flat);
    for (const child of doc.subsegments ?? []) walk(child, doc.id, flat.trace_id);
  };
  for (const doc of documents) walk(doc);
  return out;
}

export async function startUdpCapture(): Promise<UdpCapture> {
  const socket = dgram.createSocket('udp4');
  const received: SegmentDocument[] = [];
  const bad: string[] = [];
  const waiters = new Set<() => void>();
  socket.on('message', (message) => {
    const text = message.toString('utf8');
    const newline = text.indexOf('\n');
    try {
      const headerLine = JSON.parse(text.slice(0, newline));
      if (headerLine.format !== 'json' || headerLine.version !== 1) throw new Error('bad header');
      received.push(JSON.parse(text.slice(newline + 1)));
    } catch {
      bad.push(text);
    }
    for (const wake of waiters) wake();
  });
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(0, '127.0.0.1', () => resolve());
  });
  const port = socket.address().port;
  return {
    address: `127.0.0.1:${port}`,
    port,
    documents: () => [...received],
    all: () => flatten(received),
    malformed: () => [...bad],
    clear: () => {
      received.length = 0;
      bad.length = 0;
    },
    waitFor(predicate, timeoutMs = 5000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const all = flatten(received);
          if (!predicate(all)) return;
          cleanup();
          resolve(all);
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(
            new Error(
              `segments did not arrive within ${timeoutMs} ms; ` +
                `got:\n${JSON.stringify(flatten(received), null, 1).slice(0, 4000)}`,
            ),
          );
        }, timeoutMs);
        const cleanup = () => {
          clearTimeout(timer);
          waiters.delete(check);
        };
        waiters.add(check);
        check();
      });
    },
    stop: () => new Promise<void>((resolve) => socket.close(() => resolve())),
  };
}
