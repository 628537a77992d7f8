/**
 * What a first `cdktf deploy` and every later `cdktf diff` depend on, checked on one full synth:
 *  - no configuration pattern the AWS provider documents as a perpetual difference (a plan that never comes clean);
 *  - every resource and data source type the stacks use has a row in docs/operations.md's deploy-role table, so the
 *    documented permissions cannot fall behind the stacks.
 * Each perpetual-difference rule is also run against a small configuration that breaks it, so it can fail.
 */
import { App } from 'cdktf';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadEnvironments } from '../../config/load';
import { buildApp } from '../../stacks/app';

type Resources = Record<string, Record<string, any>>;

interface Rule {
  readonly name: string;
  /** Where the provider (or AWS) documents the difference. */
  readonly source: string;
  /** Problems found in one stack's `resource` block. */
  readonly check: (resources: Resources) => string[];
}

const each = (resources: Resources, type: string) => Object.entries(resources[type] ?? {});
const isReference = (value: unknown, pattern: RegExp) => typeof value === 'string' && pattern.test(value);

/** Documented defaults of Firehose processor parameters, which the provider never stores in state. */
const FIREHOSE_PROCESSOR_DEFAULTS: Record<string, string> = {
  NumberOfRetries: '3',
  BufferSizeInMBs: '1',
  BufferIntervalInSeconds: '60',
};
/** `aws_s3_bucket` arguments that have their own resources; setting both fights over the same setting. */
const S3_BUCKET_INLINE = [
  'acl',
  'versioning',
  'server_side_encryption_configuration',
  'policy',
  'lifecycle_rule',
  'logging',
  'website',
  'cors_rule',
  'replication_configuration',
  'object_lock_configuration',
  'acceleration_status',
  'request_payer',
  'grant',
];
/** Arguments that hold an IAM policy document, by resource type. */
const POLICY_ARGUMENTS: Record<string, string> = {
  aws_iam_role: 'assume_role_policy',
  aws_iam_role_policy: 'policy',
  aws_s3_bucket_policy: 'policy',
  aws_sqs_queue_policy: 'policy',
  aws_sns_topic_policy: 'policy',
  aws_xray_resource_policy: 'policy_document',
};

