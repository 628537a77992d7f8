/**
 * The lines the Lambda service itself writes to a function's log for every invocation: START, END and REPORT,
 * in the plain-text format Lambda uses (tab-separated `Name: value` fields, each followed by a tab), e.g.
 *
 *   START RequestId: c793869b-ee49-115b-a5b6-4fd21e8dedac Version: $LATEST
 *   END RequestId: c793869b-ee49-115b-a5b6-4fd21e8dedac
 * REPORT RequestId: c793869b-…\tDuration: 170.19 ms\tBilled Duration: 326 ms\tMemory Size: 128 MB\tMax Memory Used: 73
 * MB\tInit Duration: 155.10 ms\tXRAY TraceId: 1-…\tSegmentId: 3d752…\tSampled: true\t
 *
 * Format and fields: https://docs.aws.amazon.com/lambda/latest/dg/nodejs-logging.html (log format example; the
 * REPORT fields RequestId, Duration, Billed Duration, Memory Size, Max Memory Used, Init Duration on the first
 * request an environment serves, and XRAY TraceId / SegmentId / Sampled for traced requests).
 */

export interface InvocationReport {
  requestId: string;
  /** The handler's run, in ms (fractions kept: Lambda prints two decimals). */
  durationMs: number;
  memorySizeMb: number;
  maxMemoryUsedMb: number;
  /** Only on a cold start: how long the runtime took to load the handler module. */
  initDurationMs?: number;
  /** Only when the invocation was traced. */
  xray?: { traceId: string; segmentId: string; sampled: boolean };
}

export const startLine = (requestId: string, version = '$LATEST') =>
  `START RequestId: ${requestId} Version: ${version}\n`;

export const endLine = (requestId: string) => `END RequestId: ${requestId}\n`;

/**
 * Billed duration: rounded up to the next millisecond, and since 1 August 2025 the INIT phase of an on-demand
 * ZIP function on a managed runtime is billed too, so a cold start's billed duration includes its init duration
 * (https://aws.amazon.com/blogs/compute/aws-lambda-standardizes-billing-for-init-phase/).
 */
export function billedDurationMs(durationMs: number, initDurationMs = 0): number {
  return Math.max(1, Math.ceil(durationMs + initDurationMs));
}

export function reportLine(report: InvocationReport): string {
  const fields = [
    `REPORT RequestId: ${report.requestId}`,
    `Duration: ${report.durationMs.toFixed(2)} ms`,
    `Billed Duration: ${billedDurationMs(report.durationMs, report.initDurationMs)} ms`,
    `Memory Size: ${report.memorySizeMb} MB`,
    `Max Memory Used: ${Math.ceil(report.maxMemoryUsedMb)} MB`,
  ];
  if (report.initDurationMs !== undefined) fields.push(`Init Duration: ${report.initDurationMs.toFixed(2)} ms`);
  if (report.xray) {
    fields.push(
      `XRAY TraceId: ${report.xray.traceId}`,
      `SegmentId: ${report.xray.segmentId}`,
      `Sampled: ${report.xray.sampled}`,
    );
  }
  return `${fields.map((field) => `${field}\t`).join('')}\n`;
}

/** What REPORT says, read back (tests, and `npm run logs` summaries). */
export function parseReportLine(line: string): Record<string, string> | undefined {
  if (!line.startsWith('REPORT ')) return undefined;
  const fields: Record<string, string> = {};
  for (const part of line.slice('REPORT '.length).split('\t')) {
    const colon = part.indexOf(': ');
    if (colon > 0) fields[part.slice(0, colon)] = part.slice(colon + 2);
  }
  return fields;
}

/** Lambda's `X-Amz-Log-Result` carries the last 4 KB of the invocation's log. */
export function logTail(text: string, maxBytes = 4096): string {
  const bytes = Buffer.from(text, 'utf8');
  return bytes.length <= maxBytes ? text : bytes.subarray(bytes.length - maxBytes).toString('utf8');
}
