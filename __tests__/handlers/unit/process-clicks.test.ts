/** process-clicks' enrichment over a fake mysfit lookup (the HTTP lookup is tested in ../process-clicks.test.ts). */
import type { FirehoseTransformationEventRecord } from 'aws-lambda';
import { ANNOTATIONS } from '../../../system/definition';
import { createClicksHandler } from '../../../handlers/process-clicks/handler';
import {
  LookupFailed,
  UnknownMysfit,
  type MysfitLookup,
  type MysfitTraits,
} from '../../../handlers/process-clicks/mysfit-lookup';
import { memoryLogger, traced } from './support';

const TRAITS: Record<string, MysfitTraits> = {
  'mysfit-1': { goodEvil: 'Evil', lawChaos: 'Chaotic', species: 'Haetae' },
  'mysfit-2': { goodEvil: 'Good', lawChaos: 'Lawful', species: 'Yeti' },
};

class FakeLookup implements MysfitLookup {
  readonly asked: string[] = [];
  failure?: Error;
  async get(mysfitId: string): Promise<MysfitTraits> {
    this.asked.push(mysfitId);
    // A tick: the records of a batch are enriched concurrently, and their order must not depend on it.
    await new Promise((resolve) => setImmediate(resolve));
    if (this.failure) throw this.failure;
    const traits = TRAITS[mysfitId];
    if (!traits) throw new UnknownMysfit(mysfitId);
    return traits;
  }
}

let lookup: FakeLookup;
let logger: ReturnType<typeof memoryLogger>;
const ARRIVED = Date.parse('2026-03-01T12:00:00.000Z');
const handler = () => createClicksHandler({ service: 'clicks', lookup, logger, now: () => ARRIVED + 1000 });

beforeEach(() => {
  lookup = new FakeLookup();
  logger = memoryLogger();
});

const base64 = (text: string) => Buffer.from(text).toString('base64');
const decode = (data: string | undefined) => Buffer.from(data ?? '', 'base64').toString('utf8');
let n = 0;
/** `arrived: null`: a record without approximateArrivalTimestamp. */
const click = (data: unknown, arrived: number | null = ARRIVED): FirehoseTransformationEventRecord =>
  ({
    recordId: `record-${++n}`,
    ...(arrived === null ? {} : { approximateArrivalTimestamp: arrived }),
    data: base64(typeof data === 'string' ? data : JSON.stringify(data)),
  }) as FirehoseTransformationEventRecord;

test('a click is enriched with the mysfit traits and its arrival time, one JSON object without a newline', async () => {
  const record = click({ userId: 'user-1', mysfitId: 'mysfit-1' });
  const { records } = await handler()({ records: [record] } as never);
  expect(records).toEqual([{ recordId: record.recordId, result: 'Ok', data: expect.any(String) }]);
  const text = decode(records[0].data);
  expect(text.endsWith('\n')).toBe(false);
  expect(JSON.parse(text)).toEqual({
    userId: 'user-1',
    mysfitId: 'mysfit-1',
    goodevil: 'Evil',
    lawchaos: 'Chaotic',
    species: 'Haetae',
    timestamp: '2026-03-01T12:00:00.000Z',
  });
});

test('a record without its arrival time is stamped with the time it was enriched', async () => {
  const { records } = await handler()({ records: [click({ userId: 'user-1', mysfitId: 'mysfit-2' }, null)] } as never);
  expect(JSON.parse(decode(records[0].data)).timestamp).toBe('2026-03-01T12:00:01.000Z');
});

test.each([
  ['not JSON', '{"userId":'],
  ['a missing mysfitId', { userId: 'user-1' }],
  ['an id the click model refuses', { userId: 'user 1', mysfitId: 'mysfit-1' }],
])(
  'a click with %s fails alone, keeps its data, is an error (not a fault), and is never looked up',
  async (_what, data) => {
    const bad = click(data);
    const good = click({ userId: 'user-1', mysfitId: 'mysfit-2' });
    const { result, find } = await traced(() => handler()({ records: [bad, good] } as never));
    expect(result.records.map((r) => r.result)).toEqual(['ProcessingFailed', 'Ok']);
    expect(result.records[0].data).toBe(bad.data);
    expect(lookup.asked).toEqual(['mysfit-2']);
    const failed = find('enrichClick').filter((s) => s.error);
    expect(failed).toHaveLength(1);
    expect(failed[0].fault).toBeFalsy();
  },
);

test('an unknown mysfit fails its click as bad data: an error with the reason, not a fault', async () => {
  const record = click({ userId: 'user-1', mysfitId: 'mysfit-404' });
  const { result, find } = await traced(() => handler()({ records: [record] } as never));
  expect(result.records[0]).toEqual({ recordId: record.recordId, result: 'ProcessingFailed', data: record.data });
  const [step] = find('enrichClick');
  expect(step).toMatchObject({ error: true, annotations: { [ANNOTATIONS.mysfitId]: 'mysfit-404' } });
  expect(step.fault).toBeFalsy();
  expect(logger.lines).toContainEqual(
    expect.objectContaining({ level: 'WARN', mysfitId: 'mysfit-404', reason: 'mysfit mysfit-404 does not exist' }),
  );
});

test('a failed lookup fails the click as a fault, with the error as its cause', async () => {
  lookup.failure = new LookupFailed('mysfits API did not answer within 2000 ms');
  const record = click({ userId: 'user-1', mysfitId: 'mysfit-1' });
  const { result, find } = await traced(() => handler()({ records: [record] } as never));
  expect(result.records[0].result).toBe('ProcessingFailed');
  const [step] = find('enrichClick');
  expect(step.fault).toBe(true);
  expect(step.cause?.exceptions[0]).toMatchObject({
    type: 'LookupFailed',
    message: 'mysfits API did not answer within 2000 ms',
  });
});

test('a large batch keeps its order, one result per record', async () => {
  const records = Array.from({ length: 30 }, (_, i) =>
    click({ userId: `user-${i}`, mysfitId: i % 3 === 0 ? 'unknown' : 'mysfit-1' }),
  );
  const { records: results } = await handler()({ records } as never);
  expect(results.map((r) => r.recordId)).toEqual(records.map((r) => r.recordId));
  expect(results.map((r) => r.result)).toEqual(records.map((_, i) => (i % 3 === 0 ? 'ProcessingFailed' : 'Ok')));
});

test('an empty batch is answered with no records', async () => {
  expect(await handler()({ records: [] } as never)).toEqual({ records: [] });
});
