/**
 * Firehose data transformation for the clicks stream: decodes each record `{ userId, mysfitId }`, looks the
 * mysfit up through the mysfits API, and returns `{ userId, mysfitId, goodevil, lawchaos, species, timestamp }`
 * with result `Ok` (the delivery stream adds the newline: JSON Lines in S3). A malformed record, an unknown mysfit or a
 * failed lookup
 * is `ProcessingFailed` (Firehose keeps it under the error prefix); one bad record never fails the batch.
 * The lookup comes in (./mysfit-lookup's interface): index.ts passes the API client, unit tests a fake.
 */
import type {
  FirehoseTransformationEvent,
  FirehoseTransformationEventRecord,
  FirehoseTransformationResult,
  FirehoseTransformationResultRecord,
} from 'aws-lambda';
import * as z from '../shared/zod';
import { CLICK_REQUEST_SCHEMA } from '../../system/api';
import { ANNOTATIONS } from '../../system/trace-names';
import type { Logger } from '../shared/logger';
import { annotate, recordClientError, recordFault, traceInvocation, withSubsegment } from '../shared/tracing';
import { UnknownMysfit, type MysfitLookup } from './mysfit-lookup';

// The same rules as the click model API Gateway validates against (CLICK_REQUEST_SCHEMA).
const idField = z
  .string()
  .check(
    z.minLength(CLICK_REQUEST_SCHEMA.properties.userId.minLength),
    z.maxLength(CLICK_REQUEST_SCHEMA.properties.userId.maxLength),
    z.regex(new RegExp(CLICK_REQUEST_SCHEMA.properties.userId.pattern)),
  );
const Click = z.object({ userId: idField, mysfitId: idField });

/** Records enriched at once: bounded so a large batch does not open hundreds of sockets. */
const PARALLEL_RECORDS = 8;

export interface ClicksHandlerDependencies {
  service: string;
  lookup: MysfitLookup;
  logger: Logger;
  /** Milliseconds since the epoch: the timestamp of a record Firehose sent without its arrival time. */
  now?: () => number;
}

export function createClicksHandler({ service, lookup, logger, now = Date.now }: ClicksHandlerDependencies) {
  async function transform(record: FirehoseTransformationEventRecord): Promise<FirehoseTransformationResultRecord> {
    const failed = (reason: string, extra?: Record<string, unknown>): FirehoseTransformationResultRecord => {
      logger.warn('click not enriched', { recordId: record.recordId, reason, ...extra });
      return { recordId: record.recordId, result: 'ProcessingFailed', data: record.data };
    };
    return withSubsegment('enrichClick', async (subsegment) => {
      let click: z.infer<typeof Click>;
      try {
        const parsed = Click.safeParse(JSON.parse(Buffer.from(record.data ?? '', 'base64').toString('utf8')));
        if (!parsed.success) {
          recordClientError(subsegment, parsed.error.issues);
          return failed('malformed click', {
            issues: parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`),
          });
        }
        click = parsed.data;
      } catch {
        recordClientError(subsegment, 'not JSON');
        return failed('malformed click: not JSON');
      }
      annotate(subsegment, ANNOTATIONS.mysfitId, click.mysfitId);
      try {
        const mysfit = await lookup.get(click.mysfitId);
        const enriched = {
          userId: click.userId,
          mysfitId: click.mysfitId,
          goodevil: mysfit.goodEvil,
          lawchaos: mysfit.lawChaos,
          species: mysfit.species,
          timestamp: new Date(record.approximateArrivalTimestamp ?? now()).toISOString(),
        };
        // No trailing newline: the delivery stream's AppendDelimiterToRecord processor (CLICKS_DELIVERY) adds one
        // after every record, so the objects in S3 are JSON Lines without blank lines.
        return {
          recordId: record.recordId,
          result: 'Ok',
          data: Buffer.from(JSON.stringify(enriched)).toString('base64'),
        };
      } catch (err) {
        // Unknown mysfits are bad data (an error); unreachable/slow/broken upstreams are faults.
        if (err instanceof UnknownMysfit) recordClientError(subsegment, err.message);
        else recordFault(subsegment, err);
        return failed((err as Error).message, { mysfitId: click.mysfitId });
      }
    });
  }

  return async function handler(event: FirehoseTransformationEvent): Promise<FirehoseTransformationResult> {
    return traceInvocation(service, async () => {
      const input = event?.records ?? [];
      const records: FirehoseTransformationResultRecord[] = new Array(input.length);
      let next = 0;
      const worker = async () => {
        while (next < input.length) {
          const i = next++;
          records[i] = await transform(input[i]);
        }
      };
      await Promise.all(Array.from({ length: Math.min(PARALLEL_RECORDS, input.length) }, worker));
      return { records };
    });
  };
}
