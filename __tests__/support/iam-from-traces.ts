/**
 * IAM as deployed, proven from traces: which AWS actions each principal needed in a traced run (every `aws`
 * subsegment of a function is a call it made: service, operation, resource), plus what the services themselves do
 * on a function's behalf (the stream's event source mapping, Firehose's transformation and delivery, API Gateway's
 * service integration and Lambda invocations), checked against the synthesized Terraform: each principal's role,
 * with the `${aws_x.y.arn}` references resolved to the resources they name.
 *
 * Where a rule comes from AWS, its page is cited next to it. ARNs granted in the synth have no account or region
 * yet (`*` stands for them); the needs carry the trace's own.
 */
import { App } from 'cdktf';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadEnvironments } from '../../config/load';
import { buildApp } from '../../stacks/app';
import { names, stackName, STACKS, type StackKey } from '../../system/definition';

/**
 * Who needs a permission. `role` principals are checked against an IAM role; `resource-policy` ones against a Lambda
 * permission.
 */
export interface Principal {
  readonly kind: 'function' | 'event-source-mapping' | 'firehose' | 'api-integration' | 'api-invoke';
  /** The function, delivery stream or stage the principal belongs to (names of the checked environment). */
  readonly name: string;
}

export interface Need {
  readonly principal: Principal;
  readonly action: string;
  /** A concrete ARN (or `*` where AWS has no resource-level permission for the action). */
  readonly resource: string;
  /** Where the need comes from: the trace and segment, or the AWS page for what a service does. */
  readonly because: string;
  /** For a service invoking through a resource policy: the ARN the call comes from (`aws:SourceArn`). */
  readonly sourceArn?: string;
}

export interface TraceDocuments {
  readonly traceId: string;
  readonly documents: readonly (string | Record<string, unknown>)[];
}

/** The synthesized stacks of one environment: `{ <stack name>: cdk.tf.json }`. */
export type Synth = ReadonlyMap<string, any>;

/** The stacks of `env` as `cdktf synth` writes them, into `dir`. */
export function synthesize(dir: string, env = 'dev'): Synth {
  const app = new App({ outdir: dir });
  buildApp(
    app,
    loadEnvironments().filter((e) => e.name === env),
  );
  app.synth();
  const read = (stack: string) => JSON.parse(fs.readFileSync(path.join(dir, 'stacks', stack, 'cdk.tf.json'), 'utf8'));
  return new Map(STACKS.map((key) => [stackName(env, key), read(stackName(env, key))]));
}

export const describePrincipal = (p: Principal): string =>
  ({
    function: `function ${p.name}`,
    'event-source-mapping': `the event source mapping of function ${p.name}`,
    firehose: `Firehose delivery stream ${p.name}`,
    'api-integration': `the API Gateway integration of stage ${p.name}`,
    'api-invoke': `API Gateway stage ${p.name} invoking its function`,
  })[p.kind];

// ---------------------------------------------------------------------------------------------------------------
// Needs, from the traces

interface Segment {
  id: string;
  name: string;
  origin?: string;
  type?: string;
  parent_id?: string;
  inferred?: boolean;
  namespace?: string;
  aws?: Record<string, any>;
  http?: { request?: { url?: string; method?: string } };
  subsegments?: Segment[];
}

/** Service prefixes of the `aws` subsegments the X-Ray SDK names after the client (DynamoDB, SNS, ...). */
const SERVICE_PREFIX: Record<string, string> = {
  DynamoDB: 'dynamodb',
  SNS: 'sns',
  SQS: 'sqs',
  S3: 's3',
  Lambda: 'lambda',
  Firehose: 'firehose',
};

export interface DeriveOptions {
  /** The environment the traces were recorded in (`local` for the sandbox). */
  readonly tracedEnv: string;
  /** The environment whose synth is checked: traced names `mysfits-<tracedEnv>-…` become `mysfits-<env>-…`. */
  readonly env: string;
  readonly synth: Synth;
}

