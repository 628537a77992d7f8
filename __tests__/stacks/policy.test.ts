/**
 * The synth-time policy: each rule is shown with a deliberately wrong construct (synth stops naming it), and the
 * project's own constructs pass.
 */
import { Aspects, Testing, type TerraformStack } from 'cdktf';
import type { Construct } from 'constructs';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ApiGatewayStage } from '@cdktf/provider-aws/lib/api-gateway-stage';
import { DataAwsIamPolicyDocument } from '@cdktf/provider-aws/lib/data-aws-iam-policy-document';
import { DynamodbTable } from '@cdktf/provider-aws/lib/dynamodb-table';
import { IamRolePolicy } from '@cdktf/provider-aws/lib/iam-role-policy';
import { LambdaFunction } from '@cdktf/provider-aws/lib/lambda-function';
import { S3Bucket } from '@cdktf/provider-aws/lib/s3-bucket';
import { S3BucketPublicAccessBlock } from '@cdktf/provider-aws/lib/s3-bucket-public-access-block';
import { S3BucketServerSideEncryptionConfigurationA } from '@cdktf/provider-aws/lib/s3-bucket-server-side-encryption-configuration';
import { SnsTopic } from '@cdktf/provider-aws/lib/sns-topic';
import { SqsQueue } from '@cdktf/provider-aws/lib/sqs-queue';
import { SecureBucket } from '../../stacks/constructs/secure-bucket';
import { SecureTable } from '../../stacks/constructs/secure-table';
import { TracedFunction } from '../../stacks/constructs/traced-function';
import { XRAY_WRITE } from '../../stacks/constructs/policy-statements';
import { checkElements, PolicyViolationError, SecureDefaultsPolicy } from '../../stacks/policy/secure-defaults-policy';
import './cdktf-matchers';

/** Synthesizes the constructs with the policy aspect; returns the JSON or throws the policy's error. */
function synthWithPolicy(build: (scope: TerraformStack) => void): string {
  return Testing.synthScope((scope) => {
    Aspects.of(scope).add(new SecureDefaultsPolicy());
    build(scope as TerraformStack);
  });
}

const lambda = (scope: Construct, tracingMode?: string) =>
  new LambdaFunction(scope, 'bad-function', {
    functionName: 'f',
    role: 'arn:aws:iam::123456789012:role/r',
    runtime: 'nodejs24.x',
    handler: 'index.handler',
    filename: 'x.zip',
    tracingConfig: tracingMode ? { mode: tracingMode } : undefined,
  });

const fullBlock = (scope: Construct, bucket: S3Bucket, overrides: Partial<{ blockPublicPolicy: boolean }> = {}) =>
  new S3BucketPublicAccessBlock(scope, 'block', {
    bucket: bucket.id,
    blockPublicAcls: true,
    blockPublicPolicy: overrides.blockPublicPolicy ?? true,
    ignorePublicAcls: true,
    restrictPublicBuckets: true,
  });

const encryption = (scope: Construct, bucket: S3Bucket) =>
  new S3BucketServerSideEncryptionConfigurationA(scope, 'sse', {
    bucket: bucket.id,
    rule: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: 'AES256' } }],
  });

