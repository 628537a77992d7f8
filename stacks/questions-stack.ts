/**
 * The questions service: `POST /questions` -> post-question -> the questions table, whose `NEW_IMAGE` stream
 * feeds process-questions-stream (bisect on error, bounded retries, partial batch failures, and an encrypted
 * on-failure queue so no question is lost), which e-mails each question through an encrypted, traced SNS topic
 * that only it may publish to.
 */
import { TerraformOutput } from 'cdktf';
import type { Construct } from 'constructs';
import { LambdaEventSourceMapping } from '@cdktf/provider-aws/lib/lambda-event-source-mapping';
import { SnsTopicSubscription } from '@cdktf/provider-aws/lib/sns-topic-subscription';
import type { ApiGatewayStage } from '@cdktf/provider-aws/lib/api-gateway-stage';
import { Wafv2WebAcl } from '@cdktf/provider-aws/lib/wafv2-web-acl';
import { Wafv2WebAclAssociation } from '@cdktf/provider-aws/lib/wafv2-web-acl-association';
import type { Environment } from '../config/load';
import type { EnvironmentConfig } from '../config/schema';
import { ENV, names, OUTPUTS, QUESTIONS_STREAM_MAPPING, RATE_LIMITED_RESPONSE } from '../system/definition';
import { allow } from './constructs/policy-statements';
import { SecureQueue } from './constructs/secure-queue';
import { SecureTable } from './constructs/secure-table';
import { SecureTopic } from './constructs/secure-topic';
import { TracedFunction } from './constructs/traced-function';
import { TracedRestApi } from './constructs/traced-rest-api';
import { EnvironmentStack } from './environment-stack';
import type { ApiStackProps } from './mysfits-stack';

export class QuestionsStack extends EnvironmentStack {
  readonly table: SecureTable;
  readonly topic: SecureTopic;
  readonly failureQueue: SecureQueue;
  readonly postQuestion: TracedFunction;
  readonly processStream: TracedFunction;
  readonly streamMapping: LambdaEventSourceMapping;
  readonly api: TracedRestApi;
  readonly apiUrl: string;
  readonly rateLimit?: Wafv2WebAcl;

  constructor(scope: Construct, env: Environment, props: ApiStackProps) {
    super(scope, 'questions', env);
    const { config } = env;
    this.table = new SecureTable(this, 'table', { env: env.name, table: 'questions' });
    const table = this.table.table;

    this.postQuestion = new TracedFunction(this, 'post-question', {
      fn: 'postQuestion',
      environment: {
        [ENV.questionsTableName]: table.name,
        [ENV.allowedOrigin]: props.allowedOrigin,
        [ENV.hangingExceptionRate]: String(config.hangingException.enabled ? config.hangingException.rate : 0),
        [ENV.hangingExceptionDelayMs]: String(config.hangingException.delayMs),
        [ENV.questionRetentionDays]: String(config.questionRetentionDays),
      },
      statements: [allow(['dynamodb:PutItem'], [table.arn], 'StoreQuestion')],
    });

    // Encrypted with the AWS-managed key, TLS only; who may publish is added below, once the publisher exists.
    this.topic = new SecureTopic(this, 'topic', {
      name: names.topic(env.name),
      displayName: 'Mythical Mysfits questions',
      tracingConfig: 'Active',
    });
    // SSE-SQS, TLS only; the stream function's role sends to it through its IAM policy.
    this.failureQueue = new SecureQueue(this, 'stream-failures', {
      name: names.streamFailureQueue(env.name),
      // The longest SQS keeps a message: time to replay a question that could not be e-mailed.
      messageRetentionSeconds: 14 * 24 * 3600,
    });

    this.processStream = new TracedFunction(this, 'process-questions-stream', {
      fn: 'processQuestionsStream',
      environment: {
        [ENV.questionsTopicArn]: this.topic.arn,
        [ENV.questionsTableName]: table.name,
      },
      statements: [
        allow(
          ['dynamodb:DescribeStream', 'dynamodb:GetRecords', 'dynamodb:GetShardIterator', 'dynamodb:ListStreams'],
          [table.streamArn],
          'ReadQuestionsStream',
        ),
        allow(['sns:Publish'], [this.topic.arn], 'EmailQuestions'),
        // Conditional writes that mark a question as notified, so a retried batch does not e-mail it twice.
        allow(['dynamodb:UpdateItem'], [table.arn], 'MarkQuestionsNotified'),
        allow(['sqs:SendMessage'], [this.failureQueue.arn], 'KeepFailedBatches'),
      ],
    });

    const streamRole = this.processStream.role.arn;
    // The stream function publishes; so may the roles that run `npm run replay-questions`, if configured.
    const publishers = [streamRole, ...config.questionReplayRoleArns];
    this.topic.addToPolicy(
      {
        sid: 'StreamFunctionPublishes',
        actions: ['sns:Publish'],
        resources: [this.topic.arn],
        principals: [{ type: 'AWS', identifiers: publishers }],
      },
      {
        sid: 'OnlyStreamFunctionPublishes',
        effect: 'Deny',
        actions: ['sns:Publish'],
        resources: [this.topic.arn],
        principals: [{ type: '*', identifiers: ['*'] }],
        condition: [{ test: 'ArnNotEquals', variable: 'aws:PrincipalArn', values: publishers }],
      },
    );
    new SnsTopicSubscription(this, 'email', {
      topicArn: this.topic.arn,
      protocol: 'email',
      endpoint: config.notificationEmail,
    });

    const mapping = QUESTIONS_STREAM_MAPPING;
    this.streamMapping = new LambdaEventSourceMapping(this, 'stream-mapping', {
      eventSourceArn: table.streamArn,
      functionName: this.processStream.function.arn,
      startingPosition: mapping.startingPosition,
      batchSize: mapping.batchSize,
      maximumBatchingWindowInSeconds: mapping.maximumBatchingWindowInSeconds,
      bisectBatchOnFunctionError: mapping.bisectBatchOnFunctionError,
      maximumRetryAttempts: mapping.maximumRetryAttempts,
      maximumRecordAgeInSeconds: mapping.maximumRecordAgeInSeconds,
      functionResponseTypes: [...mapping.functionResponseTypes],
      filterCriteria: { filter: mapping.filterPatterns.map((pattern) => ({ pattern })) },
      destinationConfig: { onFailure: { destinationArn: this.failureQueue.arn } },
    });

    this.api = new TracedRestApi(this, 'api', {
      api: 'questions',
      description: 'Mythical Mysfits customer questions',
      allowedOrigin: props.allowedOrigin,
    });
    this.api.addLambdaRoutes({ postQuestion: this.postQuestion.function });
    const { stage, url } = this.api.deploy();
    this.apiUrl = url;
    if (config.questionsRateLimit.enabled) {
      this.rateLimit = questionsRateLimit(this, env.name, stage, config.questionsRateLimit, props.allowedOrigin);
    }

    new TerraformOutput(this, OUTPUTS.questionsApiEndpoint, { value: this.apiUrl });
    new TerraformOutput(this, OUTPUTS.questionsTableName, { value: table.name });
  }
}