/** Every permission the traced run needed, deduplicated, in a stable order. */
export function deriveNeeds(traces: readonly TraceDocuments[], options: DeriveOptions): Need[] {
  // Names differ by environment only in their prefix, and a stage segment (`<api>/<stage>`) in its stage too.
  const rename = (s: string) =>
    s
      .split(`${names.prefix(options.tracedEnv)}-`)
      .join(`${names.prefix(options.env)}-`)
      .replace(new RegExp(`-api/${options.tracedEnv}$`), `-api/${options.env}`);
  const needs = new Map<string, Need>();
  const add = (need: Need) =>
    needs.set(`${need.principal.kind}|${need.principal.name}|${need.action}|${need.resource}|${need.sourceArn}`, need);

  for (const trace of traces) {
    const documents = trace.documents
      .map((d) => (typeof d === 'string' ? JSON.parse(d) : d) as Segment)
      .filter((d) => !d.inferred);
    const context = traceContext(documents);
    const ownerOf = owners(documents);
    for (const doc of documents) {
      walk(doc, (element) => {
        const owner = ownerOf.get(element.id);
        if (!owner) return;
        if (element === doc && owner.origin === 'AWS::Lambda::Function') {
          for (const need of runtimeNeeds(rename(owner.name), context, options.synth, `trace ${trace.traceId}`))
            add(need);
        }
        if (element.namespace !== 'aws' || !element.aws?.operation) return;
        const where = `trace ${trace.traceId}: ${owner.name} › ${element.name} ${element.aws.operation}`;
        if (owner.origin === 'AWS::Lambda::Function') {
          add({
            principal: { kind: 'function', name: rename(owner.name) },
            ...callNeed(element, context, rename),
            because: where,
          });
        } else if (owner.origin === 'AWS::ApiGateway::Stage') {
          for (const need of stageNeeds(owner, element, context, rename, where)) add(need);
        } else {
          throw new Error(
            `${where}: an AWS call from a ${owner.origin ?? 'segment without origin'} is not mapped to a principal`,
          );
        }
      });
      // A function invoked with no trace context is invoked by a service: its event source mapping or Firehose.
      if (doc.origin === 'AWS::Lambda' && !doc.parent_id) {
        for (const need of serviceInvokerNeeds(rename(doc.name), context, options.synth, `trace ${trace.traceId}`))
          add(need);
      }
    }
  }
  const key = (n: Need) => `${n.principal.kind} ${n.principal.name} ${n.action} ${n.resource} ${n.sourceArn ?? ''}`;
  return [...needs.values()].sort((a, b) => key(a).localeCompare(key(b)));
}

function walk(element: Segment, visit: (element: Segment) => void) {
  visit(element);
  for (const sub of element.subsegments ?? []) walk(sub, visit);
}

/** For every element id, the segment (not subsegment) it belongs to, following independent subsegments' parents. */
function owners(documents: readonly Segment[]): Map<string, Segment> {
  const owner = new Map<string, Segment>();
  const pending = [...documents];
  for (let round = 0; pending.length && round < 10; round++) {
    for (let i = pending.length - 1; i >= 0; i--) {
      const doc = pending[i];
      const top = doc.type === 'subsegment' ? owner.get(doc.parent_id ?? '') : doc;
      if (!top) continue;
      walk(doc, (element) => owner.set(element.id, top));
      pending.splice(i, 1);
    }
  }
  return owner;
}

interface TraceContext {
  readonly region: string;
  readonly account: string;
}

/** The region and account the trace ran in, from the first ARN or account id it carries. */
function traceContext(documents: readonly Segment[]): TraceContext {
  const text = JSON.stringify(documents);
  const arn = /arn:aws:[a-z0-9-]+:([a-z]{2}-[a-z]+-\d):(\d{12}):/.exec(text);
  const region = arn?.[1] ?? /"region":"([a-z]{2}-[a-z]+-\d)"/.exec(text)?.[1];
  const account = arn?.[2] ?? /"account_id":"(\d{12})"/.exec(text)?.[1];
  if (!region || !account) throw new Error('trace: no region or account id found in any segment');
  return { region, account };
}

