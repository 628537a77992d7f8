/**
 * Records what a traced API Gateway REST stage records: one `AWS::ApiGateway::Stage` segment per request
 * (http request/response, error for 4xx, fault for 5xx, throttle for 429), with a subsegment for the integration
 * (namespace `aws`, named `Lambda` or `Firehose`) whose id becomes the `Parent` of the trace header passed on.
 *
 * Built from aws-xray-sdk-core's Segment/Subsegment classes. Documents are sent over this tracer's own UDP
 * socket to its daemon rather than through the SDK's process-wide emitter, so several sandboxes (tests) in one
 * process never send to each other's daemon.
 */
import { Segment, Subsegment, utils } from 'aws-xray-sdk-core';
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
      let root: string | undefined = incoming.root;
      let segment: Segment | undefined;
      try {
        segment = new Segment(stage.segmentName, root, incoming.parent);
      } catch {
        segment = new Segment(stage.segmentName); // malformed Root: start a new trace, as API Gateway does
      }
      root = segment.trace_id;
      const seg = segment as Segment & Record<string, any>;
      seg.origin = 'AWS::ApiGateway::Stage';
      seg.aws = {
        api_gateway: { account_id: stage.accountId, rest_api_id: stage.restApiId, stage: stage.stage, request_id: requestId },
      };
      seg.annotations = {};
      seg.metadata = {};
      const url = `http://${req.headers.host ?? ''}${req.url ?? ''}`;
      seg.http = {
        request: {
          url,
          method: req.method ?? '',
          user_agent: req.headers['user-agent'] ?? '',
          client_ip: String(req.headers['x-forwarded-for'] ?? req.socket.remoteAddress ?? '').split(',')[0].trim(),
          ...(req.headers['x-forwarded-for'] ? { x_forwarded_for: true } : {}),
        },
      };
      // The SDK flushes a closed segment through its global emitter; this one goes to our daemon instead.
      seg.flush = () => {
        if (sampled) send(segment!);
      };
      const traceId = root;

      return {
        traceId,
        sampled,
        responseHeader: `Root=${traceId};Sampled=${sampled ? 1 : 0}`,
        beginIntegration(info) {
          const sub = segment!.addNewSubsegment(info.name) as Subsegment & Record<string, any>;
          sub.namespace = 'aws';
          sub.aws = info.aws;
          sub.http = { request: info.request };
          return {
            traceHeader: `Root=${traceId};Parent=${sub.id};Sampled=${sampled ? 1 : 0}`,
            end(outcome) {
              sub.http = { ...sub.http, response: { status: outcome.status } };
              if (outcome.fault) sub.addFaultFlag();
              else if (outcome.error) sub.addErrorFlag();
              sub.close();
            },
          };
        },
        end(status, contentLength) {
          seg.http.response = { status, ...(contentLength !== undefined ? { content_length: contentLength } : {}) };
          if (status === 429) segment!.addThrottleFlag();
          if (status >= 500) segment!.addFaultFlag();
          else if (status >= 400) segment!.addErrorFlag();
          // An integration left open (client gone) is closed with the stage, so nothing stays in progress.
          for (const sub of (segment!.subsegments ?? []) as Subsegment[]) if (!sub.isClosed()) sub.close();
          segment!.close();
        },
      };
    },
    async close() {
      closed = true;
      await new Promise<void>((resolve) => socket.close(() => resolve()));
    },
  };
}
