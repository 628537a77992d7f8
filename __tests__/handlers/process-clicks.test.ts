/**
 * process-clicks against a local HTTP server standing in for the mysfits API: Ok, unknown mysfit, malformed
 * data, a broken and a slow upstream (timeout), the per-container cache; tracing through the bundle.
 */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { FirehoseTransformationEvent, FirehoseTransformationResult } from 'aws-lambda';
import { ANNOTATIONS, ENV, names, type MysfitView } from '../../system/definition';
import { startFunctionRuntime } from '../../sandbox/lambda/function-runtime';
import mysfits from '../../data/mysfits.json';
import { loadHandler } from '../support/local-aws';
import { startUdpCapture, type SegmentDocument, type UdpCapture } from '../support/udp-capture';

type Handler = (event: FirehoseTransformationEvent) => Promise<FirehoseTransformationResult>;
const TIMEOUT_MS = 300;
/** The slow upstream answers long after the timeout, so a lookup that waited for it is unmistakable. */
const SLOW_UPSTREAM_MS = 20 * TIMEOUT_MS;
const [pauly] = mysfits.filter((m) => m.Name === 'Pauly');
const hits: string[] = [];
let api: http.Server;
let apiUrl: string;
let handler: Handler;
let xray: UdpCapture;

function view(m: (typeof mysfits)[number]): MysfitView {
  return {
    mysfitId: m.MysfitId,
    name: m.Name,
    species: m.Species,
    age: m.Age,
    goodEvil: m.GoodEvil as MysfitView['goodEvil'],
    lawChaos: m.LawChaos as MysfitView['lawChaos'],
    description: m.Description,
    thumbImageUri: m.ThumbImageUri,
    profileImageUri: m.ProfileImageUri,
    likes: m.Likes,
    adopted: m.Adopted,
  };
}

const encode = (value: unknown) =>
  Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64');
const ARRIVAL = Date.UTC(2024, 4, 1, 12, 0, 0);
function batch(...data: unknown[]): FirehoseTransformationEvent {
  return {
    invocationId: 'inv-1',
    deliveryStreamArn: 'arn:aws:firehose:us-east-1:000000000000:deliverystream/clicks',
    region: 'us-east-1',
    records: data.map((d, i) => ({ recordId: `r${i}`, approximateArrivalTimestamp: ARRIVAL + i, data: encode(d) })),
  };
}
const decode = (data: string | undefined) => Buffer.from(data ?? '', 'base64').toString('utf8');

beforeAll(async () => {
  // Stands in for `${MYSFITS_API_URL}` = http://127.0.0.1:<port>/prod (an API Gateway stage URL).
  api = http.createServer((req, res): void => {
    const match = /^\/prod\/mysfits\/([^/?]+)$/.exec(req.url!);
    if (!match) return void res.writeHead(400).end(`unexpected path ${req.url}`);
    const id = decodeURIComponent(match[1]);
    hits.push(id);
    const found = mysfits.find((m) => m.MysfitId === id);
    if (found) return void res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(view(found)));
    if (id === 'slow') return void setTimeout(() => res.end('{}'), SLOW_UPSTREAM_MS).unref();
    if (id === 'broken') return void res.writeHead(200).end('{"species": ');
    if (id === 'failing') return void res.writeHead(503).end('{"message":"down"}');
    res.writeHead(404, { 'content-type': 'application/json' }).end('{"message":"not found"}');
  });
  await new Promise<void>((resolve) => api.listen(0, '127.0.0.1', resolve));
  apiUrl = `http://127.0.0.1:${(api.address() as AddressInfo).port}/prod`;
  xray = await startUdpCapture();
  handler = loadHandler<{ handler: Handler }>('../../handlers/process-clicks', {
    [ENV.mysfitsApiUrl]: apiUrl,
    [ENV.mysfitsLookupTimeoutMs]: String(TIMEOUT_MS),
    POWERTOOLS_LOG_LEVEL: 'SILENT',
  }).handler;
});
afterAll(async () => {
  await xray?.stop();
  api?.closeAllConnections();
  await new Promise((r) => api?.close(r));
});

test('a click on a known mysfit is enriched: one JSON object (the delimiter processor adds a newline), Ok', async () => {
  const { records } = await handler(batch({ userId: 'user-1', mysfitId: pauly.MysfitId }));
  expect(records).toHaveLength(1);
  expect(records[0]).toMatchObject({ recordId: 'r0', result: 'Ok' });
  const text = decode(records[0].data);
  expect(text).toBe(text.trim());
  expect(JSON.parse(text)).toEqual({
    userId: 'user-1',
    mysfitId: pauly.MysfitId,
    goodevil: pauly.GoodEvil,
    lawchaos: pauly.LawChaos,
    species: pauly.Species,
    timestamp: new Date(ARRIVAL).toISOString(),
  });
});

