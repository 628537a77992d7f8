/**
 * The expected trace graph, a contract between the deployed system and `npm run check-traces`: the service-graph
 * nodes, the flows each probe must produce, and their latency budgets. Read by the checker and its tests only;
 * no handler or site code needs it.
 */
import { ANNOTATIONS } from './trace-names';

/**
 * The expected trace graph: what `npm run check-traces` verifies after a deploy (and against the sandbox).
 *
 * A node is what X-Ray's service map shows: a service name plus a type (the segment's `origin`). Names are
 * templates the checker resolves per environment: `{stage:<api>}` -> the stage segment's name
 * (`names.stageSegment`), `{fn:<FunctionKey>}` -> the deployed function name, `{host:<api>}` -> the host of that
 * API's endpoint (a `remote` node inferred from an HTTP subsegment). Several names = any one of them.
 */
export interface ExpectedNode {
  readonly name: string | readonly string[];
  /** Segment origin (`AWS::Lambda`, `AWS::Lambda::Function`, ...). Omitted for inferred nodes (AWS names their type). */
  readonly type?: string;
}

/** The requests the checker sends; each flow checks the traces of one of them. */
export type TraceProbe = 'question' | 'click' | 'invalid-question';

export interface ExpectedFlow {
  readonly id: 'question' | 'question-stream' | 'click' | 'click-enrichment' | 'invalid-question';
  readonly description: string;
  readonly probe: TraceProbe;
  /**
   * How the flow's traces are found (GetTraceSummaries within the probes' time window): by an annotation whose
   * value the probe yields (the QuestionId of the 201 answer, the clicked MysfitId), or by a service node.
   */
  readonly findBy: { readonly annotation: string } | { readonly service: string };
  /** The node a trace of this flow starts at: picks this flow's traces among those found. */
  readonly entry: ExpectedNode;
  /** Parent -> child service-graph edges that must appear in the flow's trace(s). */
  readonly edges: readonly (readonly [ExpectedNode, ExpectedNode])[];
  /** `ok`: no error and no fault on any node. `error`: the entry node records an error (4xx) and nothing a fault. */
  readonly expect: 'ok' | 'error';
  /** A node slower than its budget (segment end - start) is reported as slow. Generous: cold starts included. */
  readonly latencyBudgetsMs?: readonly { readonly node: ExpectedNode; readonly maxMs: number }[];
}

/** The service-graph nodes the flows name. */
export const TRACE_NODES = {
  questionsStage: { name: '{stage:questions}', type: 'AWS::ApiGateway::Stage' },
  clicksStage: { name: '{stage:clicks}', type: 'AWS::ApiGateway::Stage' },
  postQuestion: { name: '{fn:postQuestion}', type: 'AWS::Lambda' },
  postQuestionFunction: { name: '{fn:postQuestion}', type: 'AWS::Lambda::Function' },
  processQuestionsStream: { name: '{fn:processQuestionsStream}', type: 'AWS::Lambda' },
  processQuestionsStreamFunction: { name: '{fn:processQuestionsStream}', type: 'AWS::Lambda::Function' },
  processClicks: { name: '{fn:processClicks}', type: 'AWS::Lambda' },
  processClicksFunction: { name: '{fn:processClicks}', type: 'AWS::Lambda::Function' },
  dynamoDb: { name: 'DynamoDB' },
  sns: { name: 'SNS' },
  firehose: { name: 'Firehose' },
  /** The mysfits API as process-clicks sees it: a remote host, or its traced stage when the call carries the trace. */
  mysfitsApi: { name: ['{host:mysfits}', '{stage:mysfits}'] },
} as const satisfies Record<string, ExpectedNode>;

export const EXPECTED_TRACE_FLOWS: readonly ExpectedFlow[] = [
  {
    id: 'question',
    description: 'POST /questions is traced from the stage through post-question to DynamoDB',
    probe: 'question',
    findBy: { annotation: ANNOTATIONS.questionId },
    entry: TRACE_NODES.questionsStage,
    edges: [
      [TRACE_NODES.questionsStage, TRACE_NODES.postQuestion],
      [TRACE_NODES.postQuestion, TRACE_NODES.postQuestionFunction],
      [TRACE_NODES.postQuestionFunction, TRACE_NODES.dynamoDb],
    ],
    expect: 'ok',
    latencyBudgetsMs: [
      { node: TRACE_NODES.postQuestionFunction, maxMs: 3000 },
      { node: TRACE_NODES.dynamoDb, maxMs: 1000 },
    ],
  },
  {
    id: 'question-stream',
    description: 'the stream trace, joined by the same QuestionId, goes through process-questions-stream to SNS',
    probe: 'question',
    findBy: { annotation: ANNOTATIONS.questionId },
    entry: TRACE_NODES.processQuestionsStream,
    edges: [
      [TRACE_NODES.processQuestionsStream, TRACE_NODES.processQuestionsStreamFunction],
      [TRACE_NODES.processQuestionsStreamFunction, TRACE_NODES.sns],
    ],
    expect: 'ok',
    latencyBudgetsMs: [{ node: TRACE_NODES.processQuestionsStreamFunction, maxMs: 5000 }],
  },
  {
    id: 'click',
    description: 'PUT /clicks is traced from the stage to Firehose',
    probe: 'click',
    findBy: { service: '{stage:clicks}' },
    entry: TRACE_NODES.clicksStage,
    edges: [[TRACE_NODES.clicksStage, TRACE_NODES.firehose]],
    expect: 'ok',
    latencyBudgetsMs: [{ node: TRACE_NODES.clicksStage, maxMs: 3000 }],
  },
  {
    id: 'click-enrichment',
    description: 'process-clicks calls the mysfits API for the clicked mysfit',
    probe: 'click',
    findBy: { annotation: ANNOTATIONS.mysfitId },
    entry: TRACE_NODES.processClicks,
    edges: [
      [TRACE_NODES.processClicks, TRACE_NODES.processClicksFunction],
      [TRACE_NODES.processClicksFunction, TRACE_NODES.mysfitsApi],
    ],
    expect: 'ok',
    latencyBudgetsMs: [{ node: TRACE_NODES.processClicksFunction, maxMs: 10000 }],
  },
  {
    id: 'invalid-question',
    description: 'an invalid question is recorded as an error (4xx), not a fault',
    probe: 'invalid-question',
    findBy: { service: '{stage:questions}' },
    entry: TRACE_NODES.questionsStage,
    edges: [[TRACE_NODES.questionsStage, TRACE_NODES.postQuestion]],
    expect: 'error',
  },
];
