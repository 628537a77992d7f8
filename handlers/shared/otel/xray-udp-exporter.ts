/**
 * Sends finished spans to the X-Ray daemon over UDP, framed as AWS's own OpenTelemetry UDP exporter frames them
 * (ADOT, `OTLPUdpSpanExporter` in aws-observability/aws-otel-js-instrumentation `src/otlp-udp-exporter.ts`):
 * the daemon's header line `{"format":"json","version":1}\n`, `T1S` for sampled spans, then the base64 of a
 * binary OTLP `ExportTraceServiceRequest`. In Lambda with Active tracing the daemon listens at
 * AWS_XRAY_DAEMON_ADDRESS and forwards the spans to X-Ray with the function's role (xray:PutTraceSegments).
 *
 * One datagram per export: with a SimpleSpanProcessor that is one span, far below the UDP size limit.
 */
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace-base';
import * as dgram from 'node:dgram';

export const UDP_HEADER = '{"format":"json","version":1}\n';
export const SAMPLED_SPANS_PREFIX = 'T1S';
const DEFAULT_DAEMON_ADDRESS = '127.0.0.1:2000';

/** `host:port` (AWS_XRAY_DAEMON_ADDRESS may also hold `tcp:host:port udp:host:port`: the UDP one is taken). */
export function parseDaemonAddress(address: string | undefined): { host: string; port: number } {
  const value = (address ?? DEFAULT_DAEMON_ADDRESS).trim();
  const udp =
    value
      .split(/\s+/)
      .find((part) => part.startsWith('udp:'))
      ?.slice(4) ?? value;
  const separator = udp.lastIndexOf(':');
  const port = Number(udp.slice(separator + 1));
  if (separator <= 0 || !Number.isInteger(port) || port <= 0 || port > 65535) {
    throw new Error(`AWS_XRAY_DAEMON_ADDRESS: expected host:port, got "${value}"`);
  }
  return { host: udp.slice(0, separator), port };
}

export class XRayUdpSpanExporter implements SpanExporter {
  private readonly socket: dgram.Socket;
  private readonly host: string;
  private readonly port: number;

  constructor(daemonAddress: string | undefined) {
    ({ host: this.host, port: this.port } = parseDaemonAddress(daemonAddress));
    this.socket = dgram.createSocket(this.host.includes(':') ? 'udp6' : 'udp4');
    // Never keeps a process (a test, a script) alive by itself.
    this.socket.unref();
  }

  export(spans: ReadableSpan[], done: (result: ExportResult) => void): void {
    const payload = ProtobufTraceSerializer.serializeRequest(spans);
    if (!payload) {
      done({ code: ExportResultCode.FAILED, error: new Error('spans could not be serialized') });
      return;
    }
    const datagram = Buffer.from(
      `${UDP_HEADER}${SAMPLED_SPANS_PREFIX}${Buffer.from(payload).toString('base64')}`,
      'utf8',
    );
    this.socket.send(datagram as Uint8Array, this.port, this.host, (err) =>
      done(err ? { code: ExportResultCode.FAILED, error: err } : { code: ExportResultCode.SUCCESS }),
    );
  }

  async shutdown(): Promise<void> {
    await new Promise<void>((resolve) => this.socket.close(() => resolve()));
  }

  async forceFlush(): Promise<void> {}
}
