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
 * This module finds the shards and runs them; `shard-reader.ts` reads one shard, `batch.ts` sees one batch
 * through its invocations, `lambda-record.ts` shapes the records.
 */
import { DescribeStreamCommand, type DynamoDBStreamsClient, type Shard } from '@aws-sdk/client-dynamodb-streams';
import type { DynamoDBStreamEvent } from 'aws-lambda';
import { QUESTIONS_STREAM_MAPPING } from '../../system/definition';
import { compileFilterPatterns } from './event-filter';
import { runShard } from './shard-reader';

export { firstFailedIndex } from './batch';
export { toLambdaRecord } from './lambda-record';

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
  /**
   * Per shard, the sequence number reading resumes after, instead of the mapping's starting position: the mapping's
   * checkpoint, kept across restarts by `npm start -- --persist` (on AWS the mapping keeps it itself).
   */
  resumeAfter?: Readonly<Record<string, string>>;
  /** Called when every record of a shard up to `sequenceNumber` is done: delivered, filtered out or reported. */
  onCheckpoint?: (shardId: string, sequenceNumber: string) => void;
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

/** What the shard readers and batches share with the poller. */
export interface PollerContext {
  options: StreamPollerOptions;
  mapping: StreamMappingSettings;
  filters: ReturnType<typeof compileFilterPatterns>;
  pollIntervalMs: number;
  stats: StreamPollerStats;
  now: () => number;
  stopped(): boolean;
  /** A failure the poller goes on after (reported while it runs, not after it stopped). */
  report(err: unknown): void;
  /** Sleeps, but returns at once when the poller stops. */
  pause(ms: number): Promise<void>;
}

/** A pause that ends early on wake-up, and the wake-up of every pause in progress. */
function pauses() {
  const sleepers = new Set<() => void>();
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
  const wakeAll = () => {
    for (const wake of [...sleepers]) wake();
  };
  return { pause, wakeAll };
}

function contextOf(
  options: StreamPollerOptions,
  isStopped: () => boolean,
  pause: PollerContext['pause'],
): PollerContext {
  const mapping = options.mapping ?? QUESTIONS_STREAM_MAPPING;
  return {
    options,
    mapping,
    // A pattern the poller cannot evaluate fails the start, as Lambda refuses an invalid mapping.
    filters: compileFilterPatterns(mapping.filterPatterns),
    pollIntervalMs: options.pollIntervalMs ?? 250,
    stats: { recordsRead: 0, recordsFilteredOut: 0, invocations: 0, recordsSucceeded: 0, recordsSentToOnFailure: 0 },
    now: options.now ?? Date.now,
    stopped: isStopped,
    report: (err) => {
      if (!isStopped()) options.onError?.(err instanceof Error ? err : new Error(String(err)));
    },
    pause,
  };
}

type ShardEntry = { shard: Shard; done: boolean; running?: Promise<void> };

/** Starts every shard not started yet whose parent is finished (a child's records come after its parent's). */
function startReadyShards(ctx: PollerContext, shards: Map<string, ShardEntry>): void {
  for (const [id, entry] of shards) {
    if (entry.running || entry.done) continue;
    const parent = entry.shard.ParentShardId ? shards.get(entry.shard.ParentShardId) : undefined;
    if (parent && !parent.done) continue;
    entry.running = runShard(ctx, id)
      .catch(ctx.report)
      .finally(() => {
        entry.done = true;
        startReadyShards(ctx, shards);
      });
  }
}

/** DescribeStream, every page: adds the shards not known yet, then starts those that are ready. */
async function refreshShards(ctx: PollerContext, shards: Map<string, ShardEntry>): Promise<void> {
  let exclusiveStart: string | undefined;
  do {
    const out = await ctx.options.streams.send(
      new DescribeStreamCommand({ StreamArn: ctx.options.streamArn, ExclusiveStartShardId: exclusiveStart }),
    );
    for (const shard of out.StreamDescription?.Shards ?? []) {
      if (shard.ShardId && !shards.has(shard.ShardId)) shards.set(shard.ShardId, { shard, done: false });
    }
    exclusiveStart = out.StreamDescription?.LastEvaluatedShardId;
  } while (exclusiveStart);
  startReadyShards(ctx, shards);
}

export function startStreamPoller(options: StreamPollerOptions): StreamPoller {
  let stopped = false;
  const { pause, wakeAll } = pauses();
  const ctx = contextOf(options, () => stopped, pause);
  const shardRefreshMs = options.shardRefreshMs ?? 1000;
  const shards = new Map<string, ShardEntry>();
  const discovery = (async () => {
    while (!stopped) {
      try {
        await refreshShards(ctx, shards);
      } catch (err) {
        ctx.report(err);
      }
      await pause(shardRefreshMs);
    }
  })();

  return {
    stats: ctx.stats,
    async stop() {
      stopped = true;
      wakeAll();
      await discovery;
      await Promise.all([...shards.values()].map((s) => s.running));
    },
  };
}