/** The IAM action and resource of one traced SDK call. Calls this does not know fail loudly, never pass unchecked. */
function callNeed(
  call: Segment,
  context: TraceContext,
  rename: (s: string) => string,
): { action: string; resource: string } {
  const prefix = SERVICE_PREFIX[call.name];
  const aws = call.aws!;
  const region = aws.region ?? context.region;
  const { account } = context;
  const action = `${prefix}:${aws.operation}`;
  if (prefix === 'dynamodb' && aws.table_name)
    return { action, resource: `arn:aws:dynamodb:${region}:${account}:table/${rename(aws.table_name)}` };
  if (prefix === 'sns' && aws.topic_arn)
    return { action, resource: rename(aws.topic_arn).replace(/:\d{12}:/, `:${account}:`) };
  if (prefix === 'sqs' && aws.queue_url) {
    const queue = new URL(aws.queue_url).pathname.split('/').pop();
    return { action, resource: `arn:aws:sqs:${region}:${account}:${rename(queue!)}` };
  }
  throw new Error(
    `an AWS call this test cannot map to a resource yet: ${call.name} ${aws.operation} ${JSON.stringify(aws)}`,
  );
}

/** What every function that ran needs for its own logs and traces. */
function runtimeNeeds(fn: string, context: TraceContext, synth: Synth, because: string): Need[] {
  const { stack, resource } = findResource(
    synth,
    'aws_lambda_function',
    (f) => f.function_name === fn,
    `function ${fn}`,
  );
  const principal: Principal = { kind: 'function', name: fn };
  const ran = `${because}: ${fn} ran`;
  // "By default, CloudWatch automatically creates a log group named /aws/lambda/<function name> for your function when
  // it's first invoked", unless logging_config names another
  // (https://docs.aws.amazon.com/lambda/latest/dg/monitoring-cloudwatchlogs-loggroups.html); the execution role
  // "needs the following permissions to upload logs: logs:CreateLogGroup, logs:CreateLogStream, logs:PutLogEvents"
  // (https://docs.aws.amazon.com/lambda/latest/dg/monitoring-cloudwatchlogs.html). CreateLogGroup only matters when
  // the group may be missing at the first invocation: not when the synth creates it before the function.
  const group = resource.logging_config?.log_group
    ? resolveIn(synth, stack, resource.logging_config.log_group)
    : `/aws/lambda/${fn}`;
  const groupArn = `arn:aws:logs:${context.region}:${context.account}:log-group:${group}`;
  const stream = `${groupArn}:log-stream:2026/01/01/[$LATEST]0123456789abcdef`;
  const groupFirst = (resource.depends_on ?? []).some((dep: string) => {
    const [type, id] = dep.split('.');
    return (
      type === 'aws_cloudwatch_log_group' && resolveIn(synth, stack, synth.get(stack).resource[type][id].name) === group
    );
  });
  return [
    ...(groupFirst
      ? []
      : [
          {
            principal,
            action: 'logs:CreateLogGroup',
            resource: groupArn,
            because: `${ran}, and its log group is not created before it`,
          },
        ]),
    { principal, action: 'logs:CreateLogStream', resource: stream, because: ran },
    { principal, action: 'logs:PutLogEvents', resource: stream, because: ran },
    // Active tracing sends segments: xray:PutTraceSegments and xray:PutTelemetryRecords, on "*" (X-Ray has no
    // resource-level permission for them; AWSXRayDaemonWriteAccess,
    // https://docs.aws.amazon.com/aws-managed-policy/latest/reference/AWSXRayDaemonWriteAccess.html).
    { principal, action: 'xray:PutTraceSegments', resource: '*', because: `${because}: ${fn} sent segments` },
    { principal, action: 'xray:PutTelemetryRecords', resource: '*', because: `${because}: ${fn} sent segments` },
  ];
}

/**
 * A stage's AWS calls: a Lambda proxy invocation (the function's resource policy), or a service integration (its role).
 */
