/**
 * The Firehose stand-in with an in-test processor: buffering, the transformation event, response checks,
 * the delimiter processor, and where Ok / failed records land (nothing lost).
 */
import type { FirehoseTransformationEvent, FirehoseTransformationResult } from 'aws-lambda';
import {
  RECORD_DELIMITER,
  startDeliveryStream,
  type DeliveryStreamOptions,
  type FirehoseErrorRecord,
  type ProcessorInvocation,
} from '../../sandbox/firehose/delivery-stream';
import { CLICKS_DELIVERY } from '../../system/definition';

const FIXED = new Date(Date.UTC(2024, 2, 5, 7, 9, 3));

function setup(
  processor: (event: FirehoseTransformationEvent) => ProcessorInvocation | Promise<ProcessorInvocation>,
  overrides: Partial<DeliveryStreamOptions> = {},
) {
  const objects = new Map<string, string>();
  const events: FirehoseTransformationEvent[] = [];
  const stream = startDeliveryStream({
    name: 'mysfits-test-clicks',
    arn: 'arn:aws:firehose:us-east-1:000000000000:deliverystream/mysfits-test-clicks',
    region: 'us-east-1',
    processorArn: 'arn:aws:lambda:us-east-1:000000000000:function:mysfits-test-process-clicks',
    invokeProcessor: async (event) => {
      events.push(event);
      return processor(event);
    },
    putObject: async (key, body) => {
      objects.set(key, body.toString('utf8'));
    },
    bufferIntervalMs: 60_000,
    now: () => FIXED,
    ...overrides,
  });
  const under = (prefix: string) => [...objects.entries()].filter(([k]) => k.startsWith(prefix));
  return { stream, objects, events, under };
}

const enrich = (event: FirehoseTransformationEvent): ProcessorInvocation => ({
  ok: true,
  result: {
    records: event.records.map((r) => {
      const click = JSON.parse(Buffer.from(r.data, 'base64').toString('utf8'));
      if (click.mysfitId === 'unknown') return { recordId: r.recordId, result: 'ProcessingFailed', data: r.data };
      if (click.mysfitId === 'drop') return { recordId: r.recordId, result: 'Dropped', data: r.data };
      const out = JSON.stringify({ ...click, species: 'Chimera' });
      return { recordId: r.recordId, result: 'Ok', data: Buffer.from(out).toString('base64') };
    }),
  } satisfies FirehoseTransformationResult,
});

const click = (mysfitId: string) => Buffer.from(JSON.stringify({ userId: 'u1', mysfitId }));

test('invokes the processor with a Firehose transformation event and writes Ok records under the prefix', async () => {
  const { stream, events, under } = setup(enrich);
  const a = stream.putRecord(click('a'));
  const b = stream.putRecord(click('b'));
  expect(a.recordId).not.toEqual(b.recordId);
  await stream.flush();

  expect(events).toHaveLength(1);
  const [event] = events;
  expect(event.invocationId).toMatch(/^[0-9a-f-]{36}$/);
  expect(event.deliveryStreamArn).toContain('deliverystream/mysfits-test-clicks');
  expect(event.region).toBe('us-east-1');
  expect(event.records.map((r) => r.recordId)).toEqual([a.recordId, b.recordId]);
  expect(event.records[0].approximateArrivalTimestamp).toBe(FIXED.getTime());
  expect(JSON.parse(Buffer.from(event.records[0].data, 'base64').toString())).toEqual({ userId: 'u1', mysfitId: 'a' });

  const delivered = under(CLICKS_DELIVERY.prefix);
  expect(delivered).toHaveLength(1);
  const [key, body] = delivered[0];
  expect(key).toMatch(/^firehose\/2024\/03\/05\/07\/mysfits-test-clicks-1-2024-03-05-07-09-03-[0-9a-f-]{36}$/);
  // The delimiter processor appends the configured delimiter after every record.
  expect(RECORD_DELIMITER).toBe('\n');
  expect(body).toBe(
    JSON.stringify({ userId: 'u1', mysfitId: 'a', species: 'Chimera' }) +
      '\n' +
      JSON.stringify({ userId: 'u1', mysfitId: 'b', species: 'Chimera' }) +
      '\n',
  );
  expect(stream.stats).toMatchObject({ recordsReceived: 2, recordsDelivered: 2, recordsFailed: 0, invocations: 1 });
});

