/**
 * IAM as deployed, from the traces of a full sandbox run (recorded: fixtures/sandbox-run-traces.json; the live
 * version runs in __tests__/check-traces/sandbox.test.ts): the permissions each function, the stream mapping,
 * Firehose and API Gateway needed, against the roles and Lambda permissions of the synthesized `dev` stacks.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  deriveNeeds,
  missingPermissions,
  resolveIn,
  synthesize,
  unusedGrants,
  type Need,
  type Synth,
  type TraceDocuments,
} from '../support/iam-from-traces';

const RECORDED = JSON.parse(
  fs.readFileSync(path.join(__dirname, '..', 'check-traces', 'fixtures', 'sandbox-run-traces.json'), 'utf8'),
) as {
  traces: TraceDocuments[];
};

let outdir: string;
let synth: Synth;

beforeAll(() => {
  outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'mysfits-iam-'));
  synth = synthesize(outdir);
});
afterAll(() => fs.rmSync(outdir, { recursive: true, force: true }));

const needs = () => deriveNeeds(RECORDED.traces, { tracedEnv: 'local', env: 'dev', synth });
const row = (n: Need) =>
  `${n.principal.kind} ${n.principal.name}: ${n.action} ` +
  `${n.resource}${n.sourceArn ? ` from ${n.sourceArn.replace(/:[a-z0-9]{10}\//, ':<api>/')}` : ''}`;
/** A copy of the synth whose JSON a test may change. */
const copy = (): Map<string, any> => new Map([...synth].map(([k, v]) => [k, structuredClone(v)]));
/** The policy document statements of the role policy whose document id starts with `prefix`. */
function statement(json: any, documentPrefix: string, sid: string): any {
  const id = Object.keys(json.data.aws_iam_policy_document).find((k) => k.startsWith(documentPrefix))!;
  return json.data.aws_iam_policy_document[id].statement.find((s: any) => s.sid === sid);
}

