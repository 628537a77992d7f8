/**
 * A local stand-in for the clicks Kinesis Data Firehose delivery stream with a Lambda processor and an S3
 * destination, configured from CLICKS_DELIVERY:
 * - PutRecord buffers records; the buffer is processed when it is older than the buffer interval or larger than
 *   the processor's buffer size (whichever comes first), one batch at a time, in arrival order.
 * - The processor is invoked with a real Firehose transformation event; its answer is checked as Firehose checks
 *   it (every recordId back exactly once, result Ok | Dropped | ProcessingFailed, base64 data). An invocation that
 *   fails (or answers malformed) is retried, then its whole batch goes to the error prefix: nothing is lost.
 * - The AppendDelimiterToRecord processor adds the record delimiter after each Ok record; Ok records land in one
 *   object under `prefix` + `YYYY/MM/dd/HH/`, failed ones (Firehose's error record format) under the error prefix
 *   with `!{firehose:error-output-type}` = `processing-failed`.
 */
import type {
  FirehoseTransformationEvent,
  FirehoseTransformationEventRecord,
  FirehoseTransformationResult,
} from 'aws-lambda';
import { randomUUID } from 'node:crypto';
import { CLICKS_DELIVERY } from '../../system/definition';

/** What the processor invocation returned: the subset of the function runtime's InvokeResult used here. */
export interface ProcessorInvocation {
  ok: boolean;
  result?: unknown;
  error?: { errorType: string; errorMessage: string };
}

export interface DeliveryStreamOptions {
  name: string;
  arn: string;
  region: string;
  /** Written into error records (`lambdaArn`), as Firehose does. */
  processorArn: string;
  invokeProcessor: (event: FirehoseTransformationEvent) => Promise<ProcessorInvocation>;
  putObject: (key: string, body: Buffer) => Promise<void>;
  bufferIntervalMs: number;
  /** Default: CLICKS_DELIVERY.processorBufferSizeMb. */
  bufferSizeBytes?: number;
  /** Extra attempts after a failed invocation; Firehose's default NumberOfRetries is 3. */
  processorRetries?: number;
  /** Called when a batch could not be written to S3 even after retries (so the sandbox can report it). */
  onDeliveryError?: (error: Error) => void;
  now?: () => Date;
}

export interface DeliveryStats {
  recordsReceived: number;
  recordsDelivered: number;
  recordsDropped: number;
  recordsFailed: number;
  invocations: number;
  objectsWritten: number;
}

export interface DeliveryStream {
  /** Firehose PutRecord: buffers the record, returns its id at once. */
  putRecord(data: Buffer): { recordId: string };
  /** Processes whatever is buffered now and resolves when every batch so far is written. */
  flush(): Promise<void>;
  /** Flushes, then stops the buffer timer. */
  stop(): Promise<void>;
  readonly stats: Readonly<DeliveryStats>;
}

interface BufferedRecord {
  recordId: string;
  arrival: number;
  data: Buffer;
}

/** Firehose's error record, one JSON object per line in the error output. */
export interface FirehoseErrorRecord {
  attemptsMade: number;
  arrivalTimestamp: number;
  errorCode: string;
  errorMessage: string;
  attemptEndingTimestamp: number;
  rawData: string;
  lambdaArn: string;
}

/** The configured delimiter is an escaped string (`\\n`), as in the processor's parameter. */
export const RECORD_DELIMITER: string = JSON.parse(`"${CLICKS_DELIVERY.recordDelimiter}"`);

const RESULTS = new Set(['Ok', 'Dropped', 'ProcessingFailed']);
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

class InvalidProcessorResponse extends Error {
  constructor(
    readonly errorCode: string,
    message: string,
  ) {
    super(message);
  }
}

