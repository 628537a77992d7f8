/**
 * Records what a traced API Gateway REST stage records: one `AWS::ApiGateway::Stage` segment per request
 * (http request/response, error for 4xx, fault for 5xx, throttle for 429), with a subsegment for the integration
 * (namespace `aws`, named `Lambda` or `Firehose`) whose id becomes the `Parent` of the trace header passed on.
 *
 * Built from aws-xray-sdk-core's Segment/Subsegment classes. Documents are sent over this tracer's own UDP
 * socket to its daemon rather than through the SDK's process-wide emitter, so several sandboxes (tests) in one
 * process never send to each other's daemon.
 */
import { Segment, type Subsegment, utils } from 'aws-xray-sdk-core';
import * as dgram from 'node:dgram';
import type { IncomingMessage } from 'node:http';

const PROTOCOL_HEADER = '{"format":"json","version":1}\n';

export interface StageInfo {
  /** `names.stageSegment(env, api)`. */
  segmentName: string;
  restApiId: string;
  stage: string;
  accountId: string;
}

export interface IntegrationInfo {
  name: 'Lambda' | 'Firehose';
  /** The `aws` block of the subsegment (operation, region, resource names...). */
  aws: Record<string, unknown>;
  /** The AWS API call the integration makes, as API Gateway records it. */
  request: { url: string; method: string };
}

export interface IntegrationSpan {
  /** `Root=...;Parent=<this subsegment>;Sampled=1`: the header for the integration's target. */
  readonly traceHeader: string;
  end(outcome: { status: number; error?: boolean; fault?: boolean }): void;
}

export interface StageSpan {
  readonly traceId: string;
  readonly sampled: boolean;
  /** The value of the `X-Amzn-Trace-Id` response header. */
  readonly responseHeader: string;
  beginIntegration(info: IntegrationInfo): IntegrationSpan;
  end(status: number, contentLength?: number): void;
}

export interface StageTracer {
  begin(req: IncomingMessage, requestId: string, stage: StageInfo): StageSpan;
  close(): Promise<void>;
}

/**
 * A segment's `parent_id` is 16 hexadecimal digits, or the daemon drops the whole document
 * (https://docs.aws.amazon.com/xray/latest/devguide/xray-api-segmentdocuments.html: "parent_id – A subsegment ID
 * you specify if the request originated from an instrumented application ... 64-bit identifier ... 16 hexadecimal
 * digits"). The SDK's header parser accepts any text there, so it is checked here.
 */
const SEGMENT_ID = /^[0-9a-f]{16}$/;
/** `1-<8 hex digits of epoch seconds>-<24 hex digits>`, as on the same page (trace_id). */
const TRACE_ID = /^1-[0-9a-f]{8}-[0-9a-f]{24}$/;

/**
 * The stage's segment for a request's trace header: in the caller's trace under the caller's segment when both
 * are well formed; without a parent when only the Parent is malformed; in a new trace when the Root is malformed
 * (a Parent of another trace means nothing there). Never a document the daemon would drop.
 */
function stageSegment(name: string, root: string | undefined, parent: string | undefined): Segment {
  // The SDK would log an error for a malformed Root and still keep the Parent: checked here first instead.
  if (root === undefined || !TRACE_ID.test(root)) return new Segment(name);
  return new Segment(name, root, parent !== undefined && SEGMENT_ID.test(parent) ? parent : undefined);
}

// biome-ignore lint/suspicious/noExplicitAny: fields the X-Ray SDK's Segment type does not declare (origin, aws, http).
type TracedSegment = Segment & Record<string, any>;