function stageNeeds(
  stage: Segment,
  call: Segment,
  context: TraceContext,
  rename: (s: string) => string,
  because: string,
): Need[] {
  const aws = call.aws!;
  const stageName = rename(stage.name);
  const { region, account } = context;
  if (call.name === 'Lambda' && aws.operation === 'Invoke') {
    const restApiId = stage.aws?.api_gateway?.rest_api_id ?? 'unknown-api';
    const stageId = stageName.split('/').pop()!;
    const url = new URL(stage.http?.request?.url ?? 'http://unknown/');
    // Traced URLs may start with the stage; the execute-api ARN names it separately:
    // arn:aws:execute-api:<region>:<account>:<api id>/<stage>/<METHOD>/<path>
    // (https://docs.aws.amazon.com/apigateway/latest/developerguide/arn-format-reference.html).
    const tracedStage = stage.aws?.api_gateway?.stage;
    const path =
      tracedStage && url.pathname.startsWith(`/${tracedStage}/`)
        ? url.pathname.slice(tracedStage.length + 1)
        : url.pathname;
    return [
      {
        principal: { kind: 'api-invoke', name: stageName },
        action: 'lambda:InvokeFunction',
        resource: `arn:aws:lambda:${region}:${account}:function:${rename(aws.function_name)}`,
        sourceArn: `arn:aws:execute-api:${region}:${account}:${restApiId}/${stageId}/${stage.http?.request?.method ?? 'GET'}${path}`,
        because,
      },
    ];
  }
  if (call.name === 'Firehose' && aws.operation === 'PutRecord') {
    // "firehose:PutRecord" on "arn:aws:firehose:region:account-id:deliverystream/delivery-stream-name"
    // (https://docs.aws.amazon.com/firehose/latest/dev/controlling-access.html#access-to-firehose).
    return (aws.resource_names as string[]).map((stream) => ({
      principal: { kind: 'api-integration', name: stageName },
      action: 'firehose:PutRecord',
      resource: `arn:aws:firehose:${region}:${account}:deliverystream/${rename(stream)}`,
      because,
    }));
  }
  throw new Error(`${because}: a stage's ${call.name} ${aws.operation} call is not mapped to a principal`);
}

/**
 * What the service that invoked `fn` without a trace context needs: found in the synth (a stream mapping, a delivery
 * stream).
 */