/** Checks the processor's answer as Firehose does; throws naming what is wrong. */
export function checkTransformationResult(
  event: FirehoseTransformationEvent,
  result: unknown,
): FirehoseTransformationResult['records'] {
  const records = (result as FirehoseTransformationResult | undefined)?.records;
  if (!Array.isArray(records)) {
    throw new InvalidProcessorResponse('Lambda.InvalidResponse', 'The response has no records array.');
  }
  const expected = new Set(event.records.map((r) => r.recordId));
  const seen = new Set<string>();
  for (const record of records) {
    if (!record || typeof record.recordId !== 'string' || !expected.has(record.recordId)) {
      throw new InvalidProcessorResponse(
        'Lambda.InvalidRecordId',
        `The response names a recordId that was not in the batch: ${String(record?.recordId)}.`,
      );
    }
    if (seen.has(record.recordId)) {
      throw new InvalidProcessorResponse('Lambda.DuplicatedRecordId', `recordId ${record.recordId} is returned twice.`);
    }
    seen.add(record.recordId);
    if (!RESULTS.has(record.result)) {
      throw new InvalidProcessorResponse(
        'Lambda.InvalidRecordResult',
        `recordId ${record.recordId} has result ${JSON.stringify(record.result)}; expected Ok, Dropped or ProcessingFailed.`,
      );
    }
    if (record.result === 'Ok' && (typeof record.data !== 'string' || !BASE64.test(record.data))) {
      throw new InvalidProcessorResponse(
        'Lambda.InvalidRecordData',
        `recordId ${record.recordId} is Ok but its data is not base64.`,
      );
    }
  }
  if (seen.size !== expected.size) {
    const missing = [...expected].filter((id) => !seen.has(id));
    throw new InvalidProcessorResponse(
      'Lambda.MissingRecordId',
      `The response lacks recordId(s) ${missing.join(', ')}.`,
    );
  }
  return records;
}

const pad = (n: number, width = 2) => String(n).padStart(width, '0');

/** `YYYY/MM/dd/HH/` in UTC, the prefix Firehose adds when the configured one has no timestamp expression. */
export function timePrefix(date: Date): string {
  return `${date.getUTCFullYear()}/${pad(date.getUTCMonth() + 1)}/${pad(date.getUTCDate())}/${pad(date.getUTCHours())}/`;
}

/** `<stream>-<version>-YYYY-MM-dd-HH-mm-ss-<random>`, Firehose's object name. */
export function objectName(stream: string, date: Date): string {
  const stamp = [
    date.getUTCFullYear(),
    pad(date.getUTCMonth() + 1),
    pad(date.getUTCDate()),
    pad(date.getUTCHours()),
    pad(date.getUTCMinutes()),
    pad(date.getUTCSeconds()),
  ].join('-');
  return `${stream}-1-${stamp}-${randomUUID()}`;
}

export function errorPrefix(errorOutputType: string): string {
  return CLICKS_DELIVERY.errorOutputPrefix.replace('!{firehose:error-output-type}', errorOutputType);
}

