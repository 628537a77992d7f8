/**
 * Realistic Mythical Mysfits traces (the shapes API Gateway, Lambda under Active tracing and the X-Ray SDK
 * send), for the console's screenshots and for trying the console without running the whole sandbox:
 *   npx tsx sandbox/xray/cli.ts --demo
 */
import { ANNOTATIONS, HANGING_EXCEPTION_SUBSEGMENT, names } from '../../system/definition';
import type { SegmentDocument, XRayEntity } from './segment-document';
import { newEntityId, newTraceId, sendDatagrams } from './udp-client';

type Outcome = 'ok' | 'error' | 'fault';

interface Span {
  name: string;
  start: number;
  duration: number;
  outcome?: Outcome;
  extra?: Partial<XRayEntity>;
  children?: Span[];
}

function entity(span: Span): XRayEntity {
  const outcome = span.outcome ?? 'ok';
  return {
    id: newEntityId(),
    name: span.name,
    start_time: span.start,
    end_time: span.start + span.duration,
    ...(outcome === 'error' ? { error: true } : outcome === 'fault' ? { fault: true } : {}),
    ...span.extra,
    ...(span.children?.length ? { subsegments: span.children.map(entity) } : {}),
  };
}

const jitter = (base: number) => base * (0.7 + Math.random() * 0.6);
const region = 'us-east-1';
const apiHost = (api: string) => `${api}1234.execute-api.${region}.amazonaws.com`;

/**
 * A Lambda invocation as Lambda records it under Active tracing: an `AWS::Lambda` segment, then an
 * `AWS::Lambda::Function` segment whose subsegments are what the handler's SDK recorded.
 */
function lambdaInvocation(
  traceId: string,
  functionName: string,
  start: number,
  work: Span[],
  outcome: Outcome,
  parentId?: string,
): SegmentDocument[] {
  const workEnd = Math.max(start + 0.004, ...work.map((w) => w.start + w.duration));
  const service: SegmentDocument = {
    ...entity({
      name: functionName,
      start,
      duration: workEnd - start + 0.006,
      outcome: outcome === 'fault' ? 'error' : outcome,
    }),
    trace_id: traceId,
    origin: 'AWS::Lambda',
    ...(parentId ? { parent_id: parentId } : {}),
    aws: { request_id: newEntityId() },
    // Lambda's Invoke API answers 200 even when the function fails; the failure shows on the function segment.
    http: { response: { status: 200 } },
  };
  const fn: SegmentDocument = {
    ...entity({
      name: functionName,
      start: start + 0.002,
      duration: workEnd - start,
      outcome,
      children: [
        { name: 'Invocation', start: start + 0.002, duration: workEnd - start - 0.002, outcome, children: work },
        { name: 'Overhead', start: workEnd, duration: 0.001 },
      ],
    }),
    trace_id: traceId,
    origin: 'AWS::Lambda::Function',
    parent_id: service.id,
    aws: { function_arn: `arn:aws:lambda:${region}:000000000000:function:${functionName}` },
  };
  return [service, fn];
}

function questionTrace(env: string, at: number, kind: 'ok' | 'invalid' | 'hanging'): SegmentDocument[] {
  const traceId = newTraceId(at);
  const questionId = `q-${newEntityId().slice(0, 8)}`;
  const fnName = names.function(env, 'postQuestion');
  const status = kind === 'ok' ? 200 : kind === 'invalid' ? 400 : 502;
  const work: Span[] =
    kind === 'ok'
      ? [
          {
            name: 'DynamoDB',
            start: at + 0.02,
            duration: jitter(0.025),
            extra: {
              namespace: 'aws',
              aws: { operation: 'PutItem', table_name: names.table(env, 'questions'), region, retries: 0 },
              http: { response: { status: 200 } },
            },
          },
        ]
      : kind === 'hanging'
        ? [
            {
              name: HANGING_EXCEPTION_SUBSEGMENT,
              start: at + 0.02,
              duration: 5,
              outcome: 'fault',
              extra: {
                cause: {
                  exceptions: [
                    {
                      id: newEntityId(),
                      type: 'Error',
                      message: 'hangingException: the request hung and failed',
                      stack: [{ path: '/var/task/index.js', line: 1, label: 'hangingException' }],
                    },
                  ],
                },
              },
            },
          ]
        : [
            {
              // What the handler records on a client error: an error flag and the reasons as metadata.
              name: 'validate',
              start: at + 0.012,
              duration: 0.001,
              outcome: 'error',
              extra: {
                metadata: { default: { clientError: { field: 'question', message: 'question must not be empty' } } },
              },
            },
          ];
  const invokeStart = at + 0.008;
  const invoke: XRayEntity = entity({
    name: 'Lambda',
    start: invokeStart,
    duration: 0, // set below from the function's duration
    outcome: kind === 'hanging' ? 'fault' : 'ok',
    extra: { namespace: 'aws', aws: { operation: 'Invoke', function_name: fnName, region } },
  });
  const invocation = lambdaInvocation(
    traceId,
    fnName,
    invokeStart + 0.002,
    work.map((w) => ({
      ...w,
      extra: { ...w.extra, ...(kind === 'ok' ? { annotations: { [ANNOTATIONS.questionId]: questionId } } : {}) },
    })),
    kind === 'ok' ? 'ok' : kind === 'invalid' ? 'error' : 'fault',
    invoke.id,
  );
  invoke.end_time = invocation[0].end_time! + 0.002;
  const stage: SegmentDocument = {
    id: newEntityId(),
    trace_id: traceId,
    name: names.stageSegment(env, 'questions'),
    origin: 'AWS::ApiGateway::Stage',
    start_time: at,
    end_time: invoke.end_time + 0.003,
    ...(kind === 'invalid' ? { error: true } : kind === 'hanging' ? { fault: true } : {}),
    http: {
      request: {
        method: 'POST',
        url: `https://${apiHost('questions')}/${env}/questions`,
        user_agent: 'Mozilla/5.0',
        client_ip: '203.0.113.7',
      },
      response: { status },
    },
    annotations: kind === 'ok' ? { [ANNOTATIONS.questionId]: questionId } : undefined,
    aws: { api_gateway: { stage: env, request_id: newEntityId() } },
    subsegments: [invoke],
  };
  const docs: SegmentDocument[] = [stage, ...invocation];
  if (kind === 'ok') docs.push(...streamTrace(env, invoke.end_time + 0.4, questionId));
  return docs;
}