function serviceInvokerNeeds(fn: string, context: TraceContext, synth: Synth, because: string): Need[] {
  const needs: Need[] = [];
  const { region, account } = context;
  // A reference names the function when it resolves to its ARN (unqualified, or with a version or alias).
  const fnRef = (stack: string, value: unknown) =>
    typeof value === 'string' &&
    resolveIn(synth, stack, value).replace(/:function:([^:]+)(:[^:]+)?$/, ':function:$1') ===
      `arn:aws:lambda:*:*:function:${fn}`;

  for (const [stack, mapping] of resources(synth, 'aws_lambda_event_source_mapping')) {
    if (!fnRef(stack, mapping.function_name)) continue;
    const principal: Principal = { kind: 'event-source-mapping', name: fn };
    const source = concreteArn(synth, stack, mapping.event_source_arn, context);
    // The execution role reads the stream: "dynamodb:GetRecords, dynamodb:GetShardIterator, dynamodb:DescribeStream,
    // dynamodb:ListStreams" on the table's stream
    // (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/iam-policy-example-lamda-process-dynamodb-streams.html).
    for (const action of [
      'dynamodb:DescribeStream',
      'dynamodb:GetRecords',
      'dynamodb:GetShardIterator',
      'dynamodb:ListStreams',
    ]) {
      needs.push({ principal, action, resource: source, because: `${because}: ${fn} invoked by its stream mapping` });
    }
    // "Your execution role must have permissions for the destination: For SQS destinations: sqs:SendMessage; For SNS
    // destinations: sns:Publish" (https://docs.aws.amazon.com/lambda/latest/dg/services-dynamodb-errors.html).
    const destination = mapping.destination_config?.on_failure?.destination_arn;
    if (destination) {
      const arn = concreteArn(synth, stack, destination, context);
      const action = arn.startsWith('arn:aws:sqs:')
        ? 'sqs:SendMessage'
        : arn.startsWith('arn:aws:sns:')
          ? 'sns:Publish'
          : undefined;
      if (!action)
        throw new Error(`the stream mapping of ${fn} has an on-failure destination of an unknown kind: ${arn}`);
      needs.push({
        principal,
        action,
        resource: arn,
        because: `${because}: ${fn}'s stream mapping keeps failed batches there`,
      });
    }
  }

  for (const [stack, delivery] of resources(synth, 'aws_kinesis_firehose_delivery_stream')) {
    const s3 = delivery.extended_s3_configuration;
    const processor = (s3?.processing_configuration?.processors ?? [])
      .flatMap((p: any) => p.parameters ?? [])
      .find((p: any) => p.parameter_name === 'LambdaArn' && fnRef(stack, p.parameter_value));
    if (!processor) continue;
    const principal: Principal = { kind: 'firehose', name: delivery.name };
    const why =
      `${because}: ${fn} invoked by Firehose ${delivery.name} ` +
      `(https://docs.aws.amazon.com/firehose/latest/dev/controlling-access.html#using-iam-s3)`;
    // "lambda:InvokeFunction", "lambda:GetFunctionConfiguration" on the processor's function
    const fnArn = concreteArn(synth, stack, processor.parameter_value, context);
    needs.push({ principal, action: 'lambda:InvokeFunction', resource: fnArn, because: why });
    needs.push({ principal, action: 'lambda:GetFunctionConfiguration', resource: fnArn, because: why });
    // The S3 actions, each on the resource type it acts on: the bucket, or an object in it.
    const bucket = concreteArn(synth, stack, s3.bucket_arn, context);
    for (const action of ['s3:GetBucketLocation', 's3:ListBucket', 's3:ListBucketMultipartUploads'])
      needs.push({ principal, action, resource: bucket, because: why });
    const object = `${bucket}/${s3.prefix ?? ''}2026/01/01/00/${delivery.name}-1-2026-01-01-00-00-00-0123`;
    for (const action of ['s3:AbortMultipartUpload', 's3:GetObject', 's3:PutObject'])
      needs.push({ principal, action, resource: object, because: why });
    // With error logging on, "logs:PutLogEvents" on the log stream it names.
    const logging = s3.cloudwatch_logging_options;
    if (logging?.enabled) {
      const group = resolveIn(synth, stack, logging.log_group_name);
      const stream = resolveIn(synth, stack, logging.log_stream_name);
      needs.push({
        principal,
        action: 'logs:PutLogEvents',
        resource: `arn:aws:logs:${region}:${account}:log-group:${group}:log-stream:${stream}`,
        because: why,
      });
    }
  }
  if (needs.length === 0)
    throw new Error(
      `${because}: ${fn} was invoked without a trace context, but no stream mapping or delivery stream of the synth ` +
        `invokes it`,
    );
  return needs;
}

// ---------------------------------------------------------------------------------------------------------------
// The synth: resources, references, roles

function* resources(synth: Synth, type: string): Generator<[string, any, string]> {
  for (const [stack, json] of synth)
    for (const [id, value] of Object.entries(json.resource?.[type] ?? {})) yield [stack, value, id];
}

function findResource(
  synth: Synth,
  type: string,
  where: (r: any) => boolean,
  what: string,
): { stack: string; resource: any; id: string } {
  const found = [...resources(synth, type)].filter(([, r]) => where(r));
  if (found.length !== 1) throw new Error(`synth: expected one ${type} for ${what}, found ${found.length}`);
  const [stack, resource, id] = found[0];
  return { stack, resource, id };
}

interface ArnParts {
  readonly region: string;
  readonly account: string;
}
const ANY: ArnParts = { region: '*', account: '*' };

/** The ARN a resource's `arn` attribute will have; `*` for what Terraform only knows once applied. */
function arnOf(synth: Synth, stack: string, type: string, r: any, at: ArnParts): string {
  const name = (attribute: string) => resolveIn(synth, stack, r[attribute]);
  switch (type) {
    case 'aws_dynamodb_table':
      return `arn:aws:dynamodb:${at.region}:${at.account}:table/${name('name')}`;
    case 'aws_sns_topic':
      return `arn:aws:sns:${at.region}:${at.account}:${name('name')}`;
    case 'aws_sqs_queue':
      return `arn:aws:sqs:${at.region}:${at.account}:${name('name')}`;
    case 'aws_lambda_function':
      return `arn:aws:lambda:${at.region}:${at.account}:function:${name('function_name')}`;
    case 'aws_kinesis_firehose_delivery_stream':
      return `arn:aws:firehose:${at.region}:${at.account}:deliverystream/${name('name')}`;
    case 'aws_s3_bucket':
      // A bucket named by prefix gets a generated suffix on apply.
      return `arn:aws:s3:::${r.bucket !== undefined ? name('bucket') : `${name('bucket_prefix')}${at === ANY ? '*' : 'generated'}`}`;
    case 'aws_cloudwatch_log_group':
      // The provider's `arn` has no trailing `:*`: "Any :* suffix added by the API ... is removed"
      // (https://registry.terraform.io/providers/hashicorp/aws/latest/docs/resources/cloudwatch_log_group#arn).
      return `arn:aws:logs:${at.region}:${at.account}:log-group:${name('name')}`;
    case 'aws_iam_role':
      return `arn:aws:iam::${at.account}:role/${name('name')}`;
    default:
      throw new Error(`synth ${stack}: no ARN format for ${type} in this test yet`);
  }
}

