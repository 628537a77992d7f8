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
 * The processor's answer is checked in `processor-response.ts`; S3 keys are named in `object-names.ts`.
 */
import type {
  FirehoseTransformationEvent,
  FirehoseTransformationEventRecord,
  FirehoseTransformationResult,
} from 'aws-lambda';
import { randomUUID } from 'node:crypto';
import { CLICKS_DELIVERY } from '../../system/definition';
import { errorPrefix, objectName, pad, timePrefix } from './object-names';
import { checkTransformationResult, type InvalidProcessorResponse } from './processor-response';

export { errorPrefix, objectName, timePrefix } from './object-names';
export { checkTransformationResult } from './processor-response';

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

/** What delivering a batch needs of its stream. */
interface Delivery {
  options: DeliveryStreamOptions;
  stats: DeliveryStats;
  now: () => Date;
  /** Extra attempts after a failed invocation. */
  retries: number;
}

type Failure = { errorCode: string; errorMessage: string };

/** Puts one object, three attempts; a write that still fails is reported (onDeliveryError), not thrown. */
async function write(delivery: Delivery, key: string, body: Buffer): Promise<void> {
  let lastError: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      await delivery.options.putObject(key, body);
      delivery.stats.objectsWritten++;
      return;
    } catch (err) {
      lastError = err;
      await new Promise((r) => setTimeout(r, 100 * (attempt + 1)));
    }
  }
  delivery.options.onDeliveryError?.(
    new Error(`Firehose stand-in: could not write s3 object ${key}: ${(lastError as Error)?.message ?? lastError}`),
  );
}

/** Failed records, one Firehose error record per line, in one object under the error prefix. */
async function writeErrors(
  delivery: Delivery,
  records: FirehoseTransformationEventRecord[],
  failure: Failure,
  attemptsMade: number,
): Promise<void> {
  if (records.length === 0) return;
  const ended = delivery.now();
  const lines = records.map((r) => {
    const errorRecord: FirehoseErrorRecord = {
      attemptsMade,
      arrivalTimestamp: r.approximateArrivalTimestamp,
      errorCode: failure.errorCode,
      errorMessage: failure.errorMessage,
      attemptEndingTimestamp: ended.getTime(),
      rawData: r.data,
      lambdaArn: `${delivery.options.processorArn}:$LATEST`,
    };
    return `${JSON.stringify(errorRecord)}\n`;
  });
  delivery.stats.recordsFailed += records.length;
  const key = `${errorPrefix('processing-failed')}${timePrefix(ended)}${objectName(delivery.options.name, ended)}`;
  await write(delivery, key, Buffer.from(lines.join('')));
}

/** One invocation of the processor: its checked records, or why the attempt failed. */
async function transformOnce(
  delivery: Delivery,
  event: FirehoseTransformationEvent,
): Promise<{ records: FirehoseTransformationResult['records'] } | { failure: Failure }> {
  delivery.stats.invocations++;
  let invocation: ProcessorInvocation;
  try {
    invocation = await delivery.options.invokeProcessor(event);
  } catch (err) {
    invocation = { ok: false, error: { errorType: 'InvokeError', errorMessage: (err as Error).message } };
  }
  if (!invocation.ok) {
    const error = `${invocation.error?.errorType ?? 'Error'}: ${invocation.error?.errorMessage ?? ''}`;
    const errorMessage = `The Lambda function was successfully invoked but it returned an error result: ${error}`;
    return { failure: { errorCode: 'Lambda.FunctionError', errorMessage } };
  }
  try {
    return { records: checkTransformationResult(event, invocation.result) };
  } catch (err) {
    const invalid = err as InvalidProcessorResponse;
    return { failure: { errorCode: invalid.errorCode ?? 'Lambda.InvalidResponse', errorMessage: invalid.message } };
  }
}

/** Ok records (each followed by the delimiter) in one object; ProcessingFailed ones under the error prefix. */
async function writeResults(
  delivery: Delivery,
  event: FirehoseTransformationEvent,
  records: FirehoseTransformationResult['records'],
  attempt: number,
): Promise<void> {
  const byId = new Map(event.records.map((r) => [r.recordId, r]));
  const ok = records.filter((r) => r.result === 'Ok');
  const failed = records.filter((r) => r.result === 'ProcessingFailed').map((r) => byId.get(r.recordId)!);
  delivery.stats.recordsDropped += records.filter((r) => r.result === 'Dropped').length;
  if (ok.length > 0) {
    const parts: Uint8Array[] = ok.flatMap((r) => [Buffer.from(r.data ?? '', 'base64'), Buffer.from(RECORD_DELIMITER)]);
    const at = delivery.now();
    await write(
      delivery,
      `${CLICKS_DELIVERY.prefix}${timePrefix(at)}${objectName(delivery.options.name, at)}`,
      Buffer.concat(parts),
    );
    delivery.stats.recordsDelivered += ok.length;
  }
  const processingFailed = {
    errorCode: 'Lambda.ProcessingFailed',
    errorMessage: "The data record was marked as 'ProcessingFailed' by the Lambda function.",
  };
  await writeErrors(delivery, failed, processingFailed, attempt);
}

/** One batch through the processor (with retries) to S3; nothing is lost: what fails lands under the error prefix. */
async function deliver(delivery: Delivery, batch: BufferedRecord[]): Promise<void> {
  const event: FirehoseTransformationEvent = {
    invocationId: randomUUID(),
    deliveryStreamArn: delivery.options.arn,
    region: delivery.options.region,
    records: batch.map((r) => ({
      recordId: r.recordId,
      approximateArrivalTimestamp: r.arrival,
      data: r.data.toString('base64'),
    })),
  };
  let failure: Failure = { errorCode: 'Lambda.FunctionError', errorMessage: '' };
  for (let attempt = 1; attempt <= delivery.retries + 1; attempt++) {
    const outcome = await transformOnce(delivery, event);
    if ('failure' in outcome) {
      failure = outcome.failure;
      continue;
    }
    await writeResults(delivery, event, outcome.records, attempt);
    return;
  }
  // Every attempt failed: the whole batch is kept under the error prefix.
  await writeErrors(delivery, event.records, failure, delivery.retries + 1);
}

export function startDeliveryStream(options: DeliveryStreamOptions): DeliveryStream {
  const now = options.now ?? (() => new Date());
  const bufferSizeBytes = options.bufferSizeBytes ?? CLICKS_DELIVERY.processorBufferSizeMb * 1024 * 1024;
  const stats: DeliveryStats = {
    recordsReceived: 0,
    recordsDelivered: 0,
    recordsDropped: 0,
    recordsFailed: 0,
    invocations: 0,
    objectsWritten: 0,
  };
  const delivery: Delivery = { options, stats, now, retries: options.processorRetries ?? 3 };
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

  function cut(): void {
    if (timer) clearTimeout(timer);
    timer = undefined;
    if (buffer.length === 0) return;
    const batch = buffer;
    buffer = [];
    bufferBytes = 0;
    delivering = delivering
      .then(() => deliver(delivery, batch))
      .catch((err) => options.onDeliveryError?.(err as Error));
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
