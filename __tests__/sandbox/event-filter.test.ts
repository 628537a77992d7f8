/** The stream poller's Lambda event filtering (pattern matching only; the poller test covers dropping records). */
import { compileFilterPatterns, matchesAnyPattern } from '../../sandbox/streams/event-filter';
import { QUESTIONS_STREAM_MAPPING } from '../../system/definition';

const record = (eventName: string, newImage?: Record<string, unknown>) => ({
  eventName,
  eventSource: 'aws:dynamodb',
  dynamodb: { Keys: { QuestionId: { S: 'q-1' } }, ...(newImage ? { NewImage: newImage } : {}) },
});

test('the deployed pattern delivers INSERT only', () => {
  const filters = compileFilterPatterns(QUESTIONS_STREAM_MAPPING.filterPatterns);
  expect(matchesAnyPattern(filters, record('INSERT'))).toBe(true);
  expect(matchesAnyPattern(filters, record('MODIFY'))).toBe(false);
  expect(matchesAnyPattern(filters, record('REMOVE'))).toBe(false);
  expect(matchesAnyPattern(filters, {})).toBe(false);
});

test('no patterns deliver everything; several patterns are ORed; the fields of one pattern are ANDed', () => {
  expect(matchesAnyPattern(compileFilterPatterns([]), record('REMOVE'))).toBe(true);
  const either = compileFilterPatterns(['{"eventName":["INSERT"]}', '{"eventName":["REMOVE"]}']);
  expect(['INSERT', 'MODIFY', 'REMOVE'].map((n) => matchesAnyPattern(either, record(n)))).toEqual([true, false, true]);
  const both = compileFilterPatterns([
    '{"eventName":["MODIFY"],"dynamodb":{"NewImage":{"NotifiedAt":{"S":[{"exists":true}]}}}}',
  ]);
  expect(matchesAnyPattern(both, record('MODIFY', { NotifiedAt: { S: 'x' } }))).toBe(true);
  expect(matchesAnyPattern(both, record('MODIFY', {}))).toBe(false);
  expect(matchesAnyPattern(both, record('INSERT', { NotifiedAt: { S: 'x' } }))).toBe(false);
});

test('prefix and exists:false', () => {
  const prefixed = compileFilterPatterns(['{"dynamodb":{"Keys":{"QuestionId":{"S":[{"prefix":"q-"}]}}}}']);
  expect(matchesAnyPattern(prefixed, record('INSERT'))).toBe(true);
  const absent = compileFilterPatterns(['{"dynamodb":{"NewImage":{"NotifiedAt":[{"exists":false}]}}}']);
  expect(matchesAnyPattern(absent, record('INSERT', {}))).toBe(true);
  expect(matchesAnyPattern(absent, record('INSERT', { NotifiedAt: { S: 'x' } }))).toBe(false);
});

test.each([
  ['not JSON', '{eventName', /is not JSON/],
  ['an array', '["INSERT"]', /non-empty JSON object/],
  ['an empty value list', '{"eventName":[]}', /lists no values/],
  ['an operator the sandbox lacks', '{"eventName":[{"anything-but":["REMOVE"]}]}', /not supported/],
])('refuses %s', (_what, pattern, message) => {
  expect(() => compileFilterPatterns([pattern])).toThrow(message);
});