test('ProcessingFailed records go to the error prefix in Firehose error format; Dropped ones nowhere', async () => {
  const { stream, under } = setup(enrich);
  stream.putRecord(click('a'));
  const bad = stream.putRecord(click('unknown'));
  stream.putRecord(click('drop'));
  await stream.flush();

  const delivered = under(CLICKS_DELIVERY.prefix);
  expect(delivered).toHaveLength(1);
  expect(delivered[0][1].trim().split('\n')).toHaveLength(1);

  const errors = under('firehose-errors/processing-failed/2024/03/05/07/');
  expect(errors).toHaveLength(1);
  const lines = errors[0][1]
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as FirehoseErrorRecord);
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatchObject({
    attemptsMade: 1,
    errorCode: 'Lambda.ProcessingFailed',
    arrivalTimestamp: FIXED.getTime(),
    lambdaArn: 'arn:aws:lambda:us-east-1:000000000000:function:mysfits-test-process-clicks:$LATEST',
  });
  expect(JSON.parse(Buffer.from(lines[0].rawData, 'base64').toString())).toEqual({ userId: 'u1', mysfitId: 'unknown' });
  expect(bad.recordId).toBeTruthy();
  expect(stream.stats).toMatchObject({ recordsDelivered: 1, recordsFailed: 1, recordsDropped: 1 });
});

test('a failing processor is retried, then the whole batch is kept under the error prefix', async () => {
  let calls = 0;
  const { stream, under, events } = setup(
    () => {
      calls++;
      return { ok: false, error: { errorType: 'Error', errorMessage: 'boom' } };
    },
    { processorRetries: 2 },
  );
  stream.putRecord(click('a'));
  stream.putRecord(click('b'));
  await stream.flush();
  expect(calls).toBe(3);
  expect(events.every((e) => e.invocationId === events[0].invocationId)).toBe(true);
  expect(under(CLICKS_DELIVERY.prefix)).toHaveLength(0);
  const errors = under('firehose-errors/processing-failed/');
  expect(errors).toHaveLength(1);
  const lines = errors[0][1]
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as FirehoseErrorRecord);
  expect(lines).toHaveLength(2);
  expect(lines[0].errorCode).toBe('Lambda.FunctionError');
  expect(lines[0].errorMessage).toContain('boom');
  expect(lines[0].attemptsMade).toBe(3);
});

test.each([
  ['a missing recordId', 'Lambda.MissingRecordId', () => ({ records: [] as unknown[] })],
  [
    'an unknown result',
    'Lambda.InvalidRecordResult',
    (e: FirehoseTransformationEvent) => ({
      records: e.records.map((r) => ({ recordId: r.recordId, result: 'Maybe', data: r.data })),
    }),
  ],
  [
    'a duplicated recordId',
    'Lambda.DuplicatedRecordId',
    (e: FirehoseTransformationEvent) => ({
      records: [e.records[0], e.records[0]].map((r) => ({ recordId: r.recordId, result: 'Ok', data: r.data })),
    }),
  ],
  ['no records array', 'Lambda.InvalidResponse', () => ({ nope: true })],
] as const)('a response with %s is a failed invocation: batch kept with code %s', async (_what, code, answer) => {
  const { stream, under } = setup((e) => ({ ok: true, result: answer(e) }), { processorRetries: 0 });
  stream.putRecord(click('a'));
  await stream.flush();
  expect(under(CLICKS_DELIVERY.prefix)).toHaveLength(0);
  const errors = under('firehose-errors/processing-failed/');
  expect(errors).toHaveLength(1);
  expect(JSON.parse(errors[0][1].trim()).errorCode).toBe(code);
});

test('the buffer is processed when the interval elapses, without an explicit flush', async () => {
  const { stream, under, events } = setup(enrich, { bufferIntervalMs: 50 });
  stream.putRecord(click('a'));
  expect(events).toHaveLength(0);
  await new Promise((r) => setTimeout(r, 300));
  expect(events).toHaveLength(1);
  expect(under(CLICKS_DELIVERY.prefix)).toHaveLength(1);
  await stream.stop();
});

test('the buffer is processed as soon as it reaches the size limit, in arrival order', async () => {
  const { stream, events } = setup(enrich, { bufferSizeBytes: click('m0').length * 3 });
  const ids = Array.from({ length: 7 }, (_, i) => stream.putRecord(click(`m${i}`)).recordId);
  // A batch is cut every 3 records; the 7th waits for the interval (60 s here) or stop().
  await new Promise((r) => setTimeout(r, 50));
  expect(events.map((e) => e.records.length)).toEqual([3, 3]);
  await stream.stop();
  expect(events.map((e) => e.records.length)).toEqual([3, 3, 1]);
  expect(events.flatMap((e) => e.records.map((r) => r.recordId))).toEqual(ids);
  expect(() => stream.putRecord(click('late'))).toThrow(/stopped/);
});

test('a failing S3 write is reported, never thrown into the stream', async () => {
  const errors: Error[] = [];
  const { stream } = setup(enrich, {
    putObject: async () => {
      throw new Error('bucket gone');
    },
    onDeliveryError: (e) => errors.push(e),
  });
  stream.putRecord(click('a'));
  await stream.flush();
  expect(errors).toHaveLength(1);
  expect(errors[0].message).toMatch(/firehose\/2024.*bucket gone/);
});