const PERPETUAL_DIFF_RULES: readonly Rule[] = [
  {
    name: 'Firehose processor parameters equal to their defaults are not stored',
    source:
      'https://registry.terraform.io/providers/hashicorp/aws/latest/docs/resources/' +
      'kinesis_firehose_delivery_stream#parameters' +
      '; https://github.com/hashicorp/terraform-provider-aws/issues/33014; defaults: ' +
      'https://docs.aws.amazon.com/firehose/latest/dev/data-transformation.html',
    check: (r) =>
      each(r, 'aws_kinesis_firehose_delivery_stream').flatMap(([id, stream]) =>
        (stream.extended_s3_configuration?.processing_configuration?.processors ?? []).flatMap((processor: any) =>
          (processor.parameters ?? [])
            .filter((p: any) => FIREHOSE_PROCESSOR_DEFAULTS[p.parameter_name] === p.parameter_value)
            .map(
              (p: any) =>
                `${id}: ${processor.type} processor sets ${p.parameter_name}=${p.parameter_value}, its default`,
            ),
        ),
      ),
  },
  {
    name: 'Lambda permission on a qualified function ARN (use `qualifier`)',
    source:
      'https://github.com/hashicorp/terraform-provider-aws/issues/38558; ' +
      'https://github.com/hashicorp/terraform-provider-aws/issues/889',
    check: (r) =>
      each(r, 'aws_lambda_permission')
        .filter(
          ([, p]) =>
            /:function:[^:]+:[^:}]+$/.test(p.function_name) ||
            isReference(p.function_name, /\.(qualified_arn|qualified_invoke_arn)\}/),
        )
        .map(([id]) => `${id}: function_name is a qualified ARN`),
  },
  {
    name: 'S3 bucket settings both inline and in their own resources',
    source:
      'https://registry.terraform.io/providers/hashicorp/aws/latest/docs/resources/s3_bucket (the standalone ' +
      'resources replace the inline arguments)',
    check: (r) =>
      each(r, 'aws_s3_bucket').flatMap(([id, bucket]) =>
        S3_BUCKET_INLINE.filter((key) => key in bucket).map((key) => `${id}: inline ${key}`),
      ),
  },
  {
    name: 'IAM role with exclusive inline_policy/managed_policy_arns beside aws_iam_role_policy',
    source:
      'https://registry.terraform.io/providers/hashicorp/aws/latest/docs/resources/iam_role (note on inline_policy ' +
      'and managed_policy_arns: "resource cycling")',
    check: (r) =>
      each(r, 'aws_iam_role').flatMap(([id, role]) =>
        ['inline_policy', 'managed_policy_arns'].filter((key) => key in role).map((key) => `${id}: ${key}`),
      ),
  },
  {
    name: 'Policy written inline on the topic or queue beside its policy resource',
    source:
      'https://registry.terraform.io/providers/hashicorp/aws/latest/docs/resources/sqs_queue_policy; ' +
      'https://registry.terraform.io/providers/hashicorp/aws/latest/docs/resources/sns_topic_policy',
    check: (r) => [
      ...(r.aws_sqs_queue_policy
        ? each(r, 'aws_sqs_queue')
            .filter(([, q]) => 'policy' in q)
            .map(([id]) => `${id}: aws_sqs_queue.policy and aws_sqs_queue_policy`)
        : []),
      ...(r.aws_sns_topic_policy
        ? each(r, 'aws_sns_topic')
            .filter(([, t]) => 'policy' in t)
            .map(([id]) => `${id}: aws_sns_topic.policy and aws_sns_topic_policy`)
        : []),
    ],
  },
  {
    name: 'IAM policy as a hand-written JSON string (ordering and whitespace differences)',
    source:
      'https://developer.hashicorp.com/terraform/tutorials/aws/aws-iam-policy (aws_iam_policy_document or jsonencode)',
    check: (r) =>
      Object.entries(POLICY_ARGUMENTS).flatMap(([type, argument]) =>
        each(r, type)
          .filter(
            ([, resource]) => !isReference(resource[argument], /^\$\{data\.aws_iam_policy_document\.[^.]+\.json\}$/),
          )
          .map(([id]) => `${type}.${id}: ${argument} is not an aws_iam_policy_document`),
      ),
  },
  {
    name: 'API Gateway deployment without triggers and create_before_destroy, or with stage arguments',
    source: 'https://registry.terraform.io/providers/hashicorp/aws/latest/docs/resources/api_gateway_deployment',
    check: (r) =>
      each(r, 'aws_api_gateway_deployment').flatMap(([id, d]) => [
        ...(d.triggers ? [] : [`${id}: no triggers`]),
        ...(d.lifecycle?.create_before_destroy ? [] : [`${id}: no create_before_destroy`]),
        ...['stage_name', 'stage_description', 'canary_settings']
          .filter((key) => key in d)
          .map((key) => `${id}: ${key}`),
      ]),
  },
  {
    name: 'REST API defined by an OpenAPI body beside separate method resources',
    source:
      'https://registry.terraform.io/providers/hashicorp/aws/latest/docs/resources/api_gateway_rest_api (body and ' +
      'put_rest_api_mode)',
    check: (r) =>
      r.aws_api_gateway_method
        ? each(r, 'aws_api_gateway_rest_api')
            .filter(([, api]) => 'body' in api)
            .map(([id]) => `${id}: body`)
        : [],
  },
  {
    name: 'CloudFront cache behavior with a cache policy and legacy TTL or forwarded_values settings',
    source:
      'https://github.com/hashicorp/terraform-provider-aws/pull/40778; ' +
      'https://registry.terraform.io/providers/hashicorp/aws/latest/docs/resources/cloudfront_distribution',
    check: (r) =>
      each(r, 'aws_cloudfront_distribution').flatMap(([id, d]) =>
        [d.default_cache_behavior, ...(d.ordered_cache_behavior ?? [])]
          .filter((behavior: any) => behavior?.cache_policy_id)
          .flatMap((behavior: any) =>
            ['forwarded_values', 'min_ttl', 'default_ttl', 'max_ttl']
              .filter((key) => key in behavior)
              .map((key) => `${id}: ${key} with cache_policy_id`),
          ),
      ),
  },
  {
    name: 'S3 object change detection by etag (not the MD5 with SSE-KMS; use source_hash)',
    source: 'https://registry.terraform.io/providers/hashicorp/aws/latest/docs/resources/s3_object (etag, source_hash)',
    check: (r) =>
      each(r, 'aws_s3_object')
        .filter(([, o]) => 'etag' in o)
        .map(([id]) => `${id}: etag`),
  },
];