test('bad records are ProcessingFailed with their original data; good ones in the same batch are Ok', async () => {
  const inputs = [
    { userId: 'u', mysfitId: 'no-such-mysfit' }, // unknown
    'not json at all', // malformed
    { userId: 'has spaces', mysfitId: pauly.MysfitId }, // fails the click model
    { mysfitId: pauly.MysfitId }, // missing userId
    { userId: 'u', mysfitId: 'broken' }, // upstream sends malformed JSON
    { userId: 'u', mysfitId: 'failing' }, // upstream 503
    { userId: 'u', mysfitId: 'slow' }, // upstream slower than the timeout
    { userId: 'u2', mysfitId: mysfits[0].MysfitId }, // good
  ];
  const event = batch(...inputs);
  const started = Date.now();
  const { records } = await handler(event);
  expect(records.map((r) => r.result)).toEqual([...Array(7).fill('ProcessingFailed'), 'Ok']);
  for (const [i, r] of records.slice(0, 7).entries()) {
    expect(r).toEqual({ recordId: `r${i}`, result: 'ProcessingFailed', data: event.records[i].data });
  }
  expect(JSON.parse(decode(records[7].data)).species).toBe(mysfits[0].Species);
  // The slow lookup was cut at the timeout rather than waited for.
  expect(Date.now() - started).toBeLessThan(SLOW_UPSTREAM_MS / 2);
});

test('lookups are cached per container: a mysfit is fetched once', async () => {
  const id = mysfits[2].MysfitId; // not looked up by any earlier test
  expect(id).not.toBe(pauly.MysfitId);
  const before = hits.filter((h) => h === id).length;
  expect(before).toBe(0);
  await handler(batch({ userId: 'a', mysfitId: id }, { userId: 'b', mysfitId: id }));
  await handler(batch({ userId: 'c', mysfitId: id }));
  expect(hits.filter((h) => h === id).length).toBe(1);
  // Failures are not cached: an unknown mysfit is asked again.
  const unknownBefore = hits.filter((h) => h === 'no-such-mysfit').length;
  await handler(batch({ userId: 'a', mysfitId: 'no-such-mysfit' }));
  expect(hits.filter((h) => h === 'no-such-mysfit').length).toBe(unknownBefore + 1);
});

test('an empty batch returns no records', async () => {
  expect(await handler(batch())).toEqual({ records: [] });
});

test.each([
  [ENV.mysfitsApiUrl, undefined],
  [ENV.mysfitsApiUrl, 'not a url'],
  [ENV.mysfitsApiUrl, 'ftp://example.com'],
  [ENV.mysfitsLookupTimeoutMs, '0'],
  [ENV.mysfitsLookupTimeoutMs, 'soon'],
])('a bad %s (%p) fails at cold start, naming the setting', (name, value) => {
  const saved = process.env[name];
  try {
    expect(() => loadHandler('../../handlers/process-clicks', { [name]: value })).toThrow(name);
  } finally {
    process.env[name] = saved;
  }
});

test('traced in the bundle: the lookup, a remote HTTP subsegment under an enrichClick annotated MysfitId', async () => {
  const runtime = await startFunctionRuntime({
    key: 'processClicks',
    functionName: names.function('test', 'processClicks'),
    environment: {
      [ENV.mysfitsApiUrl]: apiUrl,
      [ENV.mysfitsLookupTimeoutMs]: String(TIMEOUT_MS),
      POWERTOOLS_LOG_LEVEL: 'SILENT',
    },
    tracing: 'Active',
    daemonAddress: xray.address,
  });
  try {
    const result = await runtime.invoke(
      batch({ userId: 'u', mysfitId: pauly.MysfitId }, { userId: 'u', mysfitId: 'slow' }),
    );
    expect((result.result as FirehoseTransformationResult).records.map((r) => r.result)).toEqual([
      'Ok',
      'ProcessingFailed',
    ]);
    const of = (docs: SegmentDocument[]) => docs.filter((d) => d.trace_id === result.traceId);
    const all = of(
      await xray.waitFor(
        (docs) =>
          of(docs).filter((d) => d.name === 'enrichClick').length === 2 &&
          of(docs).filter((d) => d.name === '127.0.0.1').length === 2,
      ),
    );
    const enrich = all.filter((d) => d.name === 'enrichClick');
    expect(enrich.map((d) => d.annotations?.[ANNOTATIONS.mysfitId]).sort()).toEqual([pauly.MysfitId, 'slow'].sort());
    const remote = all.filter((d) => d.name === '127.0.0.1');
    for (const call of remote) {
      expect(call.namespace).toBe('remote');
      expect(enrich.map((d) => d.id)).toContain(call.parent_id);
    }
    const ok = remote.find((d) => d.http?.request?.url?.endsWith(`/mysfits/${pauly.MysfitId}`))!;
    expect(ok.http?.response?.status).toBe(200);
    const timedOut = remote.find((d) => d.http?.request?.url?.endsWith('/mysfits/slow'))!;
    expect(timedOut.fault).toBe(true);
    expect(enrich.find((d) => d.annotations?.[ANNOTATIONS.mysfitId] === 'slow')?.fault).toBe(true);
  } finally {
    await runtime.stop();
  }
});
