/**
 * The sandbox stops its parts in the declared STOP_ORDER (sandbox/stop-order.ts), whatever order they started
 * in: the gateway before the functions, so no request reaches a stopped function; the Firehose stand-in before
 * the functions it flushes into; the local services last. Fake parts, no sandbox start.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { StartedParts, STOP_ORDER, type PartName } from '../../sandbox/stop-order';

/** The parts in the order startSandbox starts them (sandbox/start-steps.ts), the functions one by one. */
const START_ORDER: readonly PartName[] = [
  'kept state',
  'DynamoDB Local',
  'fauxqs',
  'X-Ray daemon',
  'trace journal',
  'OTLP receiver',
  'stage tracer',
  'API gateway',
  'AWS clients',
  'service supervisor',
  'function log files',
  'functions',
  'functions',
  'watcher',
  'Firehose stand-in',
  'stream poller',
  'Lambda API',
  'endpoints file',
];

/** Registers a fake part per entry, each recording its name (and piece number) when stopped. */
function fakeParts(order: readonly PartName[], failing?: PartName) {
  const parts = new StartedParts();
  const stopped: string[] = [];
  const pieces = new Map<PartName, number>();
  for (const name of order) {
    const piece = (pieces.get(name) ?? 0) + 1;
    pieces.set(name, piece);
    parts.add(name, async () => {
      stopped.push(name === 'functions' ? `functions #${piece}` : name);
      if (name === failing) throw new Error(`${name} would not stop`);
    });
  }
  return { parts, stopped };
}

test('parts stop in the declared order, not the reverse of their start', async () => {
  const { parts, stopped } = fakeParts(START_ORDER);
  await parts.stopAll(() => {});
  expect(stopped).toEqual([
    'endpoints file',
    'API gateway',
    'Lambda API',
    'watcher',
    'stream poller',
    'Firehose stand-in',
    'functions #2',
    'functions #1',
    'function log files',
    'service supervisor',
    'AWS clients',
    'stage tracer',
    'OTLP receiver',
    'trace journal',
    'X-Ray daemon',
    'fauxqs',
    'DynamoDB Local',
    'kept state',
  ]);
  // What the order is for, said directly.
  const at = (name: string) => stopped.indexOf(name);
  expect(at('API gateway')).toBeLessThan(at('functions #1'));
  expect(at('Lambda API')).toBeLessThan(at('functions #1'));
  expect(at('Firehose stand-in')).toBeLessThan(at('functions #1'));
  expect(stopped.slice(-4, -1).sort()).toEqual(['DynamoDB Local', 'X-Ray daemon', 'fauxqs']);
  expect(stopped.at(-1)).toBe('kept state');
  expect(at('watcher')).toBeLessThan(at('functions #1'));
});

test('a start that failed half-way stops only what started, in the same order', async () => {
  const { parts, stopped } = fakeParts(START_ORDER.slice(0, START_ORDER.indexOf('functions')));
  await parts.stopAll(() => {});
  expect(stopped).toEqual([
    'API gateway',
    'function log files',
    'service supervisor',
    'AWS clients',
    'stage tracer',
    'OTLP receiver',
    'trace journal',
    'X-Ray daemon',
    'fauxqs',
    'DynamoDB Local',
    'kept state',
  ]);
});

test('a part that fails to stop is reported by name, and the rest still stop, each once', async () => {
  const { parts, stopped } = fakeParts(START_ORDER, 'API gateway');
  const reported: string[] = [];
  await parts.stopAll((name, error) => reported.push(`${name}: ${error.message}`));
  expect(reported).toEqual(['API gateway: API gateway would not stop']);
  expect(stopped).toHaveLength(START_ORDER.length);
  await parts.stopAll(() => {});
  expect(stopped).toHaveLength(START_ORDER.length);
});

test('every part in the order is one startSandbox registers, and it registers no other', () => {
  const steps = fs.readFileSync(path.resolve(__dirname, '../../sandbox/start-steps.ts'), 'utf8');
  const registered = new Set([...steps.matchAll(/parts\.add\('([^']+)'/g)].map((m) => m[1]));
  expect([...registered].sort()).toEqual([...STOP_ORDER].sort());
  expect(new Set(START_ORDER)).toEqual(new Set(STOP_ORDER));
});