let outdir: string;
let stacks: Record<string, any>;

beforeAll(() => {
  outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'mysfits-readiness-'));
  const app = new App({ outdir });
  buildApp(app, loadEnvironments());
  app.synth();
  const dir = path.join(outdir, 'stacks');
  stacks = Object.fromEntries(
    fs.readdirSync(dir).map((name) => [name, JSON.parse(fs.readFileSync(path.join(dir, name, 'cdk.tf.json'), 'utf8'))]),
  );
});
afterAll(() => fs.rmSync(outdir, { recursive: true, force: true }));

describe('no documented perpetual difference', () => {
  it.each(PERPETUAL_DIFF_RULES.map((rule) => [rule.name, rule] as const))('%s', (_name, rule) => {
    const problems = Object.entries(stacks).flatMap(([name, json]) =>
      rule.check(json.resource ?? {}).map((p) => `${name}: ${p}`),
    );
    expect(problems).toEqual([]);
  });

  it('each rule detects the pattern it names', () => {
    const broken: Resources = {
      aws_kinesis_firehose_delivery_stream: {
        s: {
          extended_s3_configuration: {
            processing_configuration: {
              processors: [
                { type: 'Lambda', parameters: [{ parameter_name: 'BufferSizeInMBs', parameter_value: '1' }] },
              ],
            },
          },
        },
      },
      aws_lambda_permission: { p: { function_name: 'arn:aws:lambda:eu-west-1:123456789012:function:f:live' } },
      aws_s3_bucket: { b: { versioning: { enabled: true } } },
      aws_iam_role: { r: { assume_role_policy: '{"Statement":[]}', inline_policy: [] } },
      aws_sqs_queue: { q: { policy: '{}' } },
      aws_sqs_queue_policy: { qp: { policy: '${data.aws_iam_policy_document.x.json}' } },
      aws_api_gateway_deployment: { d: { stage_name: 'dev' } },
      aws_api_gateway_rest_api: { a: { body: '{}' } },
      aws_api_gateway_method: { m: {} },
      aws_cloudfront_distribution: { c: { default_cache_behavior: { cache_policy_id: 'x', default_ttl: 300 } } },
      aws_s3_object: { o: { etag: 'x' } },
    };
    for (const rule of PERPETUAL_DIFF_RULES)
      expect({ rule: rule.name, found: rule.check(broken).length > 0 }).toEqual({ rule: rule.name, found: true });
  });
});

describe('docs/operations.md deploy-role permissions', () => {
  /**
   * Types named in the first column of the deploy-role table: rows like "| `aws_s3_bucket`, `aws_s3_object` | ... |".
   */
  function documentedTypes(): Set<string> {
    const doc = fs.readFileSync(path.join(__dirname, '../../docs/operations.md'), 'utf8');
    const section = doc.split(/^### Deploy role permissions by resource type$/m)[1]?.split(/^#{2,3} /m)[0];
    expect(section).toBeDefined();
    const rows = section!.split('\n').filter((line) => /^\| `/.test(line));
    return new Set(
      rows.flatMap((row) => [...row.split('|')[1].matchAll(/`((?:data\.)?[a-z0-9_]+)`/g)].map((m) => m[1])),
    );
  }

  it('names every resource and data source type of the synthesized stacks, and no other', () => {
    const used = new Set(
      Object.values(stacks).flatMap((json) => [
        ...Object.keys(json.resource ?? {}),
        ...Object.keys(json.data ?? {})
          .filter((type) => type !== 'terraform_remote_state')
          .map((type) => `data.${type}`),
      ]),
    );
    expect([...documentedTypes()].sort()).toEqual([...used].sort());
  });
});
