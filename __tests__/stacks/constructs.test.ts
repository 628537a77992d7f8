/** The reusable constructs, each synthesized alone with `Testing.synthScope`. */
import { App, Testing, TerraformStack } from 'cdktf';
import type { Construct } from 'constructs';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ApiGatewayIntegration } from '@cdktf/provider-aws/lib/api-gateway-integration';
import { DataAwsIamPolicyDocument } from '@cdktf/provider-aws/lib/data-aws-iam-policy-document';
import { LambdaFunction } from '@cdktf/provider-aws/lib/lambda-function';
import { SnsTopic } from '@cdktf/provider-aws/lib/sns-topic';
import { SqsQueue } from '@cdktf/provider-aws/lib/sqs-queue';
import { SecureBucket } from '../../stacks/constructs/secure-bucket';
import { SecureQueue } from '../../stacks/constructs/secure-queue';
import { SecureTopic, SNS_TOPIC_ACTIONS } from '../../stacks/constructs/secure-topic';
import { TracedFunction, type TracedFunctionProps } from '../../stacks/constructs/traced-function';
import { TracedRestApi, type TracedRestApiProps } from '../../stacks/constructs/traced-rest-api';
import { allow } from '../../stacks/constructs/policy-statements';
import { EnvironmentStack } from '../../stacks/environment-stack';
import { loadEnvironment, type Environment } from '../../config/load';
import './cdktf-matchers';

const only = <T = any>(record: Record<string, T>): T => {
  const values = Object.values(record ?? {});
  expect(values).toHaveLength(1);
  return values[0];
};

let tmp: string;
beforeAll(() => (tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mysfits-constructs-'))));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function codeDir(name: string, source: string): string {
  const dir = path.join(tmp, name);
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'index.js'), source);
  return dir;
}

const functionProps = (dir: string): TracedFunctionProps => ({
  env: 'dev',
  fn: 'postQuestion',
  codeDir: dir,
  logRetentionDays: 14,
  statements: [allow(['dynamodb:PutItem'], ['arn:aws:dynamodb:eu-west-1:123456789012:table/questions'], 'Store')],
  environment: {
    QUESTIONS_TABLE_NAME: 'questions',
    ALLOWED_ORIGIN: 'https://www.example.com',
    HANGING_EXCEPTION_RATE: '0',
    HANGING_EXCEPTION_DELAY_MS: '5000',
    QUESTION_RETENTION_DAYS: '90',
    POWERTOOLS_SERVICE_NAME: 'post-question',
  },
});

const synthFunction = (props: TracedFunctionProps) =>
  JSON.parse(Testing.synthScope((scope) => void new TracedFunction(scope, 'fn', props)));

describe('TracedFunction', () => {
  it('is traced, named from the definition, with its own log group, role and least-privilege policy', () => {
    const json = synthFunction(functionProps(codeDir('a', 'exports.handler = async () => 1;')));
    const fn = only(json.resource.aws_lambda_function);
    expect(fn).toMatchObject({
      function_name: 'mysfits-dev-post-question',
      handler: 'index.handler',
      runtime: 'nodejs24.x',
      tracing_config: { mode: 'Active' },
      memory_size: 256,
      timeout: 10,
    });
    expect(Object.keys(fn.environment.variables).sort()).toEqual([
      'ALLOWED_ORIGIN',
      'HANGING_EXCEPTION_DELAY_MS',
      'HANGING_EXCEPTION_RATE',
      'POWERTOOLS_SERVICE_NAME',
      'QUESTIONS_TABLE_NAME',
      'QUESTION_RETENTION_DAYS',
    ]);
    expect(fn.filename).toMatch(/^assets\/.*\.zip$/);
    expect(only(json.resource.aws_cloudwatch_log_group)).toMatchObject({
      name: '/aws/lambda/mysfits-dev-post-question',
      retention_in_days: 14,
    });
    expect(fn.role).toMatch(/^\$\{aws_iam_role\..*\.arn\}$/);
    const statements = json.data.aws_iam_policy_document;
    const permissions = Object.entries<any>(statements).find(([id]) => id.includes('permissions'))![1].statement;
    expect(permissions.map((s: any) => [s.actions, s.resources])).toEqual([
      [
        ['logs:CreateLogStream', 'logs:PutLogEvents'],
        [expect.stringMatching(/^\$\{aws_cloudwatch_log_group\..*\.arn\}:\*$/)],
      ],
      [['xray:PutTraceSegments', 'xray:PutTelemetryRecords'], ['*']],
      [['dynamodb:PutItem'], ['arn:aws:dynamodb:eu-west-1:123456789012:table/questions']],
    ]);
    const trust = Object.entries<any>(statements).find(([id]) => id.includes('trust'))![1].statement[0];
    expect(trust.principals[0].identifiers).toEqual(['lambda.amazonaws.com']);
  });

  it('has a code hash that changes only when the code does', () => {
    const hashOf = (dir: string) =>
      only(synthFunction(functionProps(dir)).resource.aws_lambda_function).source_code_hash;
    const first = hashOf(codeDir('v1', 'exports.handler = async () => 1;'));
    expect(first).toMatch(/^[0-9A-F]{32}$/i);
    expect(hashOf(codeDir('v1-again', 'exports.handler = async () => 1;'))).toBe(first);
    expect(hashOf(codeDir('v2', 'exports.handler = async () => 2;'))).not.toBe(first);
  });

  it('refuses environment variables the definition does not list, and missing ones', () => {
    const dir = codeDir('env', 'exports.handler = async () => 1;');
    const props = functionProps(dir);
    expect(() => synthFunction({ ...props, environment: { ...props.environment, EXTRA: 'x' } })).toThrow(
      /post-question: environment must be exactly .*not allowed EXTRA/,
    );
    const { QUESTIONS_TABLE_NAME: _, ...missing } = props.environment;
    expect(() => synthFunction({ ...props, environment: missing })).toThrow(/missing QUESTIONS_TABLE_NAME/);
  });
});

