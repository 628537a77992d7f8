/**
 * One full synth of the app (every environment, every stack, into a temporary outdir), then the properties
 * each stack must have, read from the written `cdk.tf.json` files.
 */
import { App, Testing } from 'cdktf';
import { CloudfrontOriginAccessControl } from '@cdktf/provider-aws/lib/cloudfront-origin-access-control';
import { DynamodbTable } from '@cdktf/provider-aws/lib/dynamodb-table';
import { LambdaFunction } from '@cdktf/provider-aws/lib/lambda-function';
import { S3Object } from '@cdktf/provider-aws/lib/s3-object';
import { SnsTopic } from '@cdktf/provider-aws/lib/sns-topic';
import { SnsTopicSubscription } from '@cdktf/provider-aws/lib/sns-topic-subscription';
import { Wafv2WebAcl } from '@cdktf/provider-aws/lib/wafv2-web-acl';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadEnvironments, type Environment } from '../../config/load';
import { buildApp } from '../../stacks/app';
import { QuestionsStack } from '../../stacks/questions-stack';
import mysfits from '../../data/mysfits.json';
import { REPO_ROOT } from '../../build/bundle';
import { CACHE_CONTROL } from '../../build/website';
import {
  accountStackName,
  BOOTSTRAP_STACK,
  CLICK_REQUEST_SCHEMA,
  deployStackNames,
  CLICKS_DELIVERY,
  FUNCTIONS,
  names,
  OUTPUTS,
  QUESTIONS_STREAM_MAPPING,
  RATE_LIMITED_RESPONSE,
  stackName,
  STACKS,
  type StackKey,
} from '../../system/definition';
import './cdktf-matchers';

let outdir: string;
let environments: Environment[];
const cache = new Map<string, any>();

beforeAll(() => {
  outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'mysfits-synth-'));
  environments = loadEnvironments();
  const app = new App({ outdir });
  buildApp(app, environments);
  app.synth();
});
afterAll(() => fs.rmSync(outdir, { recursive: true, force: true }));

function stack(name: string): any {
  if (!cache.has(name)) {
    cache.set(name, JSON.parse(fs.readFileSync(path.join(outdir, 'stacks', name, 'cdk.tf.json'), 'utf8')));
  }
  return cache.get(name);
}
const dev = (key: StackKey) => stack(stackName('dev', key));
/** The written `cdk.tf.json` of a stack: what cdktf's matchers read (see cdktf-matchers.ts). */
const synthesized = (name: string) => path.join(outdir, 'stacks', name, 'cdk.tf.json');
const devSynthesized = (key: StackKey) => synthesized(stackName('dev', key));
const account = () => stack(accountStackName('eu-west-1'));
/** How an API stack refers to the website's host: the hosting stack's distribution domain, through remote state. */
const WEBSITE_ORIGIN =
  /^https:\/\/\$\{data\.terraform_remote_state\.cross-stack-reference-input-mysfits-dev-website\.outputs\.[^}]*distribution[^}]*domain_name\}$/;
const values = (block: Record<string, any> | undefined): any[] => Object.values(block ?? {});
const one = (block: Record<string, any> | undefined, where: (value: any) => boolean = () => true) => {
  const found = values(block).filter(where);
  expect(found).toHaveLength(1);
  return found[0];
};
/** Statements of the policy document that `${data.aws_iam_policy_document.<id>.json}` names. */
function documentOf(json: any, reference: string): any[] {
  const id = /data\.aws_iam_policy_document\.([^.]+)\.json/.exec(reference)![1];
  return json.data.aws_iam_policy_document[id].statement;
}
/** The role policy statements of a function's role, without the logs and X-Ray ones every function has. */
function ownStatements(json: any, functionName: string): [string[], string[]][] {
  const fn = one(json.resource.aws_lambda_function, (f) => f.function_name === functionName);
  const roleId = /aws_iam_role\.([^.]+)\.arn/.exec(fn.role)![1];
  const policy = one(json.resource.aws_iam_role_policy, (p) => p.role === `\${aws_iam_role.${roleId}.id}`);
  return documentOf(json, policy.policy)
    .filter((s) => !['OwnLogs', 'XRayWrite'].includes(s.sid))
    .map((s) => [s.actions, s.resources]);
}

