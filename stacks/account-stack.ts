/**
 * What AWS keeps once per account and region, shared by every environment there, in a stack of its own
 * (`mysfits-account-<region>`): API Gateway's CloudWatch role (`aws_api_gateway_account`) that stage logging
 * needs, and the X-Ray resource policy that lets SNS send the segments of actively traced topics.
 *
 * Deploy it once (it is listed first in each environment's deploy, a no-op after the first); never destroy it
 * while an environment of the region exists: destroying `aws_api_gateway_account` resets the account's
 * CloudWatch role setting, and every stage's logging with it. Destroying an environment leaves it alone.
 * Its state is in the environments' state bucket, key `account/<region>.tfstate`.
 */
import { Aspects, S3Backend, TerraformStack } from 'cdktf';
import type { Construct } from 'constructs';
import { ApiGatewayAccount } from '@cdktf/provider-aws/lib/api-gateway-account';
import { DataAwsCallerIdentity } from '@cdktf/provider-aws/lib/data-aws-caller-identity';
import { DataAwsIamPolicyDocument } from '@cdktf/provider-aws/lib/data-aws-iam-policy-document';
import { DataAwsPartition } from '@cdktf/provider-aws/lib/data-aws-partition';
import { IamRole } from '@cdktf/provider-aws/lib/iam-role';
import { IamRolePolicy } from '@cdktf/provider-aws/lib/iam-role-policy';
import { AwsProvider } from '@cdktf/provider-aws/lib/provider';
import { XrayResourcePolicy } from '@cdktf/provider-aws/lib/xray-resource-policy';
import { ConfigError, type Environment } from '../config/load';
import { accountStackName, names } from '../system/definition';
import { allow, assumeRolePolicy } from './constructs/policy-statements';
import { PROJECT_TAG } from './environment-stack';
import { SecureDefaultsPolicy } from './policy/secure-defaults-policy';

/** The environments of one region, grouped: they must agree on the account and the state bucket they share. */
export function environmentsByRegion(environments: readonly Environment[]): Map<string, Environment[]> {
  const byRegion = new Map<string, Environment[]>();
  for (const env of environments) byRegion.set(env.config.region, [...(byRegion.get(env.config.region) ?? []), env]);
  for (const [region, envs] of byRegion) {
    const [first, ...others] = envs;
    for (const other of others) {
      for (const [setting, value] of [
        ['accountId', (e: Environment) => e.config.accountId ?? '(none)'],
        ['state.bucket', (e: Environment) => e.config.state.bucket],
        ['state.region', (e: Environment) => e.config.state.region],
      ] as const) {
        if (value(other) !== value(first)) {
          throw new ConfigError(
            `config/${other.name}: ${setting}: ${value(other)} differs from config/${first.name}'s ${value(first)}; ` +
              `environments of one region share ${accountStackName(region)} (one per account and region), so they must agree`,
          );
        }
      }
    }
  }
  return byRegion;
}

export class AccountStack extends TerraformStack {
  readonly region: string;
  readonly apiGatewayAccount: ApiGatewayAccount;
  readonly xrayPolicy: XrayResourcePolicy;
  private readonly accountId: string;
  private readonly partition: string;

  /** `environments`: those of one region (see `environmentsByRegion`). */
  constructor(scope: Construct, region: string, environments: readonly Environment[]) {
    super(scope, accountStackName(region));
    this.region = region;
    const { accountId, state } = environments[0].config;
    new AwsProvider(this, 'aws', {
      region,
      allowedAccountIds: accountId ? [accountId] : undefined,
      defaultTags: [{ tags: { Project: PROJECT_TAG, Stack: 'account', ManagedBy: 'cdktf' } }],
    });
    new S3Backend(this, {
      bucket: state.bucket,
      key: `account/${region}.tfstate`,
      region: state.region,
      encrypt: true,
    });
    this.addOverride('terraform.backend.s3.use_lockfile', true);
    this.accountId = new DataAwsCallerIdentity(this, 'caller').accountId;
    this.partition = new DataAwsPartition(this, 'partition').partition;

    this.apiGatewayAccount = this.apiGatewayCloudWatchRole();
    this.xrayPolicy = this.snsTracingPolicy();
    Aspects.of(this).add(new SecureDefaultsPolicy());
  }

  /** One per account and region: API Gateway writes every stage's execution and access logs with this role. */
  private apiGatewayCloudWatchRole(): ApiGatewayAccount {
    const role = new IamRole(this, 'apigateway-cloudwatch-role', {
      // IAM is global: the region keeps the roles of two regions apart.
      name: `mysfits-apigateway-cloudwatch-${this.region}`,
      // AWS documents this role's trust policy without conditions, and does not say API Gateway sends
      // aws:SourceAccount/aws:SourceArn when it assumes it: a condition it does not send would make logging fail
      // (https://docs.aws.amazon.com/apigateway/latest/developerguide/set-up-logging.html).
      assumeRolePolicy: assumeRolePolicy(this, 'apigateway-trust', 'apigateway.amazonaws.com').json,
    });
    const logGroups = `arn:${this.partition}:logs:${this.region}:${this.accountId}:log-group:*`;
    const permissions = new DataAwsIamPolicyDocument(this, 'apigateway-cloudwatch-permissions', {
      statement: [
        // The actions of AWS's AmazonAPIGatewayPushToCloudWatchLogs, on this region's log groups only:
        // API Gateway names execution log groups after the API id.
        allow(
          [
            'logs:CreateLogGroup',
            'logs:CreateLogStream',
            'logs:DescribeLogGroups',
            'logs:DescribeLogStreams',
            'logs:PutLogEvents',
            'logs:GetLogEvents',
            'logs:FilterLogEvents',
          ],
          [logGroups],
          'StageLogs',
        ),
      ],
    });
    const policy = new IamRolePolicy(this, 'apigateway-cloudwatch-policy', {
      role: role.id,
      name: 'stage-logs',
      policy: permissions.json,
    });
    return new ApiGatewayAccount(this, 'apigateway-account', { cloudwatchRoleArn: role.arn, dependsOn: [policy] });
  }

  /**
   * SNS active tracing turned on through the API (not the console) needs an X-Ray resource policy that lets
   * sns.amazonaws.com send segments and read sampling rules, limited to this account's topics with
   * aws:SourceAccount and aws:SourceArn (https://docs.aws.amazon.com/xray/latest/devguide/xray-services-sns.html,
   * https://registry.terraform.io/providers/hashicorp/aws/latest/docs/resources/xray_resource_policy).
   * X-Ray has no resource-level permissions for these actions, hence `*`.
   */
  private snsTracingPolicy(): XrayResourcePolicy {
    const document = new DataAwsIamPolicyDocument(this, 'sns-tracing-policy-document', {
      statement: [
        {
          sid: 'SnsActiveTracing',
          effect: 'Allow',
          actions: ['xray:PutTraceSegments', 'xray:GetSamplingRules', 'xray:GetSamplingTargets'],
          resources: ['*'],
          principals: [{ type: 'Service', identifiers: ['sns.amazonaws.com'] }],
          condition: [
            { test: 'StringEquals', variable: 'aws:SourceAccount', values: [this.accountId] },
            {
              test: 'ArnLike',
              variable: 'aws:SourceArn',
              values: [`arn:${this.partition}:sns:${this.region}:${this.accountId}:${names.topic('*')}`],
            },
          ],
        },
      ],
    });
    return new XrayResourcePolicy(this, 'sns-tracing-policy', {
      policyName: `mysfits-sns-active-tracing-${this.region}`,
      policyDocument: document.json,
    });
  }
}
