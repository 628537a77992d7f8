/**
 * A local stand-in for Lambda's DynamoDB Streams event source mapping, driven by QUESTIONS_STREAM_MAPPING:
 * - reads every shard of the stream (DescribeStream, GetShardIterator from the starting position, GetRecords),
 *   children only after their parent shard is finished, one batch in flight per shard, in order;
 * - drops the records no `filterPatterns` pattern matches (Lambda event filtering): never invoked, checkpointed;
 * - gathers up to `batchSize` records for at most `maximumBatchingWindowInSeconds`, then invokes the function;
 * - on a function error retries up to `maximumRetryAttempts` times, splitting the batch in two when
 *   `bisectBatchOnFunctionError` is on; with `ReportBatchItemFailures` a partial failure checkpoints before the
 *   lowest failed sequence number and retries from there (at-least-once: later records may be delivered twice);
 * - records older than `maximumRecordAgeInSeconds`, and records that exhaust their retries, are reported to the
 *   on-failure destination as Lambda does for stream sources (batch info only, not the records).
 */
import {
  DescribeStreamCommand,
  GetRecordsCommand,
  GetShardIteratorCommand,
  type AttributeValue,
  type DynamoDBStreamsClient,
  type _Record as StreamsRecord,
  type Shard,
} from '@aws-sdk/client-dynamodb-streams';
import type { DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { randomUUID } from 'node:crypto';
import { QUESTIONS_STREAM_MAPPING } from '../../system/definition';
import { compileFilterPatterns, matchesAnyPattern } from './event-filter';

export interface StreamMappingSettings {
  startingPosition: 'TRIM_HORIZON' | 'LATEST';
  batchSize: number;
  maximumBatchingWindowInSeconds: number;
  bisectBatchOnFunctionError: boolean;
  maximumRetryAttempts: number;
  maximumRecordAgeInSeconds: number;
  functionResponseTypes: readonly string[];
  /** Lambda filter criteria patterns (JSON text), ORed; none = every record is delivered. */
  filterPatterns?: readonly string[];
}

/** The subset of the function runtime's InvokeResult the poller reads. */
export interface StreamInvocation {
  ok: boolean;
  result?: unknown;
  error?: { errorType: string; errorMessage: string };
}

/** Lambda's on-failure destination record for a stream source. */
export interface StreamOnFailureRecord {
  requestContext: {
    requestId: string;
    functionArn: string;
    condition: 'RetryAttemptsExhausted' | 'RecordAgeExceeded';
    approximateInvokeCount: number;
  };
  responseContext: { statusCode: number; executedVersion: string; functionError?: string };
  version: '1.0';
  timestamp: string;
  DDBStreamBatchInfo: {
    shardId: string;
    startSequenceNumber: string;
    endSequenceNumber: string;
    approximateArrivalOfFirstRecord: string;
    approximateArrivalOfLastRecord: string;
    batchSize: number;
    streamArn: string;
  };
}

export interface StreamPollerOptions {
  streams: DynamoDBStreamsClient;
  streamArn: string;
  functionArn: string;
  region: string;
  invoke: (event: DynamoDBStreamEvent) => Promise<StreamInvocation>;
  sendToOnFailure: (record: StreamOnFailureRecord) => Promise<void>;
  mapping?: StreamMappingSettings;
  /** Lambda polls each shard about four times a second. */
  pollIntervalMs?: number;
  /** How often the shard list is refreshed to find new shards. */
  shardRefreshMs?: number;
  onError?: (error: Error) => void;
  now?: () => number;
}

export interface StreamPollerStats {
  recordsRead: number;
  /** Records no filter pattern matched: discarded without an invocation. */
  recordsFilteredOut: number;
  invocations: number;
  recordsSucceeded: number;
  recordsSentToOnFailure: number;
}

export interface StreamPoller {
  readonly stats: Readonly<StreamPollerStats>;
  stop(): Promise<void>;
}

interface ReadRecord {
  shardId: string;
  lambdaRecord: DynamoDBRecord;
  sequenceNumber: string;
  /** Epoch milliseconds. */
  createdAt: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The SDK decodes binary attributes to bytes; the Lambda event carries them as base64, like the wire format. */
// biome-ignore lint/suspicious/noExplicitAny: SDK AttributeValue (bytes) to aws-lambda's (base64), unrelated types.
function toEventAttribute(value: AttributeValue): any {
  if (value.B !== undefined) return { B: Buffer.from(value.B).toString('base64') };
  if (value.BS !== undefined) return { BS: value.BS.map((b) => Buffer.from(b).toString('base64')) };
  if (value.M !== undefined) return { M: toEventImage(value.M) };
  if (value.L !== undefined) return { L: value.L.map(toEventAttribute) };
  return value;
}

// biome-ignore lint/suspicious/noExplicitAny: as toEventAttribute.
function toEventImage(image: Record<string, AttributeValue> | undefined): any {
  if (!image) return undefined;
  return Object.fromEntries(Object.entries(image).map(([k, v]) => [k, toEventAttribute(v)]));
}

export function toLambdaRecord(record: StreamsRecord, streamArn: string, region: string): DynamoDBRecord {
  const d = record.dynamodb ?? {};
  const created = d.ApproximateCreationDateTime;
  return {
    eventID: record.eventID,
    eventName: record.eventName as DynamoDBRecord['eventName'],
    eventVersion: record.eventVersion,
    eventSource: 'aws:dynamodb',
    awsRegion: region,
    dynamodb: {
      ApproximateCreationDateTime: created ? Math.floor(new Date(created).getTime() / 1000) : undefined,
      Keys: toEventImage(d.Keys),
      NewImage: toEventImage(d.NewImage),
      OldImage: toEventImage(d.OldImage),
      SequenceNumber: d.SequenceNumber,
      SizeBytes: d.SizeBytes,
      StreamViewType: d.StreamViewType as NonNullable<DynamoDBRecord['dynamodb']>['StreamViewType'],
    },
    eventSourceARN: streamArn,
  };
}

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

export function startStreamPoller(options: StreamPollerOptions): StreamPoller {
  const mapping = options.mapping ?? QUESTIONS_STREAM_MAPPING;
  const pollIntervalMs = options.pollIntervalMs ?? 250;
  const shardRefreshMs = options.shardRefreshMs ?? 1000;
  const now = options.now ?? Date.now;
  const reportItemFailures = mapping.functionResponseTypes.includes('ReportBatchItemFailures');
  // A pattern the poller cannot evaluate fails the start, as Lambda refuses an invalid mapping.
  const filters = compileFilterPatterns(mapping.filterPatterns);
  const stats: StreamPollerStats = {
    recordsRead: 0,
    recordsFilteredOut: 0,
    invocations: 0,
    recordsSucceeded: 0,
    recordsSentToOnFailure: 0,
  };
  const shards = new Map<string, { shard: Shard; done: boolean; running?: Promise<void> }>();
  let stopped = false;
  const sleepers = new Set<() => void>();

  const report = (err: unknown) => {
    if (!stopped) options.onError?.(err instanceof Error ? err : new Error(String(err)));
  };
  /** Sleeps, but returns at once when the poller stops. */
  const pause = (ms: number) =>
    new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        sleepers.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      sleepers.add(done);
    });

  async function sendToOnFailure(
    records: readonly ReadRecord[],
    condition: StreamOnFailureRecord['requestContext']['condition'],
    invokeCount: number,
    last?: StreamInvocation,
  ): Promise<void> {
    const first = records[0];
    const lastRecord = records[records.length - 1];
    const failureRecord: StreamOnFailureRecord = {
      requestContext: {
        requestId: randomUUID(),
        functionArn: options.functionArn,
        condition,
        approximateInvokeCount: invokeCount,
      },
      responseContext: {
        statusCode: 200,
        executedVersion: '$LATEST',
        ...(last && !last.ok ? { functionError: 'Unhandled' } : {}),
      },
      version: '1.0',
      timestamp: new Date(now()).toISOString(),
      DDBStreamBatchInfo: {
        shardId: first.shardId,
        startSequenceNumber: first.sequenceNumber,
        endSequenceNumber: lastRecord.sequenceNumber,
        approximateArrivalOfFirstRecord: new Date(first.createdAt).toISOString(),
        approximateArrivalOfLastRecord: new Date(lastRecord.createdAt).toISOString(),
        batchSize: records.length,
        streamArn: options.streamArn,
      },
    };
    // The destination must not lose the report: keep trying while the sandbox runs.
    for (let attempt = 0; ; attempt++) {
      try {
        await options.sendToOnFailure(failureRecord);
        stats.recordsSentToOnFailure += records.length;
        return;
      } catch (err) {
        report(new Error(`stream poller: on-failure destination: ${(err as Error).message}`));
        if (stopped || attempt >= 5) return;
        await sleep(200 * (attempt + 1));
      }
    }
  }

  async function invoke(records: readonly ReadRecord[]): Promise<StreamInvocation> {
    stats.invocations++;
    try {
      return await options.invoke({ Records: records.map((r) => r.lambdaRecord) });
    } catch (err) {
      return { ok: false, error: { errorType: 'InvokeError', errorMessage: (err as Error).message } };
    }
  }

  /** Processes one batch to the end: success, or reported to the on-failure destination. */
  async function processBatch(records: readonly ReadRecord[], attempt: number): Promise<void> {
    if (records.length === 0 || stopped) return;
    if (mapping.maximumRecordAgeInSeconds >= 0) {
      const oldest = now() - mapping.maximumRecordAgeInSeconds * 1000;
      const expired = records.filter((r) => r.createdAt < oldest);
      if (expired.length > 0) {
        await sendToOnFailure(expired, 'RecordAgeExceeded', attempt);
        records = records.filter((r) => r.createdAt >= oldest);
        if (records.length === 0) return;
      }
    }
    const invocation = await invoke(records);
    const failedFrom = firstFailedIndex(records, invocation, reportItemFailures);
    if (failedFrom === -1) {
      stats.recordsSucceeded += records.length;
      return;
    }
    stats.recordsSucceeded += failedFrom;
    const remaining = records.slice(failedFrom);
    if (attempt >= mapping.maximumRetryAttempts) {
      await sendToOnFailure(remaining, 'RetryAttemptsExhausted', attempt + 1, invocation);
      return;
    }
    if (!invocation.ok && mapping.bisectBatchOnFunctionError && remaining.length > 1) {
      const half = Math.ceil(remaining.length / 2);
      await processBatch(remaining.slice(0, half), attempt + 1);
      await processBatch(remaining.slice(half), attempt + 1);
      return;
    }
    // A partial failure with bisect on is split at the returned sequence number: the retry is the remainder.
    await processBatch(remaining, attempt + 1);
  }

  async function shardIterator(shardId: string, after?: string): Promise<string | undefined> {
    const out = await options.streams.send(
      new GetShardIteratorCommand({
        StreamArn: options.streamArn,
        ShardId: shardId,
        ...(after
          ? { ShardIteratorType: 'AFTER_SEQUENCE_NUMBER', SequenceNumber: after }
          : { ShardIteratorType: mapping.startingPosition }),
      }),
    );
    return out.ShardIterator;
  }

  async function runShard(shardId: string): Promise<void> {
    let lastRead: string | undefined;
    let iterator: string | undefined;
    while (!stopped) {
      try {
        iterator = await shardIterator(shardId);
        break;
      } catch (err) {
        report(err);
        await pause(pollIntervalMs * 4);
      }
    }
    const pending: ReadRecord[] = [];
    let gatheringSince = 0;
    while (!stopped) {
      let readSome = false;
      if (iterator) {
        try {
          const out = await options.streams.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: 1000 }));
          iterator = out.NextShardIterator;
          for (const record of out.Records ?? []) {
            const sequenceNumber = record.dynamodb?.SequenceNumber ?? '';
            const created = record.dynamodb?.ApproximateCreationDateTime;
            const lambdaRecord = toLambdaRecord(record, options.streamArn, options.region);
            lastRead = sequenceNumber;
            stats.recordsRead++;
            readSome = true;
            if (!matchesAnyPattern(filters, lambdaRecord)) {
              // Discarded and checkpointed (reading goes on past it), never invoked.
              stats.recordsFilteredOut++;
              continue;
            }
            pending.push({
              shardId,
              sequenceNumber,
              createdAt: created ? new Date(created).getTime() : now(),
              lambdaRecord,
            });
          }
        } catch (err) {
          const name = (err as Error).name;
          if (name === 'ExpiredIteratorException' || name === 'TrimmedDataAccessException') {
            // A stale iterator: start again just after the last record read (DynamoDB Local also answers
            // TrimmedDataAccessException for an iterator taken on an empty shard once records arrive).
            iterator = await shardIterator(shardId, lastRead).catch(() => iterator);
          } else if (!stopped) {
            report(err);
          }
        }
      }
      if (pending.length > 0 && gatheringSince === 0) gatheringSince = now();
      const closed = !iterator;
      // Invoke when the batch is full, the batching window is over, or the shard has nothing more to give.
      while (
        !stopped &&
        pending.length > 0 &&
        (pending.length >= mapping.batchSize ||
          closed ||
          now() - gatheringSince >= mapping.maximumBatchingWindowInSeconds * 1000)
      ) {
        await processBatch(pending.splice(0, mapping.batchSize), 0);
        gatheringSince = pending.length > 0 ? now() : 0;
      }
      if (closed && pending.length === 0) return;
      if (!readSome || pending.length > 0) await pause(pollIntervalMs);
    }
  }

  function startReadyShards(): void {
    for (const [id, entry] of shards) {
      if (entry.running || entry.done) continue;
      const parent = entry.shard.ParentShardId ? shards.get(entry.shard.ParentShardId) : undefined;
      if (parent && !parent.done) continue; // records of a child shard come after its parent's
      entry.running = runShard(id)
        .catch(report)
        .finally(() => {
          entry.done = true;
          startReadyShards();
        });
    }
  }

  async function refreshShards(): Promise<void> {
    let exclusiveStart: string | undefined;
    do {
      const out = await options.streams.send(
        new DescribeStreamCommand({ StreamArn: options.streamArn, ExclusiveStartShardId: exclusiveStart }),
      );
      for (const shard of out.StreamDescription?.Shards ?? []) {
        if (shard.ShardId && !shards.has(shard.ShardId)) shards.set(shard.ShardId, { shard, done: false });
      }
      exclusiveStart = out.StreamDescription?.LastEvaluatedShardId;
    } while (exclusiveStart);
    startReadyShards();
  }

  const discovery = (async () => {
    while (!stopped) {
      try {
        await refreshShards();
      } catch (err) {
        report(err);
      }
      await pause(shardRefreshMs);
    }
  })();

  return {
    stats,
    async stop() {
      stopped = true;
      for (const wake of [...sleepers]) wake();
      await discovery;
      await Promise.all([...shards.values()].map((s) => s.running));
    },
  };
}
