/**
 * The console's pure browser modules (layout, zoom, histogram, time axis, timeline order, QuestionId links,
 * time ranges), run in jest without a browser. The filters they write are parsed and evaluated by the daemon's
 * own filter-expression code, so a filter the console builds is one the API accepts and means what it should.
 */
import fc from 'fast-check';
import { evaluateFilter, parseFilterExpression, type FilterSubject } from '../../sandbox/xray/filter-expression';
import { binHistogram, rangeFilter, subjectFilter } from '../../sandbox/xray/console/browser/histogram';
import { boxesOverlap, layoutServiceMap, type MapNodeInput } from '../../sandbox/xray/console/browser/map-layout';
import { timeTicks, tickStep } from '../../sandbox/xray/console/browser/time-axis';
import {
  DEFAULT_TIME_RANGE,
  TIME_RANGES,
  timeRangeOf,
  windowOf,
  withRange,
} from '../../sandbox/xray/console/browser/time-range';
import {
  annotationValues,
  entrySegment,
  relatedTracesFilter,
  timelineRows,
  type Entity,
} from '../../sandbox/xray/console/browser/trace-model';
import { zoomView, panView } from '../../sandbox/xray/console/browser/viewport';

/** A small deterministic PRNG, so the generated graph is the same on every run. */
function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state * 1664525 + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

function generatedGraph(size: number, seed: number) {
  const random = prng(seed);
  const nodes: MapNodeInput[] = Array.from({ length: size }, (_, id) => ({
    id,
    lines: [
      `mysfits-${'x'.repeat(Math.floor(random() * 40))}-service-${id}`,
      random() < 0.5 ? 'AWS::Lambda::Function' : 'AWS::DynamoDB::Table',
      `${Math.floor(random() * 10000)} req · ${Math.floor(random() * 100)} err`,
    ],
    first: id === 0,
  }));
  const edges: [number, number][] = [];
  for (let i = 0; i < size * 2; i += 1) edges.push([Math.floor(random() * size), Math.floor(random() * size)]);
  return { nodes, edges };
}

function overlappingPairs(layout: ReturnType<typeof layoutServiceMap>): string[] {
  const placed = [...layout.nodes.values()];
  const pairs: string[] = [];
  for (let i = 0; i < placed.length; i += 1) {
    for (let j = i + 1; j < placed.length; j += 1) {
      if (boxesOverlap(placed[i].box, placed[j].box)) pairs.push(`${placed[i].id}/${placed[j].id}`);
    }
  }
  return pairs;
}

describe('service map layout', () => {
  test('no two label boxes overlap on a large generated graph (with cycles), and all fit in the bounds', () => {
    const { nodes, edges } = generatedGraph(200, 7);
    const layout = layoutServiceMap(nodes, edges);
    expect(layout.nodes.size).toBe(200);
    expect(overlappingPairs(layout)).toEqual([]);
    for (const { box } of layout.nodes.values()) {
      expect(box.x).toBeGreaterThanOrEqual(layout.bounds.x);
      expect(box.y).toBeGreaterThanOrEqual(layout.bounds.y);
      expect(box.x + box.width).toBeLessThanOrEqual(layout.bounds.x + layout.bounds.width);
      expect(box.y + box.height).toBeLessThanOrEqual(layout.bounds.y + layout.bounds.height);
    }
  });

  test('each box is as wide as its widest measured line', () => {
    const layout = layoutServiceMap(
      [{ id: 1, lines: ['short', 'a much longer second line'] }],
      [],
      (text) => text.length * 10,
    );
    expect(layout.nodes.get(1)!.box.width).toBeGreaterThanOrEqual('a much longer second line'.length * 10);
  });

  test('callers sit left of what they call, and the client first in its layer', () => {
    const nodes = [
      { id: 5, lines: ['stage'] },
      { id: 0, lines: ['client'], first: true },
      { id: 9, lines: ['other root'] },
      { id: 3, lines: ['function'] },
    ];
    const layout = layoutServiceMap(nodes, [
      [0, 5],
      [5, 3],
    ]);
    expect(layout.nodes.get(0)!.cx).toBeLessThan(layout.nodes.get(5)!.cx);
    expect(layout.nodes.get(5)!.cx).toBeLessThan(layout.nodes.get(3)!.cx);
    expect(layout.nodes.get(0)!.cy).toBeLessThan(layout.nodes.get(9)!.cy);
  });

  test('any small graph: boxes never overlap (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.array(fc.string({ maxLength: 60 }), { minLength: 1, maxLength: 4 }), {
          minLength: 1,
          maxLength: 25,
        }),
        fc.array(fc.tuple(fc.nat(30), fc.nat(30)), { maxLength: 60 }),
        (lines, edges) => {
          const layout = layoutServiceMap(
            lines.map((l, id) => ({ id, lines: l })),
            edges,
          );
          return layout.nodes.size === lines.length && overlappingPairs(layout).length === 0;
        },
      ),
      { numRuns: 150 },
    );
  });
});