describe('SecureBucket', () => {
  it('is versioned, encrypted, private, owner-enforced and TLS-only', () => {
    const synthesized = Testing.synthScope(
      (scope) => void new SecureBucket(scope, 'b', { bucketPrefix: 'clicks-', encryption: 'aws:kms' }),
    );
    const json = JSON.parse(synthesized);
    const r = json.resource;
    expect(only(r.aws_s3_bucket).bucket_prefix).toBe('clicks-');
    expect(only(r.aws_s3_bucket_versioning).versioning_configuration.status).toBe('Enabled');
    expect(only(r.aws_s3_bucket_server_side_encryption_configuration).rule[0]).toMatchObject({
      apply_server_side_encryption_by_default: { sse_algorithm: 'aws:kms' },
      bucket_key_enabled: true,
    });
    expect(only(r.aws_s3_bucket_public_access_block)).toMatchObject({
      block_public_acls: true,
      block_public_policy: true,
      ignore_public_acls: true,
      restrict_public_buckets: true,
    });
    expect(only(r.aws_s3_bucket_ownership_controls).rule.object_ownership).toBe('BucketOwnerEnforced');
    // The bucket's only policy statement.
    expect(synthesized).toHaveDataSourceWithProperties(DataAwsIamPolicyDocument, {
      statement: [
        expect.objectContaining({
          effect: 'Deny',
          actions: ['s3:*'],
          condition: [{ test: 'Bool', variable: 'aws:SecureTransport', values: ['false'] }],
        }),
      ],
    });
  });
});