function streamTrace(env: string, at: number, questionId: string): SegmentDocument[] {
  const traceId = newTraceId(at);
  return lambdaInvocation(
    traceId,
    names.function(env, 'processQuestionsStream'),
    at,
    [
      {
        name: 'SNS',
        start: at + 0.015,
        duration: jitter(0.04),
        extra: {
          namespace: 'aws',
          annotations: { [ANNOTATIONS.questionId]: questionId },
          aws: { operation: 'Publish', topic_arn: `arn:aws:sns:${region}:000000000000:${names.topic(env)}`, region },
          http: { response: { status: 200 } },
        },
      },
    ],
    'ok',
  );
}

function clickTraces(env: string, at: number): SegmentDocument[] {
  const mysfitId = `mysfit-${1 + Math.floor(Math.random() * 12)}`;
  const clickTrace = newTraceId(at);
  const firehose = entity({
    name: 'Firehose',
    start: at + 0.004,
    duration: jitter(0.03),
    extra: { namespace: 'aws', aws: { operation: 'PutRecord', region }, http: { response: { status: 200 } } },
  });
  const stage: SegmentDocument = {
    id: newEntityId(),
    trace_id: clickTrace,
    name: names.stageSegment(env, 'clicks'),
    origin: 'AWS::ApiGateway::Stage',
    start_time: at,
    end_time: firehose.end_time! + 0.003,
    http: {
      request: { method: 'PUT', url: `https://${apiHost('clicks')}/${env}/clicks`, client_ip: '203.0.113.7' },
      response: { status: 200 },
    },
    subsegments: [firehose],
  };
  const enrichAt = at + 1.5;
  const lookup: Span = {
    name: apiHost('mysfits'),
    start: enrichAt + 0.01,
    duration: jitter(0.06),
    extra: {
      namespace: 'remote',
      annotations: { [ANNOTATIONS.mysfitId]: mysfitId },
      http: {
        request: { method: 'GET', url: `https://${apiHost('mysfits')}/${env}/mysfits/${mysfitId}` },
        response: { status: 200 },
      },
    },
  };
  return [
    stage,
    ...lambdaInvocation(newTraceId(enrichAt), names.function(env, 'processClicks'), enrichAt, [lookup], 'ok'),
  ];
}

/** Builds `rounds` rounds of traffic spread over the last few minutes. */
export function demoDocuments(env = 'dev', rounds = 12, now = Date.now() / 1000): SegmentDocument[] {
  const docs: SegmentDocument[] = [];
  for (let i = 0; i < rounds; i += 1) {
    const at = now - 240 + (i * 220) / rounds;
    docs.push(...questionTrace(env, at, i % 6 === 4 ? 'invalid' : i % 6 === 5 ? 'hanging' : 'ok'));
    docs.push(...clickTraces(env, at + 2));
  }
  return docs;
}

export async function sendDemoTraces(address: string, env = 'dev', rounds = 12): Promise<number> {
  const docs = demoDocuments(env, rounds);
  await sendDatagrams(address, docs);
  return docs.length;
}