test("the run needs exactly these permissions (every function's AWS calls, and what the services do for them)", () => {
  const A = 'us-east-1:000000000000';
  // Compared as sets: the order of the needs follows the order the traces were recorded in.
  expect(needs().map(row).sort()).toEqual(
    [
      `api-integration mysfits-dev-clicks-api/dev: firehose:PutRecord ` +
        `arn:aws:firehose:${A}:deliverystream/mysfits-dev-clicks`,
      // GET /mysfits, GET /mysfits/{id} (an unknown id, and the clicked mysfit's from process-clicks), POST /questions
      `api-invoke mysfits-dev-mysfits-api/dev: lambda:InvokeFunction ` +
        `arn:aws:lambda:${A}:function:mysfits-dev-mysfits-api from arn:aws:execute-api:${A}:<api>/dev/GET/mysfits`,
      `api-invoke mysfits-dev-mysfits-api/dev: lambda:InvokeFunction ` +
        `arn:aws:lambda:${A}:function:mysfits-dev-mysfits-api from ` +
        `arn:aws:execute-api:${A}:<api>/dev/GET/mysfits/00844b30-361b-41f6-a75a-0246cc449223`,
      `api-invoke mysfits-dev-mysfits-api/dev: lambda:InvokeFunction ` +
        `arn:aws:lambda:${A}:function:mysfits-dev-mysfits-api from ` +
        `arn:aws:execute-api:${A}:<api>/dev/GET/mysfits/00000000-0000-0000-0000-000000000000`,
      `api-invoke mysfits-dev-questions-api/dev: lambda:InvokeFunction ` +
        `arn:aws:lambda:${A}:function:mysfits-dev-post-question from arn:aws:execute-api:${A}:<api>/dev/POST/questions`,
      `event-source-mapping mysfits-dev-process-questions-stream: dynamodb:DescribeStream ` +
        `arn:aws:dynamodb:${A}:table/mysfits-dev-questions/stream/2026-01-01T00:00:00.000`,
      `event-source-mapping mysfits-dev-process-questions-stream: dynamodb:GetRecords ` +
        `arn:aws:dynamodb:${A}:table/mysfits-dev-questions/stream/2026-01-01T00:00:00.000`,
      `event-source-mapping mysfits-dev-process-questions-stream: dynamodb:GetShardIterator ` +
        `arn:aws:dynamodb:${A}:table/mysfits-dev-questions/stream/2026-01-01T00:00:00.000`,
      `event-source-mapping mysfits-dev-process-questions-stream: dynamodb:ListStreams ` +
        `arn:aws:dynamodb:${A}:table/mysfits-dev-questions/stream/2026-01-01T00:00:00.000`,
      `event-source-mapping mysfits-dev-process-questions-stream: sqs:SendMessage ` +
        `arn:aws:sqs:${A}:mysfits-dev-questions-stream-failures`,
      `firehose mysfits-dev-clicks: lambda:GetFunctionConfiguration ` +
        `arn:aws:lambda:${A}:function:mysfits-dev-process-clicks`,
      `firehose mysfits-dev-clicks: lambda:InvokeFunction arn:aws:lambda:${A}:function:mysfits-dev-process-clicks`,
      `firehose mysfits-dev-clicks: logs:PutLogEvents ` +
        `arn:aws:logs:${A}:log-group:/aws/kinesisfirehose/mysfits-dev-clicks:log-stream:DestinationDelivery`,
      'firehose mysfits-dev-clicks: s3:AbortMultipartUpload ' +
        'arn:aws:s3:::mysfits-dev-clicks-generated/firehose/2026/01/01/00/mysfits-dev-clicks-1-2026-01-01-00-00-00-0123',
      'firehose mysfits-dev-clicks: s3:GetBucketLocation arn:aws:s3:::mysfits-dev-clicks-generated',
      'firehose mysfits-dev-clicks: s3:GetObject ' +
        'arn:aws:s3:::mysfits-dev-clicks-generated/firehose/2026/01/01/00/mysfits-dev-clicks-1-2026-01-01-00-00-00-0123',
      'firehose mysfits-dev-clicks: s3:ListBucket arn:aws:s3:::mysfits-dev-clicks-generated',
      'firehose mysfits-dev-clicks: s3:ListBucketMultipartUploads arn:aws:s3:::mysfits-dev-clicks-generated',
      'firehose mysfits-dev-clicks: s3:PutObject ' +
        'arn:aws:s3:::mysfits-dev-clicks-generated/firehose/2026/01/01/00/mysfits-dev-clicks-1-2026-01-01-00-00-00-0123',
      ...['mysfits-api', 'post-question', 'process-clicks', 'process-questions-stream'].flatMap((fn) => [
        ...(fn === 'mysfits-api'
          ? [`function mysfits-dev-mysfits-api: dynamodb:GetItem arn:aws:dynamodb:${A}:table/mysfits-dev-mysfits`]
          : []),
        ...(fn === 'mysfits-api'
          ? [`function mysfits-dev-mysfits-api: dynamodb:Scan arn:aws:dynamodb:${A}:table/mysfits-dev-mysfits`]
          : []),
        ...(fn === 'post-question'
          ? [`function mysfits-dev-post-question: dynamodb:PutItem arn:aws:dynamodb:${A}:table/mysfits-dev-questions`]
          : []),
        `function mysfits-dev-${fn}: logs:CreateLogStream ` +
          `arn:aws:logs:${A}:log-group:/aws/lambda/mysfits-dev-${fn}:log-stream:2026/01/01/[$LATEST]0123456789abcdef`,
        `function mysfits-dev-${fn}: logs:PutLogEvents ` +
          `arn:aws:logs:${A}:log-group:/aws/lambda/mysfits-dev-${fn}:log-stream:2026/01/01/[$LATEST]0123456789abcdef`,
        ...(fn === 'process-questions-stream'
          ? [
              `function mysfits-dev-process-questions-stream: dynamodb:UpdateItem ` +
                `arn:aws:dynamodb:${A}:table/mysfits-dev-questions`,
            ]
          : []),
        ...(fn === 'process-questions-stream'
          ? [`function mysfits-dev-process-questions-stream: sns:Publish arn:aws:sns:${A}:mysfits-dev-questions`]
          : []),
        `function mysfits-dev-${fn}: xray:PutTelemetryRecords *`,
        `function mysfits-dev-${fn}: xray:PutTraceSegments *`,
      ]),
    ].sort(),
  );
});

test('the synthesized roles and Lambda permissions grant every one of them', () => {
  expect(missingPermissions(synth, needs())).toEqual([]);
});

