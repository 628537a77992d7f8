/**
 * One batch of stream records from the invocation to its end, as Lambda's event source mapping handles it:
 * records past `maximumRecordAgeInSeconds` are reported, not invoked; a function error is retried up to
 * `maximumRetryAttempts` times, the batch split in two when `bisectBatchOnFunctionError` is on; with
 * `ReportBatchItemFailures` a partial failure retries from the lowest failed sequence number; what exhausts its
 * retries goes to the on-failure destination (batch info only, not the records).
 */
import type { DynamoDBRecord } from 'aws-lambda';
import { randomUUID } from 'node:crypto';
import type { PollerContext, StreamInvocation, StreamOnFailureRecord } from './stream-poller';

export interface ReadRecord {
  shardId: string;
  lambdaRecord: DynamoDBRecord;
  sequenceNumber: string;
  /** Epoch milliseconds. */
  createdAt: number;
}

type FailureCondition = StreamOnFailureRecord['requestContext']['condition'];

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Where the batch failed: -1 for success, else the index of the first record to retry. Follows Lambda's partial
 * batch response rules: an empty/null answer or list is success; an item without a valid identifier fails all.
 */
export function firstFailedIndex(
  batch: readonly ReadRecord[],
  invocation: StreamInvocation,
  reportBatchItemFailures: boolean,
): number {
  if (!invocation.ok) return 0;
  if (!reportBatchItemFailures) return -1;
  const failures = (invocation.result as { batchItemFailures?: unknown } | null | undefined)?.batchItemFailures;
  if (failures === undefined || failures === null) return -1;
  if (!Array.isArray(failures)) return 0;
  let lowest = -1;
  for (const failure of failures) {
    const id = (failure as { itemIdentifier?: unknown } | null)?.itemIdentifier;
    const index = typeof id === 'string' && id !== '' ? batch.findIndex((r) => r.sequenceNumber === id) : -1;
    if (index === -1) return 0;
    if (lowest === -1 || index < lowest) lowest = index;
  }
  return lowest;
}

/** Lambda's on-failure record for a stream source: which records, why, after how many invocations. */
function onFailureRecord(
  ctx: PollerContext,
  records: readonly ReadRecord[],
  condition: FailureCondition,
  invokeCount: number,
  last?: StreamInvocation,
): StreamOnFailureRecord {
  const first = records[0];
  const lastRecord = records[records.length - 1];
  return {
    requestContext: {
      requestId: randomUUID(),
      functionArn: ctx.options.functionArn,
      condition,
      approximateInvokeCount: invokeCount,
    },
    responseContext: {
      statusCode: 200,
      executedVersion: '$LATEST',
      ...(last && !last.ok ? { functionError: 'Unhandled' } : {}),
    },
    version: '1.0',
    timestamp: new Date(ctx.now()).toISOString(),
    DDBStreamBatchInfo: {
      shardId: first.shardId,
      startSequenceNumber: first.sequenceNumber,
      endSequenceNumber: lastRecord.sequenceNumber,
      approximateArrivalOfFirstRecord: new Date(first.createdAt).toISOString(),
      approximateArrivalOfLastRecord: new Date(lastRecord.createdAt).toISOString(),
      batchSize: records.length,
      streamArn: ctx.options.streamArn,
    },
  };
}

async function sendToOnFailure(
  ctx: PollerContext,
  records: readonly ReadRecord[],
  condition: FailureCondition,
  invokeCount: number,
  last?: StreamInvocation,
): Promise<void> {
  const failureRecord = onFailureRecord(ctx, records, condition, invokeCount, last);
  // The destination must not lose the report: keep trying while the sandbox runs.
  for (let attempt = 0; ; attempt++) {
    try {
      await ctx.options.sendToOnFailure(failureRecord);
      ctx.stats.recordsSentToOnFailure += records.length;
      return;
    } catch (err) {
      ctx.report(new Error(`stream poller: on-failure destination: ${(err as Error).message}`));
      if (ctx.stopped() || attempt >= 5) return;
      await sleep(200 * (attempt + 1));
    }
  }
}

async function invoke(ctx: PollerContext, records: readonly ReadRecord[]): Promise<StreamInvocation> {
  ctx.stats.invocations++;
  try {
    return await ctx.options.invoke({ Records: records.map((r) => r.lambdaRecord) });
  } catch (err) {
    return { ok: false, error: { errorType: 'InvokeError', errorMessage: (err as Error).message } };
  }
}

/** The records still young enough to invoke; the others are reported as RecordAgeExceeded. */
async function dropExpired(
  ctx: PollerContext,
  records: readonly ReadRecord[],
  attempt: number,
): Promise<readonly ReadRecord[]> {
  if (ctx.mapping.maximumRecordAgeInSeconds < 0) return records;
  const oldest = ctx.now() - ctx.mapping.maximumRecordAgeInSeconds * 1000;
  const expired = records.filter((r) => r.createdAt < oldest);
  if (expired.length === 0) return records;
  await sendToOnFailure(ctx, expired, 'RecordAgeExceeded', attempt);
  return records.filter((r) => r.createdAt >= oldest);
}

/** Processes one batch to the end: success, or reported to the on-failure destination. */
export async function processBatch(ctx: PollerContext, batch: readonly ReadRecord[], attempt: number): Promise<void> {
  if (batch.length === 0 || ctx.stopped()) return;
  const records = await dropExpired(ctx, batch, attempt);
  if (records.length === 0) return;
  const invocation = await invoke(ctx, records);
  const reportItemFailures = ctx.mapping.functionResponseTypes.includes('ReportBatchItemFailures');
  const failedFrom = firstFailedIndex(records, invocation, reportItemFailures);
  if (failedFrom === -1) {
    ctx.stats.recordsSucceeded += records.length;
    return;
  }
  ctx.stats.recordsSucceeded += failedFrom;
  const remaining = records.slice(failedFrom);
  if (attempt >= ctx.mapping.maximumRetryAttempts) {
    await sendToOnFailure(ctx, remaining, 'RetryAttemptsExhausted', attempt + 1, invocation);
    return;
  }
  if (!invocation.ok && ctx.mapping.bisectBatchOnFunctionError && remaining.length > 1) {
    const half = Math.ceil(remaining.length / 2);
    await processBatch(ctx, remaining.slice(0, half), attempt + 1);
    await processBatch(ctx, remaining.slice(half), attempt + 1);
    return;
  }
  // A partial failure with bisect on is split at the returned sequence number: the retry is the remainder.
  await processBatch(ctx, remaining, attempt + 1);
}