describe('TracedRestApi', () => {
  const apiProps: TracedRestApiProps = {
    env: 'dev',
    api: 'questions',
    description: 'test',
    allowedOrigin: 'https://www.example.com',
    throttling: { rateLimit: 5, burstLimit: 10 },
    logRetentionDays: 7,
  };

  /** An API with a Lambda route and a custom integration whose template is given. */
  function synthApi(template: string, origin = apiProps.allowedOrigin) {
    return JSON.parse(
      Testing.synthScope((scope) => {
        const fn = new LambdaFunction(scope, 'fn', { functionName: 'f', role: 'r', tracingConfig: { mode: 'Active' } });
        const api = new TracedRestApi(scope, 'api', { ...apiProps, allowedOrigin: origin });
        api.addLambdaRoute('GET', '/mysfits/{mysfitId}', fn);
        const method = api.method('PUT', '/clicks');
        api.addMember(
          new ApiGatewayIntegration(scope, 'custom', {
            restApiId: api.restApi.id,
            resourceId: method.resourceId,
            httpMethod: 'PUT',
            type: 'MOCK',
            requestTemplates: { 'application/json': template },
          }),
        );
        api.deploy();
        void (scope as TerraformStack);
      }),
    );
  }

  it('wires each route of LAMBDA_ROUTES to the function it names, and refuses a function it was not given', () => {
    const routes = [
      { api: 'questions', method: 'POST', path: '/questions', function: 'postQuestion' },
      { api: 'questions', method: 'GET', path: '/questions/{id}', function: 'mysfitsApi' },
      { api: 'mysfits', method: 'GET', path: '/mysfits', function: 'mysfitsApi' },
    ] as const;
    const wire = (functions: string[]) =>
      Testing.synthScope((scope) => {
        const api = new TracedRestApi(scope, 'api', apiProps);
        const fns = Object.fromEntries(
          functions.map((key) => [
            key,
            new LambdaFunction(scope, key, { functionName: key, role: 'r', tracingConfig: { mode: 'Active' } }),
          ]),
        );
        api.addLambdaRoutes(fns, routes);
        api.deploy();
      });
    expect(() => wire(['postQuestion'])).toThrow(
      'GET /questions/{id} (questions API) names function mysfitsApi, which this stack does not wire (it wires: ' +
        'postQuestion)',
    );
    const r = JSON.parse(wire(['postQuestion', 'mysfitsApi'])).resource;
    // Only this API's routes, each integrated with its own function.
    expect(
      Object.values<any>(r.aws_api_gateway_integration)
        .filter((i) => i.type === 'AWS_PROXY')
        .map((i) => [i.http_method.replace(/_[0-9A-F]{8}\./, '.'), i.uri])
        .sort(),
    ).toEqual([
      ['${aws_api_gateway_method.api_get-questions-id.http_method}', '${aws_lambda_function.mysfitsApi.invoke_arn}'],
      ['${aws_api_gateway_method.api_post-questions.http_method}', '${aws_lambda_function.postQuestion.invoke_arn}'],
    ]);
  });

  it('has a traced, logged, throttled stage named after the environment', () => {
    const r = synthApi('{"statusCode": 200}').resource;
    expect(only(r.aws_api_gateway_rest_api).name).toBe('mysfits-dev-questions-api');
    const stage = only(r.aws_api_gateway_stage);
    expect(stage).toMatchObject({ stage_name: 'dev', xray_tracing_enabled: true });
    expect(stage.access_log_settings.destination_arn).toMatch(/aws_cloudwatch_log_group\..*access-logs.*\.arn/);
    expect(JSON.parse(stage.access_log_settings.format)).toHaveProperty('xrayTraceId', '$context.xrayTraceId');
    expect(only(r.aws_api_gateway_method_settings)).toMatchObject({
      method_path: '*/*',
      settings: { throttling_rate_limit: 5, throttling_burst_limit: 10 },
    });
    const logGroups = Object.values<any>(r.aws_cloudwatch_log_group).map((g) => [g.name, g.retention_in_days]);
    expect(logGroups).toEqual(expect.arrayContaining([['/aws/apigateway/mysfits-dev-questions-api/access', 7]]));
  });

  it('builds nested resources and scopes the Lambda permission to the method and path', () => {
    const json = synthApi('{}');
    const r = json.resource;
    expect(
      Object.values<any>(r.aws_api_gateway_resource)
        .map((x) => x.path_part)
        .sort(),
    ).toEqual(['clicks', 'mysfits', '{mysfitId}']);
    expect(JSON.stringify(json)).toHaveResourceWithProperties(ApiGatewayIntegration, {
      type: 'AWS_PROXY',
      integration_http_method: 'POST',
      uri: '${aws_lambda_function.fn.invoke_arn}',
    });
    expect(only(r.aws_lambda_permission)).toMatchObject({
      principal: 'apigateway.amazonaws.com',
      source_arn: expect.stringMatching(/^\$\{aws_api_gateway_rest_api\..*\.execution_arn\}\/\*\/GET\/mysfits\/\*$/),
    });
  });

  it('answers CORS preflights with the configured origin only', () => {
    const r = synthApi('{}').resource;
    const preflights = Object.values<any>(r.aws_api_gateway_integration_response);
    expect(preflights).toHaveLength(2);
    for (const p of preflights) {
      expect(p.response_parameters['method.response.header.Access-Control-Allow-Origin']).toBe(
        "'https://www.example.com'",
      );
    }
    expect(
      preflights.map((p) => p.response_parameters['method.response.header.Access-Control-Allow-Methods']).sort(),
    ).toEqual(["'GET,OPTIONS'", "'PUT,OPTIONS'"]);
    for (const g of Object.values<any>(r.aws_api_gateway_gateway_response)) {
      expect(g.response_parameters['gatewayresponse.header.Access-Control-Allow-Origin']).toBe(
        "'https://www.example.com'",
      );
    }
    expect(JSON.stringify(r)).not.toContain("'*'");
  });

  it('replaces the deployment when a template, method or origin changes, creating the new one first', () => {
    const deployment = (json: any) => only(json.resource.aws_api_gateway_deployment);
    const base = deployment(synthApi('{"a": 1}'));
    expect(base.lifecycle).toEqual({ create_before_destroy: true });
    expect(base.depends_on.length).toBeGreaterThanOrEqual(8);
    const trigger = base.triggers.redeployment;
    expect(trigger).toMatch(/^[0-9a-f]{64}$/);
    expect(deployment(synthApi('{"a": 1}')).triggers.redeployment).toBe(trigger);
    expect(deployment(synthApi('{"a": 2}')).triggers.redeployment).not.toBe(trigger);
    expect(deployment(synthApi('{"a": 1}', 'https://other.example.com')).triggers.redeployment).not.toBe(trigger);
  });
});