describe('full synth', () => {
  it('writes every stack of every environment plus the account and bootstrap stacks', () => {
    const written = fs.readdirSync(path.join(outdir, 'stacks')).sort();
    const expected = [
      BOOTSTRAP_STACK,
      accountStackName('eu-west-1'),
      ...environments.flatMap((env) => STACKS.map((key) => stackName(env.name, key))),
    ].sort();
    expect(written).toEqual(expected);
    expect(environments.map((e) => e.name)).toEqual(expect.arrayContaining(['dev', 'prod']));
  });

  it('keeps each application stack in an encrypted, locked S3 backend keyed by environment and stack', () => {
    for (const env of environments) {
      for (const key of STACKS) {
        expect(stack(stackName(env.name, key)).terraform.backend).toEqual({
          s3: {
            bucket: env.config.state.bucket,
            key: `${env.name}/${key}.tfstate`,
            region: env.config.state.region,
            encrypt: true,
            use_lockfile: true,
          },
        });
      }
    }
  });

  it('bootstraps each state bucket on local state: versioned, encrypted, private, protected', () => {
    const json = stack(BOOTSTRAP_STACK);
    // In the project root, not in the output folder Terraform runs in (which a synth rewrites).
    expect(json.terraform.backend).toEqual({ local: { path: path.join(REPO_ROOT, `${BOOTSTRAP_STACK}.tfstate`) } });
    const buckets = values(json.resource.aws_s3_bucket);
    expect(buckets.map((b) => b.bucket).sort()).toEqual(
      [...new Set(environments.map((e) => e.config.state.bucket))].sort(),
    );
    for (const bucket of buckets) expect(bucket.lifecycle).toEqual({ prevent_destroy: true });
    expect(
      values(json.resource.aws_s3_bucket_versioning).every((v) => v.versioning_configuration.status === 'Enabled'),
    ).toBe(true);
    expect(values(json.resource.aws_s3_bucket_server_side_encryption_configuration)).toHaveLength(buckets.length);
    expect(values(json.resource.aws_s3_bucket_public_access_block)).toHaveLength(buckets.length);
  });

  it('gives every Lambda Active tracing, a supported Node.js runtime and a retained log group', () => {
    const fns = STACKS.flatMap((key) => values(dev(key).resource?.aws_lambda_function));
    expect(fns.map((f) => f.function_name).sort()).toEqual(
      Object.keys(FUNCTIONS)
        .map((key) => names.function('dev', key as keyof typeof FUNCTIONS))
        .sort(),
    );
    for (const fn of fns) {
      expect(fn.tracing_config).toEqual({ mode: 'Active' });
      expect(fn.runtime).toBe('nodejs24.x');
      expect(fn.source_code_hash).toMatch(/^[0-9A-F]{32}$/i);
    }
    const groups = STACKS.flatMap((key) => values(dev(key).resource?.aws_cloudwatch_log_group));
    for (const fn of fns) {
      expect(groups).toContainEqual(
        expect.objectContaining({ name: `/aws/lambda/${fn.function_name}`, retention_in_days: 14 }),
      );
    }
  });

  it('samples each environment with its configured reservoir and rate', () => {
    for (const env of environments) {
      const rule = one(stack(stackName(env.name, 'tracing')).resource.aws_xray_sampling_rule);
      expect(rule).toMatchObject({
        rule_name: `mysfits-${env.name}`,
        reservoir_size: env.config.sampling.reservoirSize,
        fixed_rate: env.config.sampling.fixedRate,
        service_name: `mysfits-${env.name}-*`,
      });
    }
    // No environment holds an account-wide setting: destroying one must not reset it for the others.
    for (const env of environments) {
      for (const key of STACKS) {
        const resources = stack(stackName(env.name, key)).resource ?? {};
        expect({ key, account: resources.aws_api_gateway_account, xray: resources.aws_xray_resource_policy }).toEqual({
          key,
        });
      }
    }
  });

  describe('account stack (one per account and region)', () => {
    it("holds API Gateway's CloudWatch role, on S3 state; every API stack of every environment depends on it", () => {
      const json = account();
      expect(json.terraform.backend.s3).toMatchObject({
        key: 'account/eu-west-1.tfstate',
        encrypt: true,
        use_lockfile: true,
      });
      const apiGatewayAccount = one(json.resource.aws_api_gateway_account);
      expect(apiGatewayAccount.cloudwatch_role_arn).toMatch(/aws_iam_role\.apigateway-cloudwatch-role\.arn/);
      expect(json.resource.aws_iam_role['apigateway-cloudwatch-role'].name).toBe(
        'mysfits-apigateway-cloudwatch-eu-west-1',
      );
      const manifest = JSON.parse(fs.readFileSync(path.join(outdir, 'manifest.json'), 'utf8'));
      for (const env of environments) {
        for (const key of ['mysfits', 'questions', 'clickstream'] as const) {
          expect(manifest.stacks[stackName(env.name, key)].dependencies).toContain(accountStackName('eu-west-1'));
        }
      }
      expect(manifest.stacks[accountStackName('eu-west-1')].dependencies).toEqual([]);
    });

    it('deploys in one pass: in deployStackNames order every stack comes after all it depends on', () => {
      const manifest = JSON.parse(fs.readFileSync(path.join(outdir, 'manifest.json'), 'utf8'));
      for (const env of environments) {
        const order = deployStackNames(env.name, env.config.region);
        expect(order[0]).toBe(accountStackName(env.config.region));
        order.forEach((name, index) => {
          for (const dependency of manifest.stacks[name].dependencies) {
            expect({ name, dependency, deployedBefore: order.slice(0, index).includes(dependency) }).toEqual({
              name,
              dependency,
              deployedBefore: true,
            });
          }
        });
      }
    });

    it("lets SNS send segments of this account's mysfits topics only (X-Ray resource policy)", () => {
      const json = account();
      const policy = one(json.resource.aws_xray_resource_policy);
      expect(documentOf(json, policy.policy_document)).toEqual([
        expect.objectContaining({
          effect: 'Allow',
          actions: ['xray:PutTraceSegments', 'xray:GetSamplingRules', 'xray:GetSamplingTargets'],
          principals: [{ type: 'Service', identifiers: ['sns.amazonaws.com'] }],
          condition: [
            {
              test: 'StringEquals',
              variable: 'aws:SourceAccount',
              values: ['${data.aws_caller_identity.caller.account_id}'],
            },
            {
              test: 'ArnLike',
              variable: 'aws:SourceArn',
              values: [
                'arn:${data.aws_partition.partition.partition}:sns:eu-west-1:${data.aws_caller_identity.caller.account_id}:mysfits-*-questions',
              ],
            },
          ],
        }),
      ]);
    });
  });

  describe('trust policies: only the conditions AWS documents for each service', () => {
    const trust = (json: any, roleId: string) =>
      documentOf(json, json.resource.aws_iam_role[roleId].assume_role_policy);
    it('Firehose: sts:ExternalId is the account id', () => {
      expect(trust(dev('clickstream'), 'firehose-role')).toEqual([
        {
          actions: ['sts:AssumeRole'],
          principals: [{ type: 'Service', identifiers: ['firehose.amazonaws.com'] }],
          condition: [
            {
              test: 'StringEquals',
              variable: 'sts:ExternalId',
              values: ['${data.aws_caller_identity.caller.account_id}'],
            },
          ],
        },
      ]);
    });
    it('API Gateway (CloudWatch role, clicks integration role): no condition', () => {
      for (const [json, roleId] of [
        [account(), 'apigateway-cloudwatch-role'],
        [dev('clickstream'), 'apigateway-firehose-role'],
      ]) {
        expect(trust(json, roleId)).toEqual([
          { actions: ['sts:AssumeRole'], principals: [{ type: 'Service', identifiers: ['apigateway.amazonaws.com'] }] },
        ]);
      }
    });
  });

  it('traces, logs, throttles and CORS-limits every REST API stage', () => {
    for (const [key, api] of [
      ['mysfits', 'mysfits'],
      ['questions', 'questions'],
      ['clickstream', 'clicks'],
    ] as const) {
      const json = dev(key);
      const restApi = one(json.resource.aws_api_gateway_rest_api);
      expect(`${restApi.name}/dev`).toBe(names.stageSegment('dev', api));
      const stage = one(json.resource.aws_api_gateway_stage);
      expect(stage).toMatchObject({ stage_name: 'dev', xray_tracing_enabled: true });
      expect(stage.access_log_settings.destination_arn).toContain('aws_cloudwatch_log_group');
      expect(one(json.resource.aws_api_gateway_method_settings).settings).toMatchObject({
        throttling_rate_limit: 20,
        throttling_burst_limit: 40,
      });
      const origins = values(json.resource.aws_api_gateway_integration_response)
        .map((r) => r.response_parameters?.['method.response.header.Access-Control-Allow-Origin'])
        .filter(Boolean);
      expect(origins.length).toBeGreaterThan(0);
      // The website's host, known only once the hosting stack is deployed: never a placeholder.
      for (const origin of origins) expect(origin.slice(1, -1)).toMatch(WEBSITE_ORIGIN);
      expect(origins.every((origin) => origin.startsWith("'") && origin.endsWith("'"))).toBe(true);
      const gatewayOrigins = values(json.resource.aws_api_gateway_gateway_response).map(
        (r) => r.response_parameters['gatewayresponse.header.Access-Control-Allow-Origin'],
      );
      expect(gatewayOrigins).toHaveLength(2);
      for (const origin of gatewayOrigins) expect(origin.slice(1, -1)).toMatch(WEBSITE_ORIGIN);
      const deployment = one(json.resource.aws_api_gateway_deployment);
      expect(deployment.lifecycle).toEqual({ create_before_destroy: true });
      expect(deployment.triggers.redeployment).toMatch(/^[0-9a-f]{64}$/);
      expect(
        json.output[
          key === 'clickstream'
            ? OUTPUTS.streamingApiEndpoint
            : key === 'mysfits'
              ? OUTPUTS.mysfitsApiEndpoint
              : OUTPUTS.questionsApiEndpoint
        ].value,
      ).toMatch(/aws_api_gateway_stage\..*\.invoke_url/);
    }
  });

  describe('questions stack', () => {
    it('has an on-demand, encrypted, PITR table with a NEW_IMAGE stream', () => {
      expect(devSynthesized('questions')).toHaveResourceWithProperties(DynamodbTable, {
        name: 'mysfits-dev-questions',
        billing_mode: 'PAY_PER_REQUEST',
        hash_key: 'QuestionId',
        server_side_encryption: { enabled: true },
        point_in_time_recovery: { enabled: true },
        stream_enabled: true,
        stream_view_type: 'NEW_IMAGE',
      });
    });

    it('serves POST /questions through a Lambda proxy with a permission for that method and path', () => {
      const r = dev('questions').resource;
      const method = one(r.aws_api_gateway_method, (m) => m.http_method === 'POST');
      expect(method.authorization).toBe('NONE');
      expect(one(r.aws_api_gateway_integration, (i) => i.type === 'AWS_PROXY').uri).toMatch(
        /post-question_function.*invoke_arn/,
      );
      expect(one(r.aws_lambda_permission).source_arn).toMatch(/execution_arn\}\/\*\/POST\/questions$/);
    });

    it('maps the stream with bisect, bounded retries, partial failures and an encrypted on-failure queue', () => {
      const r = dev('questions').resource;
      const mapping = one(r.aws_lambda_event_source_mapping);
      expect(mapping).toMatchObject({
        starting_position: 'TRIM_HORIZON',
        bisect_batch_on_function_error: true,
        maximum_retry_attempts: QUESTIONS_STREAM_MAPPING.maximumRetryAttempts,
        maximum_record_age_in_seconds: QUESTIONS_STREAM_MAPPING.maximumRecordAgeInSeconds,
        function_response_types: ['ReportBatchItemFailures'],
        batch_size: QUESTIONS_STREAM_MAPPING.batchSize,
        // Only INSERTs invoke: the notified marks (MODIFY) and TTL deletions (REMOVE) are dropped by Lambda.
        filter_criteria: { filter: [{ pattern: '{"eventName":["INSERT"]}' }] },
      });
      expect(mapping.event_source_arn).toMatch(/aws_dynamodb_table\..*\.stream_arn/);
      expect(mapping.destination_config.on_failure.destination_arn).toBe('${aws_sqs_queue.stream-failures.arn}');
      expect(r.aws_sqs_queue['stream-failures'].sqs_managed_sse_enabled).toBe(true);
    });

    it('grants each function exactly its actions on exactly its resources', () => {
      const json = dev('questions');
      expect(ownStatements(json, 'mysfits-dev-post-question')).toEqual([
        [['dynamodb:PutItem'], [expect.stringMatching(/^\$\{aws_dynamodb_table\.[^.]+\.arn\}$/)]],
      ]);
      expect(ownStatements(json, 'mysfits-dev-process-questions-stream')).toEqual([
        [
          ['dynamodb:DescribeStream', 'dynamodb:GetRecords', 'dynamodb:GetShardIterator', 'dynamodb:ListStreams'],
          [expect.stringMatching(/\.stream_arn\}$/)],
        ],
        [['sns:Publish'], ['${aws_sns_topic.topic.arn}']],
        [['dynamodb:UpdateItem'], [expect.stringMatching(/^\$\{aws_dynamodb_table\.[^.]+\.arn\}$/)]],
        [['sqs:SendMessage'], ['${aws_sqs_queue.stream-failures.arn}']],
      ]);
    });

    it('deletes questions after the configured retention (TTL) and tells post-question the period', () => {
      const r = dev('questions').resource;
      const table = one(r.aws_dynamodb_table);
      expect(table.ttl).toEqual({ attribute_name: 'ExpiresAt', enabled: true });
      const fn = one(r.aws_lambda_function, (f) => f.function_name === 'mysfits-dev-post-question');
      expect(fn.environment.variables.QUESTION_RETENTION_DAYS).toBe('90');
      const stream = one(r.aws_lambda_function, (f) => f.function_name === 'mysfits-dev-process-questions-stream');
      expect(stream.environment.variables.QUESTIONS_TABLE_NAME).toBe(fn.environment.variables.QUESTIONS_TABLE_NAME);
    });

    it('has an encrypted, traced topic only the stream function may publish to, over TLS, e-mail subscribed', () => {
      const json = dev('questions');
      expect(devSynthesized('questions')).toHaveResourceWithProperties(SnsTopic, {
        name: names.topic('dev'),
        kms_master_key_id: 'alias/aws/sns',
        tracing_config: 'Active',
      });
      expect(devSynthesized('questions')).toHaveResourceWithProperties(SnsTopicSubscription, {
        topic_arn: '${aws_sns_topic.topic.arn}',
        protocol: 'email',
        endpoint: 'mysfits-dev-questions@example.com',
      });
      const statements = documentOf(json, json.resource.aws_sns_topic_policy['topic-policy'].policy);
      const streamRole = expect.stringMatching(/process-questions-stream_role.*\.arn\}$/);
      expect(statements).toEqual(
        expect.arrayContaining([
          expect.objectContaining({
            actions: ['sns:Publish'],
            principals: [{ type: 'AWS', identifiers: [streamRole] }],
          }),
          expect.objectContaining({
            effect: 'Deny',
            condition: [{ test: 'ArnNotEquals', variable: 'aws:PrincipalArn', values: [streamRole] }],
          }),
          expect.objectContaining({
            effect: 'Deny',
            condition: [{ test: 'Bool', variable: 'aws:SecureTransport', values: ['false'] }],
          }),
        ]),
      );
    });

    it('switches the hanging exception off unless configured', () => {
      expect(devSynthesized('questions')).toHaveResourceWithProperties(LambdaFunction, {
        function_name: 'mysfits-dev-post-question',
        environment: {
          variables: expect.objectContaining({
            HANGING_EXCEPTION_RATE: '0',
            ALLOWED_ORIGIN: expect.stringMatching(WEBSITE_ORIGIN),
          }),
        },
      });
    });

    it('limits POST /questions per source IP with a WAF rate-based rule on the stage where configured (prod)', () => {
      expect(devSynthesized('questions')).not.toHaveResource(Wafv2WebAcl);
      const prod = stack(stackName('prod', 'questions'));
      const acl = one(prod.resource.aws_wafv2_web_acl);
      expect(acl).toMatchObject({ scope: 'REGIONAL', default_action: { allow: {} } });
      const [rule] = acl.rule;
      expect(rule.statement.rate_based_statement).toMatchObject({
        limit: 100,
        evaluation_window_sec: 300,
        aggregate_key_type: 'IP',
        scope_down_statement: { byte_match_statement: { search_string: 'POST', field_to_match: { method: {} } } },
      });
      expect(rule.action.block.custom_response).toMatchObject({
        response_code: 429,
        custom_response_body_key: acl.custom_response_body[0].key,
      });
      expect(JSON.parse(acl.custom_response_body[0].content)).toEqual(RATE_LIMITED_RESPONSE.body);
      const association = one(prod.resource.aws_wafv2_web_acl_association);
      expect(association.resource_arn).toMatch(/^\$\{aws_api_gateway_stage\.[^.]+\.arn\}$/);
      expect(association.web_acl_arn).toBe('${aws_wafv2_web_acl.questions-rate-limit.arn}');
    });
  });

  describe('clickstream stack', () => {
    it('delivers to a versioned, encrypted, private, TLS-only bucket through two processors', () => {
      const json = dev('clickstream');
      const r = json.resource;
      const stream = one(r.aws_kinesis_firehose_delivery_stream);
      expect(stream).toMatchObject({
        name: 'mysfits-dev-clicks',
        destination: 'extended_s3',
        server_side_encryption: { enabled: true },
      });
      const s3 = stream.extended_s3_configuration;
      expect(s3).toMatchObject({
        prefix: CLICKS_DELIVERY.prefix,
        error_output_prefix: CLICKS_DELIVERY.errorOutputPrefix,
        buffering_interval: CLICKS_DELIVERY.bufferingIntervalSeconds,
        buffering_size: CLICKS_DELIVERY.bufferingSizeMb,
        cloudwatch_logging_options: { enabled: true },
      });
      expect(s3.bucket_arn).toMatch(/aws_s3_bucket\.clicks-bucket.*\.arn/);
      const processors = s3.processing_configuration.processors;
      expect(processors.map((p: any) => p.type)).toEqual(['Lambda', 'AppendDelimiterToRecord']);
      // Only the function: buffering parameters equal to Firehose's defaults would never be stored (a diff in every
      // plan).
      expect(processors[0].parameters).toEqual([
        { parameter_name: 'LambdaArn', parameter_value: expect.stringMatching(/process-clicks_function.*\.arn\}$/) },
      ]);
      expect(processors[1].parameters).toEqual([{ parameter_name: 'Delimiter', parameter_value: '\\n' }]);
      expect(one(r.aws_s3_bucket_versioning).versioning_configuration.status).toBe('Enabled');
      expect(one(r.aws_s3_bucket_public_access_block).restrict_public_buckets).toBe(true);
      expect(
        one(r.aws_s3_bucket_server_side_encryption_configuration).rule[0].apply_server_side_encryption_by_default
          .sse_algorithm,
      ).toBe('aws:kms');
    });

    it('lets Firehose and API Gateway do only their part, and process-clicks nothing beyond logs and traces', () => {
      const json = dev('clickstream');
      const docs = json.data.aws_iam_policy_document;
      expect(docs['firehose-permissions'].statement.map((s: any) => [s.actions, s.resources])).toEqual([
        [
          [
            's3:AbortMultipartUpload',
            's3:GetBucketLocation',
            's3:GetObject',
            's3:ListBucket',
            's3:ListBucketMultipartUploads',
            's3:PutObject',
          ],
          [expect.stringMatching(/clicks-bucket.*\.arn\}$/), expect.stringMatching(/clicks-bucket.*\.arn\}\/\*$/)],
        ],
        [
          ['lambda:InvokeFunction', 'lambda:GetFunctionConfiguration'],
          [
            expect.stringMatching(/process-clicks_function.*\.arn\}$/),
            expect.stringMatching(/process-clicks_function.*\.arn\}:\*$/),
          ],
        ],
        [
          ['logs:PutLogEvents'],
          [expect.stringMatching(/firehose-logs\.arn\}:log-stream:\$\{aws_cloudwatch_log_stream/)],
        ],
      ]);
      expect(docs['apigateway-firehose-permissions'].statement.map((s: any) => [s.actions, s.resources])).toEqual([
        [['firehose:PutRecord'], ['${aws_kinesis_firehose_delivery_stream.delivery-stream.arn}']],
      ]);
      expect(ownStatements(json, 'mysfits-dev-process-clicks')).toEqual([]);
    });

    it('gives process-clicks the mysfits API URL through a cross-stack reference', () => {
      expect(devSynthesized('clickstream')).toHaveResourceWithProperties(LambdaFunction, {
        function_name: names.function('dev', 'processClicks'),
        environment: {
          variables: expect.objectContaining({
            MYSFITS_API_URL: expect.stringMatching(
              /terraform_remote_state\.cross-stack-reference-input-mysfits-dev-mysfits\.outputs\./,
            ),
          }),
        },
      });
    });

    it('validates PUT /clicks against the click model and maps it to firehose:PutRecord', () => {
      const r = dev('clickstream').resource;
      const model = one(r.aws_api_gateway_model);
      expect(JSON.parse(model.schema)).toEqual(CLICK_REQUEST_SCHEMA);
      expect(one(r.aws_api_gateway_request_validator).validate_request_body).toBe(true);
      const put = one(r.aws_api_gateway_method, (m) => m.http_method === 'PUT');
      expect(put.request_validator_id).toMatch(/aws_api_gateway_request_validator/);
      expect(put.request_models).toEqual({
        'application/json': expect.stringMatching(/aws_api_gateway_model\..*\.name/),
      });
      const integration = r.aws_api_gateway_integration['clicks-integration'];
      expect(integration).toMatchObject({
        type: 'AWS',
        integration_http_method: 'POST',
        passthrough_behavior: 'NEVER',
      });
      expect(integration.uri).toMatch(/:apigateway:eu-west-1:firehose:action\/PutRecord$/);
      expect(
        JSON.parse(
          integration.request_templates['application/json'].replace('$util.base64Encode($input.body)', 'BODY'),
        ),
      ).toEqual({
        DeliveryStreamName: 'mysfits-dev-clicks',
        Record: { Data: 'BODY' },
      });
    });
  });

  describe('mysfits stack', () => {
    it('seeds the 12 mysfits into an encrypted table', () => {
      const r = dev('mysfits').resource;
      expect(one(r.aws_dynamodb_table)).toMatchObject({
        name: 'mysfits-dev-mysfits',
        hash_key: 'MysfitId',
        server_side_encryption: { enabled: true },
      });
      const items = values(r.aws_dynamodb_table_item).map((i) => JSON.parse(i.item));
      expect(items).toHaveLength(12);
      expect(items.map((i) => i.Name.S).sort()).toEqual(mysfits.map((m) => m.Name).sort());
      const evangeline = items.find((i) => i.Name.S === 'Evangeline');
      expect(evangeline).toMatchObject({ Species: { S: 'Chimera' }, Age: { N: '43' }, Adopted: { BOOL: false } });
      expect(Object.keys(evangeline).sort()).toEqual([
        'Adopted',
        'Age',
        'Description',
        'GoodEvil',
        'LawChaos',
        'Likes',
        'MysfitId',
        'Name',
        'ProfileImageUri',
        'Species',
        'ThumbImageUri',
      ]);
    });

    it('serves GET /mysfits and GET /mysfits/{mysfitId} from a read-only function', () => {
      const json = dev('mysfits');
      const gets = values(json.resource.aws_api_gateway_method).filter((m) => m.http_method === 'GET');
      expect(gets).toHaveLength(2);
      expect(
        values(json.resource.aws_lambda_permission)
          .map((p) => p.source_arn.split('}')[1])
          .sort(),
      ).toEqual(['/*/GET/mysfits', '/*/GET/mysfits/*']);
      expect(ownStatements(json, 'mysfits-dev-mysfits-api')).toEqual([
        [['dynamodb:GetItem', 'dynamodb:Scan'], [expect.stringMatching(/^\$\{aws_dynamodb_table\.[^.]+\.arn\}$/)]],
      ]);
    });
  });

  describe('website stacks (hosting before the APIs, content last)', () => {
    it('serves a private bucket through CloudFront OAC over HTTPS with security headers', () => {
      const json = dev('website');
      const r = json.resource;
      const distribution = one(r.aws_cloudfront_distribution);
      expect(distribution.default_root_object).toBe('index.html');
      expect(distribution.default_cache_behavior.viewer_protocol_policy).toBe('redirect-to-https');
      expect(distribution.default_cache_behavior.response_headers_policy_id).toMatch(
        /aws_cloudfront_response_headers_policy/,
      );
      expect(distribution.origin[0].origin_access_control_id).toMatch(/aws_cloudfront_origin_access_control/);
      expect(devSynthesized('website')).toHaveResourceWithProperties(CloudfrontOriginAccessControl, {
        origin_access_control_origin_type: 's3',
        signing_behavior: 'always',
        signing_protocol: 'sigv4',
      });
      const headers = one(r.aws_cloudfront_response_headers_policy).security_headers_config;
      expect(headers.strict_transport_security.access_control_max_age_sec).toBeGreaterThan(31536000);
      expect(headers.frame_options.frame_option).toBe('DENY');
      expect(one(r.aws_s3_bucket_public_access_block).block_public_policy).toBe(true);
      const policy = documentOf(json, one(r.aws_s3_bucket_policy).policy);
      expect(policy).toContainEqual(
        expect.objectContaining({
          actions: ['s3:GetObject'],
          principals: [{ type: 'Service', identifiers: ['cloudfront.amazonaws.com'] }],
          condition: [
            {
              test: 'StringEquals',
              variable: 'AWS:SourceArn',
              values: [expect.stringMatching(/aws_cloudfront_distribution\..*\.arn/)],
            },
          ],
        }),
      );
    });

    it('serves the *.cloudfront.net name with its default certificate when no domain is configured', () => {
      const distribution = one(dev('website').resource.aws_cloudfront_distribution);
      expect(distribution.aliases).toBeUndefined();
      expect(distribution.viewer_certificate).toEqual({ cloudfront_default_certificate: true });
      expect(devSynthesized('website')).not.toHaveResource(S3Object);
    });

    it('uploads the website with content types and cache lifetimes, and writes config.json from the endpoints', () => {
      const json = dev('website-content');
      const objects = values(json.resource.aws_s3_object);
      expect(
        objects.every((o) =>
          /^\$\{data\.terraform_remote_state\.cross-stack-reference-input-mysfits-dev-website\.outputs\./.test(
            o.bucket,
          ),
        ),
      ).toBe(true);
      const index = objects.find((o) => o.key === 'index.html');
      expect(index).toMatchObject({ content_type: 'text/html; charset=utf-8', cache_control: CACHE_CONTROL.page });
      const script = objects.find((o) => /^app\.[0-9a-f]{10}\.js$/.test(o.key));
      expect(script).toMatchObject({ cache_control: CACHE_CONTROL.hashed });
      expect(objects.find((o) => o.key === 'app.js')).toBeUndefined();
      expect(index.source).toMatch(/^assets\//);
      expect(index.source_hash).toBeTruthy();
      const config = objects.find((o) => o.key === 'config.json');
      expect(config).toMatchObject({ content_type: 'application/json', cache_control: CACHE_CONTROL.page });
      for (const [key, producer] of [
        ['mysfitsApiEndpoint', 'mysfits'],
        ['questionsApiEndpoint', 'questions'],
        ['streamingApiEndpoint', 'clickstream'],
      ]) {
        expect(config.content).toMatch(
          new RegExp(
            `"${key}" = ` +
              `data\\.terraform_remote_state\\.cross-stack-reference-input-mysfits-dev-${producer}\\.outputs\\.`,
          ),
        );
      }
      expect(dev('website').output[OUTPUTS.websiteUrl].value).toMatch(
        /^https:\/\/\$\{aws_cloudfront_distribution\..*\.domain_name\}$/,
      );
    });
  });
});