test('least privilege: every action a role grants was used by a traced call', () => {
  // handlers/mysfits-api only Scans (GET /mysfits, with or without a filter) and Gets (GET /mysfits/{id}).
  expect(unusedGrants(synth, needs())).toEqual([]);
});

test('a role missing one action fails, naming the function, the action and the resource', () => {
  const changed = copy();
  const store = statement(changed.get('mysfits-dev-questions'), 'post-question_permissions', 'StoreQuestion');
  store.actions = store.actions.filter((a: string) => a !== 'dynamodb:PutItem');
  expect(missingPermissions(changed, needs())).toEqual([
    expect.stringMatching(
      new RegExp(
        String.raw`^function mysfits-dev-post-question needs dynamodb:PutItem on ` +
          String.raw`arn:aws:dynamodb:us-east-1:000000000000:table/mysfits-dev-questions, ` +
          String.raw`which role mysfits-dev-post-question-role does not grant ` +
          String.raw`\(trace 1-[0-9a-f]+-[0-9a-f]+: mysfits-local-post-question › DynamoDB PutItem\)$`,
      ),
    ),
  ]);
});

test("service principals are checked too: the mapping's on-failure queue, Firehose's processor, the integration", () => {
  const changed = copy();
  const questions = changed.get('mysfits-dev-questions');
  const keep = statement(questions, 'process-questions-stream_permissions', 'KeepFailedBatches');
  keep.resources = ['${aws_sqs_queue.stream-failures.arn}-other'];
  const clickstream = changed.get('mysfits-dev-clickstream');
  const enrich = clickstream.data.aws_iam_policy_document['firehose-permissions'].statement.find(
    (s: any) => s.sid === 'EnrichClicks',
  );
  enrich.actions = ['lambda:InvokeFunction'];
  clickstream.data.aws_iam_policy_document['apigateway-firehose-permissions'].statement[0].resources = [
    '*:deliverystream/other',
  ];
  expect(missingPermissions(changed, needs()).map((m) => m.replace(/ \(.*$/, ''))).toEqual([
    'the API Gateway integration of stage mysfits-dev-clicks-api/dev needs firehose:PutRecord on ' +
      'arn:aws:firehose:us-east-1:000000000000:deliverystream/mysfits-dev-clicks, which role ' +
      'mysfits-dev-clicks-apigateway does not grant',
    'the event source mapping of function mysfits-dev-process-questions-stream needs sqs:SendMessage on ' +
      'arn:aws:sqs:us-east-1:000000000000:mysfits-dev-questions-stream-failures, which role ' +
      'mysfits-dev-process-questions-stream-role does not grant',
    'Firehose delivery stream mysfits-dev-clicks needs lambda:GetFunctionConfiguration on ' +
      'arn:aws:lambda:us-east-1:000000000000:function:mysfits-dev-process-clicks, which role ' +
      'mysfits-dev-clicks-firehose does not grant',
  ]);
});

test('a route without its Lambda permission fails: GET /mysfits/{id} named, GET /mysfits still granted', () => {
  const changed = copy();
  const permissions = changed.get('mysfits-dev-mysfits').resource.aws_lambda_permission;
  for (const [id, p] of Object.entries<any>(permissions))
    if (String(p.source_arn).endsWith('/GET/mysfits/*')) delete permissions[id];
  const problems = missingPermissions(changed, needs());
  expect(problems).toHaveLength(2);
  for (const problem of problems) {
    expect(problem).toMatch(
      new RegExp(
        String.raw`^API Gateway stage mysfits-dev-mysfits-api/dev invoking its function ` +
          String.raw`needs lambda:InvokeFunction on ` +
          String.raw`arn:aws:lambda:us-east-1:000000000000:function:mysfits-dev-mysfits-api from ` +
          String.raw`arn:aws:execute-api:us-east-1:000000000000:[a-z0-9]+/dev/GET/mysfits/[0-9a-f-]{36}, ` +
          String.raw`which the Lambda permissions for mysfits-dev-mysfits-api does not grant`,
      ),
    );
  }
});

test('a Deny covering a need fails it; a missing Lambda permission for a route fails the stage', () => {
  const changed = copy();
  const questions = changed.get('mysfits-dev-questions');
  const id = Object.keys(questions.data.aws_iam_policy_document).find((k) =>
    k.startsWith('process-questions-stream_permissions'),
  )!;
  questions.data.aws_iam_policy_document[id].statement.push({
    effect: 'Deny',
    actions: ['sns:*'],
    resources: ['*'],
    sid: 'NoMail',
  });
  const mysfits = changed.get('mysfits-dev-mysfits');
  mysfits.resource.aws_lambda_permission = {};
  const problems = missingPermissions(changed, needs()).map((m) => m.replace(/ \(trace.*$/, ''));
  expect(problems).toContain(
    'function mysfits-dev-process-questions-stream needs sns:Publish on ' +
      'arn:aws:sns:us-east-1:000000000000:mysfits-dev-questions, which role ' +
      'mysfits-dev-process-questions-stream-role does not allow (denied)',
  );
  expect(problems).toContainEqual(
    expect.stringMatching(
      new RegExp(
        String.raw`^API Gateway stage mysfits-dev-mysfits-api/dev invoking its function ` +
          String.raw`needs lambda:InvokeFunction on ` +
          String.raw`.*:function:mysfits-dev-mysfits-api from .*/dev/GET/mysfits, ` +
          String.raw`which the Lambda permissions for mysfits-dev-mysfits-api does not grant$`,
      ),
    ),
  );
});

test('a function whose log group is not created before it also needs logs:CreateLogGroup, which no role grants', () => {
  const changed = copy();
  const fn = Object.values<any>(changed.get('mysfits-dev-mysfits').resource.aws_lambda_function)[0];
  fn.depends_on = fn.depends_on.filter((d: string) => !d.startsWith('aws_cloudwatch_log_group.'));
  const derived = deriveNeeds(RECORDED.traces, { tracedEnv: 'local', env: 'dev', synth: changed });
  expect(missingPermissions(changed, derived).map((m) => m.replace(/ \(trace.*$/, ''))).toEqual([
    'function mysfits-dev-mysfits-api needs logs:CreateLogGroup on ' +
      'arn:aws:logs:us-east-1:000000000000:log-group:/aws/lambda/mysfits-dev-mysfits-api, which role ' +
      'mysfits-dev-mysfits-api-role does not grant',
  ]);
});

test('an AWS call the test cannot map fails loudly instead of passing unchecked', () => {
  const trace = structuredClone(RECORDED.traces.find((t) => JSON.stringify(t).includes('"operation":"PutItem"'))!);
  const fn = (trace.documents as any[]).find((d) => d.origin === 'AWS::Lambda::Function');
  fn.subsegments.push({
    id: 'a1b2c3d4e5f60718',
    name: 'Kinesis',
    namespace: 'aws',
    start_time: 1,
    end_time: 2,
    aws: { operation: 'PutRecord', region: 'us-east-1' },
  });
  expect(() => deriveNeeds([trace], { tracedEnv: 'local', env: 'dev', synth })).toThrow(
    /an AWS call this test cannot map to a resource yet: Kinesis PutRecord/,
  );
});

test('references resolve to the resources they name, across stacks; unknown ones are errors', () => {
  expect(resolveIn(synth, 'mysfits-dev-questions', '${aws_dynamodb_table.table_43360BC0.stream_arn}')).toBe(
    'arn:aws:dynamodb:*:*:table/mysfits-dev-questions/stream/*',
  );
  expect(
    resolveIn(
      synth,
      'mysfits-dev-clickstream',
      '${aws_cloudwatch_log_group.firehose-logs.arn}:log-stream:${aws_cloudwatch_log_stream.firehose-log-stream.name}',
    ),
  ).toBe('arn:aws:logs:*:*:log-group:/aws/kinesisfirehose/mysfits-dev-clicks:log-stream:DestinationDelivery');
  const fn = Object.values<any>(synth.get('mysfits-dev-clickstream').resource.aws_lambda_function)[0];
  expect(resolveIn(synth, 'mysfits-dev-clickstream', fn.environment.variables.MYSFITS_API_URL)).toBe('*');
  expect(() => resolveIn(synth, 'mysfits-dev-questions', '${aws_dynamodb_table.nope.arn}')).toThrow(
    /cannot resolve \$\{aws_dynamodb_table.nope.arn\}/,
  );
});
