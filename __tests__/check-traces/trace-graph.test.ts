/** The service graph built from one trace's pieces, as they arrive from X-Ray (out of order, in progress, partial). */
import type { XRayEntity } from '../../system/segment-document';
import { buildTraceGraph, edgeKey, nodeKey } from '../../tools/check-traces/trace-graph';

const T = '1-5f84c7a1-0123456789abcdef01234567';
const stage: XRayEntity = {
  id: 'aaaaaaaaaaaaaaa1',
  name: 'mysfits-dev-questions-api/dev',
  origin: 'AWS::ApiGateway::Stage',
  start_time: 100,
  end_time: 100.5,
  http: { response: { status: 201 } },
  subsegments: [{ id: 'aaaaaaaaaaaaaaa2', name: 'Lambda', namespace: 'aws', start_time: 100.01, end_time: 100.49 }],
};
const lambda: XRayEntity = {
  id: 'bbbbbbbbbbbbbbb1',
  name: 'fn',
  origin: 'AWS::Lambda',
  parent_id: 'aaaaaaaaaaaaaaa2',
  start_time: 100.02,
  end_time: 100.48,
};
const fn: XRayEntity = {
  id: 'ccccccccccccccc1',
  name: 'fn',
  origin: 'AWS::Lambda::Function',
  parent_id: 'bbbbbbbbbbbbbbb1',
  start_time: 100.03,
  end_time: 100.47,
};
const handler: XRayEntity = {
  id: 'ddddddddddddddd1',
  name: '## handler',
  type: 'subsegment',
  parent_id: 'ccccccccccccccc1',
  start_time: 100.04,
  end_time: 100.46,
};
const dynamo: XRayEntity = {
  id: 'eeeeeeeeeeeeeee1',
  name: 'DynamoDB',
  namespace: 'aws',
  type: 'subsegment',
  parent_id: 'ddddddddddddddd1',
  start_time: 100.05,
  end_time: 100.45,
  annotations: { QuestionId: 'q-1' },
};

test('independent subsegments are folded in any order they arrive; the stage subsegment links to the Lambda one', () => {
  // The DynamoDB piece arrives before its parent `## handler` piece.
  const graph = buildTraceGraph(
    T,
    [dynamo, fn, handler, lambda, stage].map((d) => JSON.stringify(d)),
  );
  const stageId = nodeKey(stage.name, 'AWS::ApiGateway::Stage');
  const lambdaId = nodeKey('fn', 'AWS::Lambda');
  const fnId = nodeKey('fn', 'AWS::Lambda::Function');
  const dynamoId = nodeKey('DynamoDB', 'AWS::DynamoDB::Table');
  expect([...graph.edges].sort()).toEqual(
    [edgeKey(fnId, dynamoId), edgeKey(lambdaId, fnId), edgeKey(stageId, lambdaId)].sort(),
  );
  // The stage's `Lambda` subsegment is continued by the traced function: no inferred "Lambda" node.
  expect([...graph.nodes.keys()].sort()).toEqual([dynamoId, fnId, lambdaId, stageId].sort());
  expect(graph.rootNodeIds).toEqual([stageId]);
  expect(graph.annotations.QuestionId).toEqual(['q-1']);
  expect(graph.notes).toEqual([]);
  expect(graph.visits.map((v) => [v.name, v.depth, v.durationMs])).toEqual([
    [stage.name, 0, 500],
    ['fn', 1, 460],
    ['fn', 2, 440],
    ['DynamoDB', 3, 400],
  ]);
});

test('a completed copy replaces the in-progress one; a piece whose parent has not arrived is noted, not lost', () => {
  const early = buildTraceGraph(T, [{ ...fn, in_progress: true, end_time: undefined }, lambda, dynamo]);
  expect(early.inProgress).toBe(true);
  expect(early.visits.find((v) => v.type === 'AWS::Lambda::Function')).toMatchObject({
    status: 'in progress',
    durationMs: undefined,
  });
  expect(early.notes).toEqual([
    expect.stringContaining('subsegment "DynamoDB" waits for its parent ddddddddddddddd1'),
    expect.stringContaining('segment "fn" has parent aaaaaaaaaaaaaaa2, not (yet) in the trace'),
  ]);
  // Without its stage, the Lambda segment is where the trace starts (so a flow expecting the stage fails).
  expect(early.rootNodeIds).toEqual([nodeKey('fn', 'AWS::Lambda')]);

  const later = buildTraceGraph(T, [
    { ...fn, in_progress: true, end_time: undefined },
    lambda,
    dynamo,
    fn,
    handler,
    stage,
  ]);
  expect(later.inProgress).toBe(false);
  expect(later.notes).toEqual([]);
  expect(later.visits.find((v) => v.type === 'AWS::Lambda::Function')).toMatchObject({ status: 'ok', durationMs: 440 });
});

test('faults in local subsegments count for their node, with the path and the cause', () => {
  const hanging: XRayEntity = {
    id: 'fffffffffffffff1',
    name: 'hangingException',
    type: 'subsegment',
    parent_id: 'ddddddddddddddd1',
    start_time: 100.05,
    end_time: 100.4,
    fault: true,
    cause: { exceptions: [{ type: 'Error', message: 'hanging' }] },
  };
  const graph = buildTraceGraph(T, [stage, lambda, fn, handler, hanging, '{not json']);
  const visit = graph.visits.find((v) => v.type === 'AWS::Lambda::Function')!;
  expect(visit.status).toBe('fault');
  expect(visit.problems).toEqual([
    { kind: 'fault', path: 'fn › ## handler › hangingException', cause: 'Error: hanging', httpStatus: undefined },
  ]);
  expect(graph.notes).toEqual([expect.stringContaining('not valid JSON')]);
});