describe('questions stack with replay roles configured', () => {
  it('lets those roles publish to the topic, besides the stream function, and nobody else', () => {
    const dev = loadEnvironments().find((e) => e.name === 'dev')!;
    const replayer = 'arn:aws:iam::123456789012:role/mysfits-dev-replay';
    const app = Testing.app();
    const stack = new QuestionsStack(
      app,
      { name: 'dev', config: { ...dev.config, questionReplayRoleArns: [replayer] } },
      {
        allowedOrigin: 'https://d111111abcdef8.cloudfront.net',
      },
    );
    const json = JSON.parse(Testing.synth(stack));
    const policy = Object.values(json.resource.aws_sns_topic_policy as Record<string, any>)[0].policy as string;
    const id = /data\.aws_iam_policy_document\.([^.]+)\.json/.exec(policy)![1];
    const statements = json.data.aws_iam_policy_document[id].statement;
    const streamRole = expect.stringMatching(/process-questions-stream_role.*\.arn\}$/);
    expect(statements).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          actions: ['sns:Publish'],
          principals: [{ type: 'AWS', identifiers: [streamRole, replayer] }],
        }),
        expect.objectContaining({
          effect: 'Deny',
          condition: [{ test: 'ArnNotEquals', variable: 'aws:PrincipalArn', values: [streamRole, replayer] }],
        }),
      ]),
    );
  });
});