/**
 * Per-client limit on POST /questions: a regional AWS WAF web ACL on the questions stage whose rate-based rule
 * counts each source IP's POST requests over the window and answers 429 with a JSON message (and the CORS
 * header, so the website can show it) while the IP is over the limit
 * (https://registry.terraform.io/providers/hashicorp/aws/latest/docs/resources/wafv2_web_acl,
 * https://docs.aws.amazon.com/waf/latest/developerguide/waf-rule-statement-type-rate-based.html,
 * https://docs.aws.amazon.com/waf/latest/developerguide/customizing-the-response-for-blocked-requests.html).
 */
function questionsRateLimit(
  scope: QuestionsStack,
  env: string,
  stage: ApiGatewayStage,
  limit: EnvironmentConfig['questionsRateLimit'],
  allowedOrigin: string,
): Wafv2WebAcl {
  const name = `${names.prefix(env)}-questions-rate-limit`;
  const metrics = (metricName: string) => ({
    cloudwatchMetricsEnabled: true,
    metricName,
    sampledRequestsEnabled: true,
  });
  const bodyKey = 'rate-limited';
  const acl = new Wafv2WebAcl(scope, 'questions-rate-limit', {
    name,
    description: 'POST /questions: at most the configured number of requests per source IP and window',
    scope: 'REGIONAL',
    defaultAction: { allow: {} },
    // JSON, like every other refusal of the APIs.
    customResponseBody: [
      { key: bodyKey, content: JSON.stringify(RATE_LIMITED_RESPONSE.body), contentType: 'APPLICATION_JSON' },
    ],
    rule: [
      {
        name: 'post-questions-per-ip',
        priority: 0,
        action: {
          block: {
            customResponse: {
              responseCode: RATE_LIMITED_RESPONSE.statusCode,
              customResponseBodyKey: bodyKey,
              responseHeader: [{ name: 'Access-Control-Allow-Origin', value: allowedOrigin }],
            },
          },
        },
        // The provider types `statement` loosely (it nests too deep to generate), so it is written in Terraform's names.
        statement: {
          rate_based_statement: {
            limit: limit.limit,
            evaluation_window_sec: limit.windowSeconds,
            aggregate_key_type: 'IP',
            // Only POSTs count: preflights (OPTIONS) of the same visitor do not use up the limit.
            scope_down_statement: {
              byte_match_statement: {
                search_string: 'POST',
                positional_constraint: 'EXACTLY',
                field_to_match: { method: {} },
                text_transformation: [{ priority: 0, type: 'NONE' }],
              },
            },
          },
        },
        visibilityConfig: metrics(`${name}-post-questions-per-ip`),
      },
    ],
    visibilityConfig: metrics(name),
  });
  new Wafv2WebAclAssociation(scope, 'questions-rate-limit-association', { resourceArn: stage.arn, webAclArn: acl.arn });
  return acl;
}