/** One `${...}` reference, resolved to the value (or ARN pattern) it stands for. */
function resolveReference(synth: Synth, stack: string, ref: string, at: ArnParts): string {
  const json = synth.get(stack);
  const remote = /^data\.terraform_remote_state\.([^.]+)\.outputs\.([^.]+)$/.exec(ref);
  if (remote) {
    // The stacks keep their state at `<env>/<stack key>.tfstate`.
    const key = /^([^/]+)\/([^/]+)\.tfstate$/.exec(String(json.data.terraform_remote_state[remote[1]].config?.key));
    const other = key && STACKS.includes(key[2] as StackKey) ? stackName(key[1], key[2] as StackKey) : undefined;
    if (!other || !synth.has(other)) throw new Error(`synth ${stack}: cannot find the stack behind ${ref}`);
    return resolveIn(synth, other, synth.get(other).output[remote[2]].value, at);
  }
  if (/^data\.aws_caller_identity\.[^.]+\.account_id$/.test(ref)) return at.account;
  if (/^data\.aws_partition\.[^.]+\.partition$/.test(ref)) return 'aws';
  if (/^data\.aws_region\.[^.]+\.(name|region)$/.test(ref)) return at.region;
  const parts = /^(aws_[a-z0-9_]+)\.([^.]+)\.([a-z_]+)$/.exec(ref);
  const r = parts && json.resource?.[parts[1]]?.[parts[2]];
  if (!parts || !r) throw new Error(`synth ${stack}: cannot resolve \${${ref}}`);
  const [, type, , attribute] = parts;
  if (attribute === 'arn') return arnOf(synth, stack, type, r, at);
  if (attribute === 'stream_arn' && type === 'aws_dynamodb_table') {
    // The stream's ARN: <table ARN>/stream/<label, a timestamp known once applied>.
    return `${arnOf(synth, stack, type, r, at)}/stream/${at === ANY ? '*' : '2026-01-01T00:00:00.000'}`;
  }
  if (attribute === 'id' && type === 'aws_iam_role') return resolveIn(synth, stack, r.name, at);
  if (r[attribute] !== undefined) return resolveIn(synth, stack, r[attribute], at);
  // Known only once applied.
  if (['id', 'execution_arn', 'invoke_url'].includes(attribute)) return '*';
  throw new Error(`synth ${stack}: cannot resolve \${${ref}}`);
}

/** A string with `${...}` references, resolved; with `ANY`, what Terraform only knows once applied becomes `*`. */
export function resolveIn(synth: Synth, stack: string, value: unknown, at: ArnParts = ANY): string {
  if (typeof value !== 'string') throw new Error(`synth ${stack}: expected a string, got ${JSON.stringify(value)}`);
  return value.replace(/\$\{([^}]+)\}/g, (_, ref: string) => resolveReference(synth, stack, ref, at));
}

/** The ARN a reference will have in the traced account and region (a concrete resource, not a pattern). */
function concreteArn(synth: Synth, stack: string, value: unknown, context: TraceContext): string {
  return resolveIn(synth, stack, value, { region: context.region, account: context.account });
}

interface Statement {
  readonly effect: 'Allow' | 'Deny';
  readonly actions: readonly string[];
  readonly resources: readonly string[];
  readonly sid?: string;
  /** A resource policy's `aws:SourceArn` patterns (a Lambda permission's `source_arn`). */
  readonly sourceArns?: readonly string[];
}