export function startDeliveryStream(options: DeliveryStreamOptions): DeliveryStream {
  const now = options.now ?? (() => new Date());
  const bufferSizeBytes = options.bufferSizeBytes ?? CLICKS_DELIVERY.processorBufferSizeMb * 1024 * 1024;
  const retries = options.processorRetries ?? 3;
  const stats: DeliveryStats = {
    recordsReceived: 0,
    recordsDelivered: 0,
    recordsDropped: 0,
    recordsFailed: 0,
    invocations: 0,
    objectsWritten: 0,
  };
  let buffer: BufferedRecord[] = [];
  let bufferBytes = 0;
  let timer: NodeJS.Timeout | undefined;
  let sequence = 0;
  let stopped = false;
  // One batch at a time, in order, as one Firehose stream delivers to one destination.
  let delivering: Promise<void> = Promise.resolve();

  const newRecordId = () =>
    // Firehose record ids are long opaque digit strings; unique per stream is what matters.
    `4954${pad(now().getTime(), 16)}${pad(++sequence, 12)}`;

  async function write(key: string, body: Buffer): Promise<void> {
    let lastError: unknown;
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        await options.putObject(key, body);
        stats.objectsWritten++;
        return;
      } catch (err) {
        lastError = err;
        await new Promise((r) => setTimeout(r, 100 * (attempt + 1)));
      }
    }
    options.onDeliveryError?.(
      new Error(`Firehose stand-in: could not write s3 object ${key}: ${(lastError as Error)?.message ?? lastError}`),
    );
  }

  async function writeErrors(
    records: FirehoseTransformationEventRecord[],
    errorCode: string,
    errorMessage: string,
    attemptsMade: number,
  ): Promise<void> {
    if (records.length === 0) return;
    const ended = now();
    const lines = records.map((r) => {
      const errorRecord: FirehoseErrorRecord = {
        attemptsMade,
        arrivalTimestamp: r.approximateArrivalTimestamp,
        errorCode,
        errorMessage,
        attemptEndingTimestamp: ended.getTime(),
        rawData: r.data,
        lambdaArn: `${options.processorArn}:$LATEST`,
      };
      return `${JSON.stringify(errorRecord)}\n`;
    });
    stats.recordsFailed += records.length;
    const key = `${errorPrefix('processing-failed')}${timePrefix(ended)}${objectName(options.name, ended)}`;
    await write(key, Buffer.from(lines.join('')));
  }

  async function deliver(batch: BufferedRecord[]): Promise<void> {
    const event: FirehoseTransformationEvent = {
      invocationId: randomUUID(),
      deliveryStreamArn: options.arn,
      region: options.region,
      records: batch.map((r) => ({
        recordId: r.recordId,
        approximateArrivalTimestamp: r.arrival,
        data: r.data.toString('base64'),
      })),
    };
    let failure = { errorCode: 'Lambda.FunctionError', errorMessage: '' };
    for (let attempt = 1; attempt <= retries + 1; attempt++) {
      stats.invocations++;
      let invocation: ProcessorInvocation;
      try {
        invocation = await options.invokeProcessor(event);
      } catch (err) {
        invocation = { ok: false, error: { errorType: 'InvokeError', errorMessage: (err as Error).message } };
      }
      if (!invocation.ok) {
        failure = {
          errorCode: 'Lambda.FunctionError',
          errorMessage: `The Lambda function was successfully invoked but it returned an error result: ${
            invocation.error?.errorType ?? 'Error'
          }: ${invocation.error?.errorMessage ?? ''}`,
        };
        continue;
      }
      let records: FirehoseTransformationResult['records'];
      try {
        records = checkTransformationResult(event, invocation.result);
      } catch (err) {
        const invalid = err as InvalidProcessorResponse;
        failure = { errorCode: invalid.errorCode ?? 'Lambda.InvalidResponse', errorMessage: invalid.message };
        continue;
      }
      const byId = new Map(event.records.map((r) => [r.recordId, r]));
      const ok = records.filter((r) => r.result === 'Ok');
      const failed = records.filter((r) => r.result === 'ProcessingFailed').map((r) => byId.get(r.recordId)!);
      stats.recordsDropped += records.filter((r) => r.result === 'Dropped').length;
      if (ok.length > 0) {
        const parts: Uint8Array[] = ok.flatMap((r) => [
          Buffer.from(r.data ?? '', 'base64'),
          Buffer.from(RECORD_DELIMITER),
        ]);
        const body = Buffer.concat(parts);
        const at = now();
        await write(`${CLICKS_DELIVERY.prefix}${timePrefix(at)}${objectName(options.name, at)}`, body);
        stats.recordsDelivered += ok.length;
      }
      await writeErrors(
        failed,
        'Lambda.ProcessingFailed',
        "The data record was marked as 'ProcessingFailed' by the Lambda function.",
        attempt,
      );
      return;
    }
    // Every attempt failed: the whole batch is kept under the error prefix.
    await writeErrors(event.records, failure.errorCode, failure.errorMessage, retries + 1);
  }

  function cut(): void {
    if (timer) clearTimeout(timer);
    timer = undefined;
    if (buffer.length === 0) return;
    const batch = buffer;
    buffer = [];
    bufferBytes = 0;
    delivering = delivering.then(() => deliver(batch)).catch((err) => options.onDeliveryError?.(err as Error));
  }

  return {
    putRecord(data: Buffer) {
      if (stopped) throw new Error(`Firehose stand-in ${options.name} is stopped`);
      const record = { recordId: newRecordId(), arrival: now().getTime(), data };
      buffer.push(record);
      bufferBytes += data.length;
      stats.recordsReceived++;
      if (bufferBytes >= bufferSizeBytes) cut();
      else if (!timer) timer = setTimeout(cut, options.bufferIntervalMs);
      return { recordId: record.recordId };
    },
    async flush() {
      cut();
      await delivering;
    },
    async stop() {
      stopped = true;
      cut();
      await delivering;
    },
    stats,
  };
}