describe('zoom and pan', () => {
  const fitted = { x: 0, y: 0, width: 1000, height: 500 };

  test('zooming keeps the point under the cursor where it was', () => {
    const zoomed = zoomView(fitted, 2, 250, 100, fitted);
    expect(zoomed.width).toBe(500);
    expect(zoomed.height).toBe(250);
    // The focus point is at the same fraction of the view before and after.
    expect((250 - zoomed.x) / zoomed.width).toBeCloseTo(250 / 1000);
    expect((100 - zoomed.y) / zoomed.height).toBeCloseTo(100 / 500);
  });

  test('zoom is bounded both ways, and pan moves the window', () => {
    let view = fitted;
    for (let i = 0; i < 50; i += 1) view = zoomView(view, 2, 500, 250, fitted);
    expect(view.width).toBe(1000 / 8);
    for (let i = 0; i < 50; i += 1) view = zoomView(view, 0.5, 500, 250, fitted);
    expect(view.width).toBe(4000);
    expect(panView(fitted, 10, -20)).toEqual({ x: 10, y: -20, width: 1000, height: 500 });
  });
});

describe('response-time histogram', () => {
  test('equal-width bins from the smallest to the largest value, counting every request once', () => {
    const entries = [
      { Value: 0.01, Count: 3 },
      { Value: 0.02, Count: 1 },
      { Value: 0.05, Count: 2 },
      { Value: 0.11, Count: 4 },
    ];
    const bins = binHistogram(entries, 5);
    expect(bins).toHaveLength(4);
    expect(bins[0].from).toBe(0.01);
    expect(bins[bins.length - 1].to).toBe(0.11);
    expect(bins.reduce((n, b) => n + b.count, 0)).toBe(10);
    expect(bins[bins.length - 1].count).toBe(4);
    expect(binHistogram([{ Value: 0.2, Count: 5 }])).toEqual([{ from: 0.2, to: 0.2, count: 5 }]);
    expect(binHistogram([])).toEqual([]);
  });

  const subject = (responseTime: number, services: FilterSubject['services']): FilterSubject => ({
    ok: true,
    error: false,
    fault: false,
    throttle: false,
    partial: false,
    responseTime,
    duration: responseTime,
    http: {},
    annotations: new Map(),
    services,
    edges: [[services[0], services[1]]],
  });
  const stage = { name: 'mysfits-dev-questions-api/dev', type: 'AWS::ApiGateway::Stage' };
  const table = { name: 'DynamoDB "quoted"', type: 'AWS::DynamoDB::Table' };

  test('a selected range becomes a filter the API parses and that keeps exactly the traces in it', () => {
    const filter = rangeFilter({ kind: 'service', ...table }, 0.0201, 0.0349);
    expect(filter).toBe(
      'service(id(name: "DynamoDB \\"quoted\\"", type: "AWS::DynamoDB::Table")) AND ' +
        'responsetime >= 0.02 AND responsetime <= 0.035',
    );
    const tree = parseFilterExpression(filter);
    expect(evaluateFilter(tree, subject(0.03, [stage, table]))).toBe(true);
    expect(evaluateFilter(tree, subject(0.04, [stage, table]))).toBe(false);
    expect(evaluateFilter(tree, subject(0.03, [stage, { name: 'DynamoDB "quoted"', type: 'AWS::SNS' }]))).toBe(false);
  });

  test('an edge range names the edge; the client is no service of its own', () => {
    const edge = rangeFilter({ kind: 'edge', from: stage, to: table }, 0.1, 0.2);
    expect(evaluateFilter(parseFilterExpression(edge), subject(0.15, [stage, table]))).toBe(true);
    expect(subjectFilter({ kind: 'service', name: 'client', type: 'client' })).toBe('');
    expect(subjectFilter({ kind: 'edge', from: { name: 'client', type: 'client' }, to: stage })).toBe(
      'service(id(name: "mysfits-dev-questions-api/dev", type: "AWS::ApiGateway::Stage"))',
    );
    expect(() =>
      parseFilterExpression(rangeFilter({ kind: 'service', name: 'client', type: 'client' }, 0, 1)),
    ).not.toThrow();
  });
});