export interface Grants {
  /** How to name the grantor in a message: `role mysfits-dev-post-question-role`, `Lambda permissions of …`. */
  readonly grantor: string;
  readonly statements: readonly Statement[];
}

/** The statements of a `policy` attribute: a policy document data source, or literal JSON. */
function statementsOf(synth: Synth, stack: string, policy: string): Statement[] {
  const doc = /^\$\{data\.aws_iam_policy_document\.([^.]+)\.json\}$/.exec(policy);
  const raw = doc ? synth.get(stack).data.aws_iam_policy_document[doc[1]].statement : JSON.parse(policy).Statement;
  return (Array.isArray(raw) ? raw : [raw]).map((s: any) => {
    if (s.not_actions || s.not_resources || s.NotAction || s.NotResource)
      throw new Error(`synth ${stack}: NotAction/NotResource are not supported by this test`);
    const list = (v: unknown) => (v === undefined ? [] : Array.isArray(v) ? v : [v]) as string[];
    return {
      effect: (s.effect ?? s.Effect ?? 'Allow') as 'Allow' | 'Deny',
      actions: list(s.actions ?? s.Action),
      resources: list(s.resources ?? s.Resource).map((r) => resolveIn(synth, stack, r)),
      sid: s.sid ?? s.Sid,
    };
  });
}

/** The identity policies of the role a reference (`${aws_iam_role.x.arn}`) names. */
function roleGrants(synth: Synth, stack: string, roleRef: unknown): Grants {
  const id = /^\$\{aws_iam_role\.([^.]+)\.arn\}$/.exec(String(roleRef))?.[1];
  const role = id && synth.get(stack).resource.aws_iam_role?.[id];
  if (!role) throw new Error(`synth ${stack}: ${String(roleRef)} is not a role of the stack`);
  if (role.inline_policy || role.managed_policy_arns)
    throw new Error(
      `synth ${stack}: role ${role.name}'s inline_policy/managed_policy_arns are not supported by this test`,
    );
  const json = synth.get(stack);
  const mine = (value: unknown) =>
    value === `\${aws_iam_role.${id}.id}` || value === `\${aws_iam_role.${id}.name}` || value === role.name;
  const statements = Object.values<any>(json.resource.aws_iam_role_policy ?? {})
    .filter((p) => mine(p.role))
    .flatMap((p) => statementsOf(synth, stack, p.policy));
  for (const attachment of Object.values<any>(json.resource.aws_iam_role_policy_attachment ?? {})) {
    if (!mine(attachment.role)) continue;
    const policyId = /^\$\{aws_iam_policy\.([^.]+)\.arn\}$/.exec(attachment.policy_arn)?.[1];
    if (!policyId)
      throw new Error(
        `synth ${stack}: role ${role.name} has managed policy ${attachment.policy_arn}, which this test cannot read`,
      );
    statements.push(...statementsOf(synth, stack, json.resource.aws_iam_policy[policyId].policy));
  }
  return { grantor: `role ${role.name}`, statements };
}

