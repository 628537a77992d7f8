/**
 * Firehose data transformation for the clicks stream: decodes each record `{ userId, mysfitId }`, looks the
 * mysfit up through the mysfits API, and returns `{ userId, mysfitId, goodevil, lawchaos, species, timestamp }`
 * plus a newline (JSON Lines in S3) with result `Ok`. A malformed record, an unknown mysfit or a failed lookup
 * is `ProcessingFailed` (Firehose keeps it under the error prefix); one bad record never fails the batch.
 */
import type {
  FirehoseTransformationEvent,
  FirehoseTransformationEventRecord,
  FirehoseTransformationResult,
  FirehoseTransformationResultRecord,
} from 'aws-lambda';
import * as z from '../shared/zod';
import { ANNOTATIONS, CLICK_REQUEST_SCHEMA, DEFAULTS, ENV, FUNCTIONS } from '../../system/definition';
import { createLogger } from '../shared/logger';
import { numberSetting, urlSetting } from '../shared/settings';
import { annotate, recordClientError, traceInvocation, withSubsegment } from '../shared/tracing';
import { createMysfitLookup } from './mysfit-lookup';

const service = process.env[ENV.serviceName] || FUNCTIONS.processClicks.name;
const logger = createLogger(service);
const lookup = createMysfitLookup(
  urlSetting(process.env, ENV.mysfitsApiUrl),
  numberSetting(process.env, ENV.mysfitsLookupTimeoutMs, {
    defaultValue: DEFAULTS.mysfitsLookupTimeoutMs,
    min: 1,
    max: 60_000,
    integer: true,
  }),
);

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
        timestamp: new Date(record.approximateArrivalTimestamp ?? Date.now()).toISOString(),
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
      if ((err as Error).name === 'UnknownMysfit') recordClientError(subsegment, (err as Error).message);
      else subsegment?.addError(err as Error);
      return failed((err as Error).message, { mysfitId: click.mysfitId });
    }
  });
}

export async function handler(event: FirehoseTransformationEvent): Promise<FirehoseTransformationResult> {
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
}