/** The one policy document a secure topic or queue synthesizes, and its resource. */
const TLS_ONLY = {
  sid: 'DenyInsecureTransport',
  effect: 'Deny',
  principals: [{ type: '*', identifiers: ['*'] }],
  condition: [{ test: 'Bool', variable: 'aws:SecureTransport', values: ['false'] }],
};

describe('SecureTopic', () => {
  const publish = (arn: string) => ({
    sid: 'Publishers',
    actions: ['sns:Publish'],
    resources: [arn],
    principals: [{ type: 'AWS', identifiers: ['arn:aws:iam::123456789012:role/p'] }],
  });

  it(
    'is encrypted with the AWS-managed key and its policy denies every ' +
      'topic action without TLS, after the added statements',
    () => {
      const synthesized = Testing.synthScope((scope) => {
        const topic = new SecureTopic(scope, 'questions', { name: 'q', tracingConfig: 'Active' });
        topic.addToPolicy(publish(topic.arn));
      });
      const json = JSON.parse(synthesized);
      expect(synthesized).toHaveResourceWithProperties(SnsTopic, {
        name: 'q',
        kms_master_key_id: 'alias/aws/sns',
        tracing_config: 'Active',
      });
      expect(json.resource.aws_sns_topic_policy['questions-policy']).toEqual({
        arn: '${aws_sns_topic.questions.arn}',
        policy: '${data.aws_iam_policy_document.questions-policy-document.json}',
      });
      const statements = json.data.aws_iam_policy_document['questions-policy-document'].statement;
      expect(statements.map((s: any) => s.sid)).toEqual(['Publishers', 'DenyInsecureTransport']);
      expect(statements[1]).toEqual({
        ...TLS_ONLY,
        actions: SNS_TOPIC_ACTIONS,
        resources: ['${aws_sns_topic.questions.arn}'],
      });
      expect(SNS_TOPIC_ACTIONS).toContain('sns:Publish');
    },
  );

  it('uses a customer key when given one', () => {
    const synthesized = Testing.synthScope(
      (scope) => void new SecureTopic(scope, 't', { name: 't', kmsKeyId: 'alias/mine' }),
    );
    expect(synthesized).toHaveResourceWithProperties(SnsTopic, { name: 't', kms_master_key_id: 'alias/mine' });
  });
});

