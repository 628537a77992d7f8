/**
 * The processor's answer checked as Firehose checks it: every recordId of the batch back exactly once, a result
 * of Ok | Dropped | ProcessingFailed, base64 data for Ok records. The error codes are Firehose's own.
 */
import type { FirehoseTransformationEvent, FirehoseTransformationResult } from 'aws-lambda';

const RESULTS = new Set(['Ok', 'Dropped', 'ProcessingFailed']);
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

export class InvalidProcessorResponse extends Error {
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