/** Where a principal's permissions are in the synth. */
export function grantsFor(synth: Synth, principal: Principal): Grants {
  switch (principal.kind) {
    case 'function':
    case 'event-source-mapping': {
      const { stack, resource } = findResource(
        synth,
        'aws_lambda_function',
        (f) => f.function_name === principal.name,
        describePrincipal(principal),
      );
      return roleGrants(synth, stack, resource.role);
    }
    case 'firehose': {
      const { stack, resource } = findResource(
        synth,
        'aws_kinesis_firehose_delivery_stream',
        (d) => d.name === principal.name,
        describePrincipal(principal),
      );
      return roleGrants(synth, stack, resource.extended_s3_configuration.role_arn);
    }
    case 'api-integration': {
      // The stage segment is named `<api name>/<stage>`; its service integrations call AWS with their `credentials`
      // role.
      const apiName = principal.name.split('/')[0];
      const { stack, id } = findResource(
        synth,
        'aws_api_gateway_rest_api',
        (a) => a.name === apiName,
        describePrincipal(principal),
      );
      const integrations = Object.values<any>(synth.get(stack).resource.aws_api_gateway_integration ?? {}).filter(
        (i) => i.rest_api_id === `\${aws_api_gateway_rest_api.${id}.id}` && i.type === 'AWS' && i.credentials,
      );
      if (integrations.length !== 1)
        throw new Error(
          `synth ${stack}: expected one AWS service integration with a role on ${apiName}, found ` +
            `${integrations.length}`,
        );
      return roleGrants(synth, stack, integrations[0].credentials);
    }
    case 'api-invoke': {
      // API Gateway invokes a proxy function through the function's resource policy: aws_lambda_permission
      // (https://docs.aws.amazon.com/lambda/latest/dg/services-apigateway.html#apigateway-permissions).
      const apiName = principal.name.split('/')[0];
      const { stack, id } = findResource(
        synth,
        'aws_api_gateway_rest_api',
        (a) => a.name === apiName,
        describePrincipal(principal),
      );
      const permissions = Object.values<any>(synth.get(stack).resource.aws_lambda_permission ?? {}).filter(
        (p) =>
          p.principal === 'apigateway.amazonaws.com' &&
          String(p.source_arn).startsWith(`\${aws_api_gateway_rest_api.${id}.execution_arn}`),
      );
      return {
        grantor: `the Lambda permissions for ${apiName}`,
        statements: permissions.map((p) => ({
          effect: 'Allow' as const,
          actions: [p.action],
          resources: [`arn:aws:lambda:*:*:function:${resolveIn(synth, stack, p.function_name)}`],
          sid: p.statement_id,
          sourceArns: p.source_arn === undefined ? undefined : [resolveIn(synth, stack, p.source_arn)],
        })),
      };
    }
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Matching

/** IAM's wildcards: `*` any run of characters, `?` one; actions case-insensitively. */
function wildcard(pattern: string, flags = ''): RegExp {
  const body = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${body}$`, flags);
}

const covers = (s: Statement, need: Need) =>
  s.actions.some((a) => wildcard(a, 'i').test(need.action)) &&
  s.resources.some((r) => wildcard(r).test(need.resource)) &&
  (!need.sourceArn || !s.sourceArns || s.sourceArns.some((a) => wildcard(a).test(need.sourceArn!)));

/** Each need that the principal's grants do not allow (no Allow covers it, or a Deny does), as a message naming it. */
export function missingPermissions(synth: Synth, needs: readonly Need[]): string[] {
  const missing: string[] = [];
  for (const need of needs) {
    const grants = grantsFor(synth, need.principal);
    const allowed = grants.statements.some((s) => s.effect === 'Allow' && covers(s, need));
    const denied = grants.statements.some((s) => s.effect === 'Deny' && covers(s, need));
    if (!allowed || denied) {
      const from = need.sourceArn ? ` from ${need.sourceArn}` : '';
      missing.push(
        `${describePrincipal(need.principal)} needs ${need.action} on ${need.resource}${from}, which ` +
          `${grants.grantor} does not ${denied ? 'allow (denied)' : 'grant'} (${need.because})`,
      );
    }
  }
  return missing;
}

/**
 * The other direction, for least privilege: each action a grantor allows that no need of the run used (one line per
 * statement and action). A run covers the normal paths only, so this lists candidates to review, not errors.
 */
export function unusedGrants(synth: Synth, needs: readonly Need[]): string[] {
  const byGrantor = new Map<string, { grants: Grants; needs: Need[] }>();
  for (const need of needs) {
    const grants = grantsFor(synth, need.principal);
    const entry = byGrantor.get(grants.grantor) ?? { grants, needs: [] };
    entry.needs.push(need);
    byGrantor.set(grants.grantor, entry);
  }
  const unused: string[] = [];
  for (const { grants, needs: used } of byGrantor.values()) {
    for (const s of grants.statements.filter((st) => st.effect === 'Allow')) {
      for (const action of s.actions) {
        const narrowed = { ...s, actions: [action] };
        if (!used.some((need) => covers(narrowed, need)))
          unused.push(`${grants.grantor} grants ${action} on ${s.resources.join(', ')}, which no traced call used`);
      }
    }
  }
  return unused;
}