describe('SecureQueue', () => {
  it('is SSE-SQS encrypted and its policy denies every SQS action without TLS, after the added statements', () => {
    const synthesized = Testing.synthScope((scope) => {
      const queue = new SecureQueue(scope, 'failures', { name: 'f', messageRetentionSeconds: 60 });
      queue.addToPolicy({
        sid: 'Senders',
        actions: ['sqs:SendMessage'],
        resources: [queue.arn],
        principals: [{ type: 'Service', identifiers: ['lambda.amazonaws.com'] }],
      });
    });
    const json = JSON.parse(synthesized);
    expect(synthesized).toHaveResourceWithProperties(SqsQueue, {
      name: 'f',
      sqs_managed_sse_enabled: true,
      message_retention_seconds: 60,
    });
    // Not both encryptions at once (the matchers cannot say an attribute is absent).
    expect(json.resource.aws_sqs_queue.failures.kms_master_key_id).toBeUndefined();
    expect(json.resource.aws_sqs_queue_policy['failures-policy']).toEqual({
      queue_url: '${aws_sqs_queue.failures.url}',
      policy: '${data.aws_iam_policy_document.failures-policy-document.json}',
    });
    const statements = json.data.aws_iam_policy_document['failures-policy-document'].statement;
    expect(statements.map((s: any) => s.sid)).toEqual(['Senders', 'DenyInsecureTransport']);
    expect(statements[1]).toEqual({ ...TLS_ONLY, actions: ['sqs:*'], resources: ['${aws_sqs_queue.failures.arn}'] });
  });

  it('uses SSE-KMS instead when given a key', () => {
    const json = JSON.parse(
      Testing.synthScope((scope) => void new SecureQueue(scope, 'q', { name: 'q', kmsKeyId: 'alias/aws/sqs' })),
    );
    const queue = json.resource.aws_sqs_queue.q;
    expect(queue.kms_master_key_id).toBe('alias/aws/sqs');
    expect(queue.sqs_managed_sse_enabled).toBeUndefined();
  });
});

describe('constructs inside an environment stack', () => {
  /** An environment whose settings differ from every value the tests above pass explicitly. */
  const environment = (): Environment => {
    const dev = loadEnvironment('dev');
    return {
      ...dev,
      name: 'qa',
      config: {
        ...dev.config,
        logRetentionDays: 3,
        tracing: 'opentelemetry',
        apiThrottling: { rateLimit: 7, burstLimit: 11 },
      },
    };
  };
  class ProbeStack extends EnvironmentStack {
    constructor(scope: Construct, env: Environment, build: (stack: ProbeStack) => void) {
      super(scope, 'questions', env);
      build(this);
    }
  }
  const synthIn = (build: (stack: ProbeStack) => void) =>
    JSON.parse(Testing.synth(new ProbeStack(Testing.app(), environment(), build)));

  it('give a function the environment name, log retention and service name of the stack', () => {
    const dir = codeDir('in-stack', 'exports.handler = async () => 1;');
    const { POWERTOOLS_SERVICE_NAME: _, ...withoutServiceName } = functionProps(dir).environment;
    const json = synthIn((stack) => {
      const { env: _env, logRetentionDays: _days, ...props } = functionProps(dir);
      new TracedFunction(stack, 'fn', { ...props, environment: withoutServiceName });
    });
    const fn = only<any>(json.resource.aws_lambda_function);
    expect(fn.function_name).toBe('mysfits-qa-post-question');
    expect(fn.environment.variables.POWERTOOLS_SERVICE_NAME).toBe('mysfits-qa-post-question');
    expect(only<any>(json.resource.aws_cloudwatch_log_group)).toMatchObject({
      name: '/aws/lambda/mysfits-qa-post-question',
      retention_in_days: 3,
    });
  });

  it('give an API the stage name, throttling and log retention of the stack', () => {
    const json = synthIn((stack) => {
      const api = new TracedRestApi(stack, 'api', {
        api: 'questions',
        description: 'test',
        allowedOrigin: 'https://www.example.com',
      });
      api.method('GET', '/ping');
      api.deploy();
    });
    expect(only<any>(json.resource.aws_api_gateway_stage).stage_name).toBe('qa');
    expect(only<any>(json.resource.aws_api_gateway_method_settings).settings).toMatchObject({
      throttling_rate_limit: 7,
      throttling_burst_limit: 11,
    });
    const retention = Object.values<any>(json.resource.aws_cloudwatch_log_group).map(
      (group) => group.retention_in_days,
    );
    expect(retention).toEqual([3, 3]);
  });

  it("let an explicit value override the stack's", () => {
    const dir = codeDir('override', 'exports.handler = async () => 1;');
    const json = synthIn(
      (stack) => void new TracedFunction(stack, 'fn', { ...functionProps(dir), logRetentionDays: 30 }),
    );
    expect(only<any>(json.resource.aws_cloudwatch_log_group).retention_in_days).toBe(30);
  });

  it('refuse to guess a setting outside an environment stack', () => {
    const dir = codeDir('outside', 'exports.handler = async () => 1;');
    const { logRetentionDays: _, ...props } = functionProps(dir);
    expect(() => new TracedFunction(new TerraformStack(new App(), 'plain'), 'fn', props)).toThrow(
      /post-question: no logRetentionDays/,
    );
  });
});