describe('secure-defaults policy aspect', () => {
  it.each<[string, (scope: TerraformStack) => void, RegExp]>([
    [
      'a Lambda without tracing',
      (s) => lambda(s),
      /aws_lambda_function\.bad-function \(stack\/bad-function\): Lambda tracing mode must be Active/,
    ],
    [
      'a Lambda in PassThrough mode',
      (s) => lambda(s, 'PassThrough'),
      /aws_lambda_function\.bad-function .*tracing mode must be Active/,
    ],
    [
      'a stage without X-Ray tracing',
      (s) => new ApiGatewayStage(s, 'bad-stage', { restApiId: 'a', deploymentId: 'd', stageName: 'dev' }),
      /aws_api_gateway_stage\.bad-stage .*stage must have X-Ray tracing enabled/,
    ],
    [
      'a bucket without encryption',
      (s) => fullBlock(s, new S3Bucket(s, 'bad-bucket', {})),
      /aws_s3_bucket\.bad-bucket .*no server-side encryption configuration/,
    ],
    [
      'a bucket without a public access block',
      (s) => encryption(s, new S3Bucket(s, 'bad-bucket', {})),
      /aws_s3_bucket\.bad-bucket .*no public access block/,
    ],
    [
      'a bucket whose public access block lets public policies in',
      (s) => {
        const bucket = new S3Bucket(s, 'bad-bucket', {});
        encryption(s, bucket);
        fullBlock(s, bucket, { blockPublicPolicy: false });
      },
      /aws_s3_bucket\.bad-bucket .*no public access block with all four settings true/,
    ],
    [
      'a bucket whose encryption belongs to another bucket',
      (s) => {
        const good = new SecureBucket(s, 'good', { bucketPrefix: 'good-' });
        const bad = new S3Bucket(s, 'bad-bucket', {});
        fullBlock(s, bad);
        void good;
      },
      /aws_s3_bucket\.bad-bucket .*no server-side encryption/,
    ],
    [
      'a table without server-side encryption',
      (s) =>
        new DynamodbTable(s, 'bad-table', {
          name: 't',
          hashKey: 'k',
          attribute: [{ name: 'k', type: 'S' }],
          billingMode: 'PAY_PER_REQUEST',
        }),
      /aws_dynamodb_table\.bad-table .*table must enable server-side encryption/,
    ],
    [
      'an unencrypted topic',
      (s) => new SnsTopic(s, 'bad-topic', { name: 't' }),
      /aws_sns_topic\.bad-topic .*topic must be encrypted/,
    ],
    [
      'an unencrypted queue',
      (s) => new SqsQueue(s, 'bad-queue', { name: 'q', sqsManagedSseEnabled: false }),
      /aws_sqs_queue\.bad-queue .*queue must be encrypted/,
    ],
    [
      'a wildcard action',
      (s) =>
        new DataAwsIamPolicyDocument(s, 'bad-doc', {
          statement: [{ actions: ['dynamodb:*'], resources: ['arn:aws:dynamodb:eu-west-1:123456789012:table/t'] }],
        }),
      /data\.aws_iam_policy_document\.bad-doc \(stack\/bad-doc\): IAM statement has a wildcard action \(dynamodb:\*\)/,
    ],
    [
      'a partial wildcard action',
      (s) =>
        new DataAwsIamPolicyDocument(s, 'bad-doc', {
          statement: [{ sid: 'Reads', actions: ['s3:Get*'], resources: ['arn:aws:s3:::b/*'] }],
        }),
      /aws_iam_policy_document\.bad-doc .*statement Reads has a wildcard action \(s3:Get\*\)/,
    ],
    [
      'a wildcard resource for a non-X-Ray action',
      (s) =>
        new DataAwsIamPolicyDocument(s, 'bad-doc', { statement: [{ actions: ['sns:Publish'], resources: ['*'] }] }),
      /aws_iam_policy_document\.bad-doc .*wildcard resource for sns:Publish/,
    ],
    [
      'a wildcard resource shared by X-Ray and another action',
      (s) =>
        new DataAwsIamPolicyDocument(s, 'bad-doc', {
          statement: [{ actions: ['xray:PutTraceSegments', 'logs:PutLogEvents'], resources: ['*'] }],
        }),
      /wildcard resource for logs:PutLogEvents/,
    ],
    [
      'a literal JSON policy with a wildcard action',
      (s) =>
        new IamRolePolicy(s, 'bad-inline', {
          role: 'r',
          policy: JSON.stringify({
            Version: '2012-10-17',
            Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }],
          }),
        }),
      /aws_iam_role_policy\.bad-inline .*wildcard action \(\*\)/,
    ],
  ])('stops synth on %s, naming the resource', (_, build, message) => {
    expect(() => synthWithPolicy(build)).toThrow(message);
  });

  it('lists every violation of the stack at once', () => {
    expect(() =>
      synthWithPolicy((s) => {
        new SnsTopic(s, 'bad-topic', { name: 't' });
        new SqsQueue(s, 'bad-queue', { name: 'q' });
      }),
    ).toThrow(/2 violation\(s\) in stack stack:[\s\S]*bad-topic[\s\S]*bad-queue/);
  });

  it('carries each violation as data: Terraform address, logical id, construct path, rule and message', () => {
    let caught: unknown;
    try {
      synthWithPolicy((s) => {
        new SnsTopic(s, 'bad-topic', { name: 't' });
        new DataAwsIamPolicyDocument(s, 'bad-doc', {
          statement: [{ sid: 'All', actions: ['sns:*'], resources: ['*'] }],
        });
      });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(PolicyViolationError);
    const error = caught as PolicyViolationError;
    expect(error.stackName).toBe('stack');
    expect(error.violations).toEqual([
      {
        address: 'aws_sns_topic.bad-topic',
        logicalId: 'bad-topic',
        path: 'stack/bad-topic',
        rule: 'topic-encryption',
        message: 'topic must be encrypted (kms_master_key_id)',
      },
      {
        address: 'data.aws_iam_policy_document.bad-doc',
        logicalId: 'bad-doc',
        path: 'stack/bad-doc',
        rule: 'iam-wildcard-action',
        message: 'IAM statement All has a wildcard action (sns:*)',
      },
      {
        address: 'data.aws_iam_policy_document.bad-doc',
        logicalId: 'bad-doc',
        path: 'stack/bad-doc',
        rule: 'iam-wildcard-resource',
        message: 'IAM statement All has a wildcard resource for sns:*',
      },
    ]);
  });

  it("judges elements given as data, finding a bucket's companions by its logical id", () => {
    const at = (type: string, logicalId: string) => ({
      type,
      logicalId,
      address: `${type}.${logicalId}`,
      path: `s/${logicalId}`,
    });
    const bucketRef = '${aws_s3_bucket.logs.id}';
    const rules = (elements: Parameters<typeof checkElements>[0]) =>
      checkElements(elements).map((v) => `${v.logicalId}:${v.rule}`);
    const bucket = { ...at('aws_s3_bucket', 'logs'), config: {} };
    const encryption = {
      ...at('aws_s3_bucket_server_side_encryption_configuration', 'sse'),
      config: { bucket: bucketRef, rule: [{ apply_server_side_encryption_by_default: { sse_algorithm: 'AES256' } }] },
    };
    const block = {
      ...at('aws_s3_bucket_public_access_block', 'pab'),
      config: {
        bucket: bucketRef,
        block_public_acls: true,
        block_public_policy: true,
        ignore_public_acls: true,
        restrict_public_buckets: true,
      },
    };
    expect(rules([bucket, encryption, block])).toEqual([]);
    expect(rules([bucket, block])).toEqual(['logs:bucket-encryption']);
    expect(rules([bucket])).toEqual(['logs:bucket-encryption', 'logs:bucket-public-access-block']);
  });

  it('allows the X-Ray write actions on *, Deny statements with wildcards, and encrypted resources', () => {
    const synthesized = synthWithPolicy((s) => {
      new DataAwsIamPolicyDocument(s, 'doc', {
        statement: [
          XRAY_WRITE,
          { effect: 'Deny', actions: ['s3:*'], resources: ['*'], principals: [{ type: '*', identifiers: ['*'] }] },
        ],
      });
      new SnsTopic(s, 'topic', { name: 't', kmsMasterKeyId: 'alias/aws/sns' });
      new SqsQueue(s, 'queue', { name: 'q', sqsManagedSseEnabled: true });
      new SqsQueue(s, 'kms-queue', { name: 'k', kmsMasterKeyId: 'alias/aws/sqs' });
      new SecureTable(s, 'table', { env: 'dev', table: 'questions' });
      new SecureBucket(s, 'bucket', { bucketPrefix: 'b-' });
    });
    expect(synthesized).toHaveResourceWithProperties(SnsTopic, { name: 't', kms_master_key_id: 'alias/aws/sns' });
  });

  it("passes the project's traced function", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mysfits-code-'));
    try {
      fs.writeFileSync(path.join(dir, 'index.js'), 'exports.handler = async () => ({});');
      const synthesized = synthWithPolicy((s) => {
        new TracedFunction(s, 'fn', {
          env: 'dev',
          fn: 'processClicks',
          codeDir: dir,
          logRetentionDays: 7,
          statements: [],
          environment: { MYSFITS_API_URL: 'https://x', MYSFITS_LOOKUP_TIMEOUT_MS: '1', POWERTOOLS_SERVICE_NAME: 's' },
        });
      });
      expect(synthesized).toHaveResourceWithProperties(LambdaFunction, { tracing_config: { mode: 'Active' } });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
