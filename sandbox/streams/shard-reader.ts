/**
 * Reading one shard to its end, one batch in flight, in order: GetShardIterator from the mapping's starting
 * position, GetRecords in a loop, records no filter pattern matches dropped (checkpointed, never invoked), the
 * rest gathered until the batch is full, the batching window is over or the shard is closed.
 */
import { GetRecordsCommand, GetShardIteratorCommand } from '@aws-sdk/client-dynamodb-streams';
import { matchesAnyPattern } from './event-filter';
import { processBatch, type ReadRecord } from './batch';
import { toLambdaRecord } from './lambda-record';
import type { PollerContext } from './stream-poller';

/** One shard's reading position and the records read but not yet invoked. */
interface ShardCursor {
  shardId: string;
  iterator?: string;
  /** The sequence number of the last record read, to start again after it. */
  lastRead?: string;
  pending: ReadRecord[];
  /** When the first pending record was read (0: none pending). */
  gatheringSince: number;
  /** The last sequence number reported done through `onCheckpoint`. */
  checkpointed?: string;
}

/** Reports every record up to `sequenceNumber` done (delivered, filtered out or reported), once per position. */
function checkpoint(ctx: PollerContext, cursor: ShardCursor, sequenceNumber: string): void {
  // Not while stopping: a batch cut short by stop() is delivered again at the next start (at-least-once).
  if (ctx.stopped() || sequenceNumber === cursor.checkpointed) return;
  cursor.checkpointed = sequenceNumber;
  ctx.options.onCheckpoint?.(cursor.shardId, sequenceNumber);
}

async function shardIterator(ctx: PollerContext, shardId: string, after?: string): Promise<string | undefined> {
  const out = await ctx.options.streams.send(
    new GetShardIteratorCommand({
      StreamArn: ctx.options.streamArn,
      ShardId: shardId,
      ...(after
        ? { ShardIteratorType: 'AFTER_SEQUENCE_NUMBER', SequenceNumber: after }
        : { ShardIteratorType: ctx.mapping.startingPosition }),
    }),
  );
  return out.ShardIterator;
}

/** The first iterator (after `after` when resuming), asked again until it comes or the poller stops. */
async function firstIterator(ctx: PollerContext, shardId: string, after?: string): Promise<string | undefined> {
  while (!ctx.stopped()) {
    try {
      return await shardIterator(ctx, shardId, after);
    } catch (err) {
      ctx.report(err);
      await ctx.pause(ctx.pollIntervalMs * 4);
    }
  }
  return undefined;
}

/** One GetRecords call; returns whether it read any record. */
async function readOnce(ctx: PollerContext, cursor: ShardCursor): Promise<boolean> {
  let readSome = false;
  try {
    const out = await ctx.options.streams.send(new GetRecordsCommand({ ShardIterator: cursor.iterator, Limit: 1000 }));
    cursor.iterator = out.NextShardIterator;
    for (const record of out.Records ?? []) {
      const sequenceNumber = record.dynamodb?.SequenceNumber ?? '';
      const created = record.dynamodb?.ApproximateCreationDateTime;
      const lambdaRecord = toLambdaRecord(record, ctx.options.streamArn, ctx.options.region);
      cursor.lastRead = sequenceNumber;
      ctx.stats.recordsRead++;
      readSome = true;
      if (!matchesAnyPattern(ctx.filters, lambdaRecord)) {
        // Discarded and checkpointed (reading goes on past it), never invoked.
        ctx.stats.recordsFilteredOut++;
        continue;
      }
      const createdAt = created ? new Date(created).getTime() : ctx.now();
      cursor.pending.push({ shardId: cursor.shardId, sequenceNumber, createdAt, lambdaRecord });
    }
  } catch (err) {
    const name = (err as Error).name;
    if (name === 'ExpiredIteratorException' || name === 'TrimmedDataAccessException') {
      // A stale iterator: start again just after the last record read (DynamoDB Local also answers
      // TrimmedDataAccessException for an iterator taken on an empty shard once records arrive).
      cursor.iterator = await shardIterator(ctx, cursor.shardId, cursor.lastRead).catch(() => cursor.iterator);
    } else if (!ctx.stopped()) {
      ctx.report(err);
    }
  }
  return readSome;
}

/** Invokes when the batch is full, the batching window is over, or the shard has nothing more to give. */
async function invokeReadyBatches(ctx: PollerContext, cursor: ShardCursor, closed: boolean): Promise<void> {
  const { mapping } = ctx;
  if (cursor.pending.length > 0 && cursor.gatheringSince === 0) cursor.gatheringSince = ctx.now();
  const ready = () =>
    cursor.pending.length >= mapping.batchSize ||
    closed ||
    ctx.now() - cursor.gatheringSince >= mapping.maximumBatchingWindowInSeconds * 1000;
  while (!ctx.stopped() && cursor.pending.length > 0 && ready()) {
    const batch = cursor.pending.splice(0, mapping.batchSize);
    await processBatch(ctx, batch, 0);
    checkpoint(ctx, cursor, batch[batch.length - 1].sequenceNumber);
    cursor.gatheringSince = cursor.pending.length > 0 ? ctx.now() : 0;
  }
  // Nothing waiting: every record read so far is done, those filtered out included.
  if (cursor.pending.length === 0 && cursor.lastRead) checkpoint(ctx, cursor, cursor.lastRead);
}

/** Reads the shard until it is closed and every record is processed, or the poller stops. */
export async function runShard(ctx: PollerContext, shardId: string): Promise<void> {
  // Resuming from a kept checkpoint (`npm start -- --persist`) reads after it instead of the starting position.
  const resumeAfter = ctx.options.resumeAfter?.[shardId];
  const cursor: ShardCursor = {
    shardId,
    pending: [],
    gatheringSince: 0,
    lastRead: resumeAfter,
    checkpointed: resumeAfter,
  };
  cursor.iterator = await firstIterator(ctx, shardId, resumeAfter);
  while (!ctx.stopped()) {
    const readSome = cursor.iterator ? await readOnce(ctx, cursor) : false;
    const closed = !cursor.iterator;
    await invokeReadyBatches(ctx, cursor, closed);
    if (closed && cursor.pending.length === 0) return;
    if (!readSome || cursor.pending.length > 0) await ctx.pause(ctx.pollIntervalMs);
  }
}