/** What API Gateway records of the request in its stage segment. */
function describeRequest(seg: TracedSegment, req: IncomingMessage, requestId: string, stage: StageInfo): void {
  seg.origin = 'AWS::ApiGateway::Stage';
  seg.aws = {
    api_gateway: {
      account_id: stage.accountId,
      rest_api_id: stage.restApiId,
      stage: stage.stage,
      request_id: requestId,
    },
  };
  seg.annotations = {};
  seg.metadata = {};
  const url = `http://${req.headers.host ?? ''}${req.url ?? ''}`;
  seg.http = {
    request: {
      url,
      method: req.method ?? '',
      user_agent: req.headers['user-agent'] ?? '',
      client_ip: String(req.headers['x-forwarded-for'] ?? req.socket.remoteAddress ?? '')
        .split(',')[0]
        .trim(),
      ...(req.headers['x-forwarded-for'] ? { x_forwarded_for: true } : {}),
    },
  };
}

/** An integration's subsegment, its trace header for the integration, and its end. */
function beginIntegration(segment: Segment, sampled: boolean, info: IntegrationInfo): IntegrationSpan {
  // biome-ignore lint/suspicious/noExplicitAny: fields the X-Ray SDK's Subsegment type does not declare.
  const sub = segment.addNewSubsegment(info.name) as Subsegment & Record<string, any>;
  sub.namespace = 'aws';
  sub.aws = info.aws;
  sub.http = { request: info.request };
  return {
    traceHeader: `Root=${segment.trace_id};Parent=${sub.id};Sampled=${sampled ? 1 : 0}`,
    end(outcome) {
      sub.http = { ...sub.http, response: { status: outcome.status } };
      if (outcome.fault) sub.addFaultFlag();
      else if (outcome.error) sub.addErrorFlag();
      sub.close();
    },
  };
}

/** Closes the stage segment with the answer's status (429 throttle, 5xx fault, 4xx error), which flushes it. */
function endStage(segment: Segment, status: number, contentLength: number | undefined): void {
  (segment as TracedSegment).http.response = {
    status,
    ...(contentLength !== undefined ? { content_length: contentLength } : {}),
  };
  if (status === 429) segment.addThrottleFlag();
  if (status >= 500) segment.addFaultFlag();
  else if (status >= 400) segment.addErrorFlag();
  // An integration left open (client gone) is closed with the stage, so nothing stays in progress.
  for (const sub of (segment.subsegments ?? []) as Subsegment[]) if (!sub.isClosed()) sub.close();
  segment.close();
}

/** `host:port` as in AWS_XRAY_DAEMON_ADDRESS. */
export function startStageTracer(daemonAddress: string): StageTracer {
  const [host, portText] = daemonAddress.split(':');
  const port = Number(portText);
  if (!host || !Number.isInteger(port)) throw new Error(`X-Ray daemon address must be host:port, got ${daemonAddress}`);
  const socket = dgram.createSocket('udp4');
  socket.unref();
  let closed = false;

  const send = (segment: Segment) => {
    if (closed) return;
    socket.send(Buffer.from(PROTOCOL_HEADER + segment.format()), port, host, () => {
      // UDP to a daemon that is gone: dropped, as the SDK drops it.
    });
  };

  return {
    begin(req, requestId, stage) {
      const incoming = utils.processTraceData(
        typeof req.headers['x-amzn-trace-id'] === 'string' ? req.headers['x-amzn-trace-id'] : undefined,
      );
      // A caller that decided not to sample is honoured; everything else is traced (no sampling locally).
      const sampled = incoming.sampled !== '0';
      const segment = stageSegment(stage.segmentName, incoming.root, incoming.parent);
      describeRequest(segment as TracedSegment, req, requestId, stage);
      // The SDK flushes a closed segment through its global emitter; this one goes to our daemon instead.
      (segment as TracedSegment).flush = () => {
        if (sampled) send(segment);
      };
      const traceId = segment.trace_id;
      return {
        traceId,
        sampled,
        responseHeader: `Root=${traceId};Sampled=${sampled ? 1 : 0}`,
        beginIntegration: (info) => beginIntegration(segment, sampled, info),
        end: (status, contentLength) => endStage(segment, status, contentLength),
      };
    },
    async close() {
      closed = true;
      await new Promise<void>((resolve) => socket.close(() => resolve()));
    },
  };
}