describe('time axis', () => {
  test.each([
    [0.049, 8, 0.01],
    [0.049, 4, 0.02],
    [5.02, 8, 1],
    [0.0004, 4, 0.0001],
    [0.0004, 8, 0.00005],
  ])('a span of %s s in at most %s intervals steps by %s s', (span, max, step) => {
    expect(tickStep(span, max)).toBeCloseTo(step, 10);
  });

  test('ticks start at 0, stay within the span, and are labelled in round units', () => {
    const ticks = timeTicks(0.049);
    expect(ticks.map((t) => t.label)).toEqual(['0 ms', '10 ms', '20 ms', '30 ms', '40 ms']);
    expect(ticks.every((t) => t.percent >= 0 && t.percent <= 100)).toBe(true);
    expect(timeTicks(5.02).map((t) => t.label)).toEqual(['0 s', '1 s', '2 s', '3 s', '4 s', '5 s']);
    expect(timeTicks(12).length).toBeLessThanOrEqual(9);
  });
});

describe('trace timeline', () => {
  // An inferred node and a downstream segment that starts (by its clock) before the entry segment.
  const stage: Entity = {
    id: 'stage',
    name: 'api/dev',
    origin: 'AWS::ApiGateway::Stage',
    start_time: 100.01,
    end_time: 100.2,
    annotations: { QuestionId: 'q-1' },
    subsegments: [{ id: 'invoke', name: 'Lambda', namespace: 'aws', start_time: 100.02, end_time: 100.19 }],
  };
  const fn: Entity = {
    id: 'fn',
    name: 'post-question',
    origin: 'AWS::Lambda',
    parent_id: 'invoke',
    start_time: 100.0,
    end_time: 100.18,
    subsegments: [
      {
        id: 'ddb',
        name: 'DynamoDB',
        namespace: 'aws',
        start_time: 100.05,
        end_time: 100.07,
        annotations: { QuestionId: 'q-1' },
      },
    ],
  };
  const inferred: Entity = {
    id: 'inf',
    name: 'DynamoDB',
    inferred: true,
    parent_id: 'ddb',
    start_time: 99.9,
    end_time: 100.07,
  };

  test('the entry segment comes first, then each callee under the subsegment that called it', () => {
    expect(entrySegment([inferred, fn, stage])).toBe(stage);
    const rows = timelineRows([inferred, fn, stage]);
    expect(rows.map((r) => `${'  '.repeat(r.depth)}${r.entity.id}`)).toEqual([
      'stage',
      '  invoke',
      '    fn',
      '      ddb',
      '        inf',
    ]);
    expect(rows[0].offset).toBeCloseTo(0.11);
    expect(rows.find((r) => r.entity.id === 'ddb')!.segment).toBe(fn);
  });

  test('a parent_id loop neither repeats nor drops a segment', () => {
    const a: Entity = { id: 'a', name: 'a', start_time: 1, end_time: 2, parent_id: 'b' };
    const b: Entity = { id: 'b', name: 'b', start_time: 1.5, end_time: 2, parent_id: 'a' };
    expect(
      timelineRows([a, b])
        .map((r) => r.entity.id)
        .sort(),
    ).toEqual(['a', 'b']);
  });

  test('the QuestionId values of a trace find the traces that share one', () => {
    expect(annotationValues([stage, fn, inferred])).toEqual(['q-1']);
    const filter = relatedTracesFilter(['q-1', 'q-"2"'])!;
    expect(filter).toBe('annotation.QuestionId = "q-1" OR annotation.QuestionId = "q-\\"2\\""');
    const tree = parseFilterExpression(filter);
    const withQuestion = (value: string): FilterSubject => ({
      ok: true,
      error: false,
      fault: false,
      throttle: false,
      partial: false,
      duration: 1,
      http: {},
      annotations: new Map([['QuestionId', [value]]]),
      services: [],
      edges: [],
    });
    expect(evaluateFilter(tree, withQuestion('q-"2"'))).toBe(true);
    expect(evaluateFilter(tree, withQuestion('q-3'))).toBe(false);
    expect(relatedTracesFilter([])).toBeUndefined();
  });
});

describe('time ranges', () => {
  test('one list, read from and written to the URL query; an unknown range is the default', () => {
    expect(TIME_RANGES.map((r) => r.key)).toEqual(['5m', '15m', '1h', '6h', '1d']);
    expect(timeRangeOf('?range=6h').seconds).toBe(21600);
    expect(timeRangeOf('?range=nope')).toBe(DEFAULT_TIME_RANGE);
    expect(timeRangeOf('')).toBe(DEFAULT_TIME_RANGE);
    expect(withRange('/traces?filter=fault&range=5m', TIME_RANGES[4])).toBe('/traces?filter=fault&range=1d');
    expect(windowOf(TIME_RANGES[0], 1000)).toEqual({ StartTime: 700, EndTime: 1000 });
  });
});
