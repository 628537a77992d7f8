/**
 * Per-environment tracing settings: the X-Ray sampling rule (reservoir and rate from configuration, matching
 * only this environment's services). It decides for the API Gateway stages; a Lambda-started trace (the stream
 * and Firehose functions) follows Lambda's own sampling, not this rule. API Gateway's CloudWatch role is
 * account-wide, in the account stack.
 */
import { TerraformOutput } from 'cdktf';
import type { Construct } from 'constructs';
import { XraySamplingRule } from '@cdktf/provider-aws/lib/xray-sampling-rule';
import type { Environment } from '../config/load';
import { names, OUTPUTS } from '../system/definition';
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

    new TerraformOutput(this, OUTPUTS.region, { value: this.region });
  }
}
