/**
 * Per-environment tracing settings: the X-Ray sampling rule (reservoir and rate from configuration, matching
 * only this environment's services) and, where this environment manages it, API Gateway's account-level
 * CloudWatch role that stage access and execution logging need.
 */
import { TerraformOutput } from 'cdktf';
import type { Construct } from 'constructs';
import { ApiGatewayAccount } from '@cdktf/provider-aws/lib/api-gateway-account';
import { DataAwsIamPolicyDocument } from '@cdktf/provider-aws/lib/data-aws-iam-policy-document';
import { IamRole } from '@cdktf/provider-aws/lib/iam-role';
import { IamRolePolicy } from '@cdktf/provider-aws/lib/iam-role-policy';
import { XraySamplingRule } from '@cdktf/provider-aws/lib/xray-sampling-rule';
import type { Environment } from '../config/load';
import { names, OUTPUTS } from '../system/definition';
import { allow, assumeRolePolicy } from './constructs/policy-statements';
import { EnvironmentStack } from './environment-stack';

export class TracingStack extends EnvironmentStack {
  readonly samplingRule: XraySamplingRule;

  constructor(scope: Construct, env: Environment) {
    super(scope, 'tracing', env);
    const { sampling } = env.config;
    this.samplingRule = new XraySamplingRule(this, 'sampling-rule', {
      ruleName: names.prefix(env.name),
      // Lower than the default rule's 10000, so it wins for this environment's services.
      priority: 1000,
      reservoirSize: sampling.reservoirSize,
      fixedRate: sampling.fixedRate,
      serviceName: `${names.prefix(env.name)}-*`,
      serviceType: '*',
      host: '*',
      httpMethod: '*',
      urlPath: '*',
      resourceArn: '*',
      version: 1,
    });

    if (env.config.manageApiGatewayAccount) this.apiGatewayCloudWatchRole();

    new TerraformOutput(this, OUTPUTS.region, { value: this.region });
  }

  /** One per account and region: API Gateway writes stage logs with this role. */
  private apiGatewayCloudWatchRole(): void {
    const role = new IamRole(this, 'apigateway-cloudwatch-role', {
      name: `${names.prefix(this.env.name)}-apigateway-cloudwatch`,
      assumeRolePolicy: assumeRolePolicy(this, 'apigateway-trust', 'apigateway.amazonaws.com', this.accountId).json,
    });
    const logGroups = `arn:${this.partition}:logs:${this.region}:${this.accountId}:log-group:*`;
    const permissions = new DataAwsIamPolicyDocument(this, 'apigateway-cloudwatch-permissions', {
      statement: [
        // API Gateway names execution log groups after the API id, so it needs the region's log groups.
        allow(
          ['logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:DescribeLogGroups', 'logs:DescribeLogStreams', 'logs:PutLogEvents', 'logs:GetLogEvents', 'logs:FilterLogEvents'],
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
    new ApiGatewayAccount(this, 'apigateway-account', { cloudwatchRoleArn: role.arn, dependsOn: [policy] });
  }
}
