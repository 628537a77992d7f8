/**
 * Base of every application stack: one environment's AWS provider, the S3 state backend
 * (`<env>/<stack>.tfstate`, encrypted, S3-native locking) and the secure-defaults policy aspect.
 */
import { Aspects, S3Backend, TerraformStack } from 'cdktf';
import type { Construct } from 'constructs';
import { AwsProvider } from '@cdktf/provider-aws/lib/provider';
import { DataAwsCallerIdentity } from '@cdktf/provider-aws/lib/data-aws-caller-identity';
import { DataAwsPartition } from '@cdktf/provider-aws/lib/data-aws-partition';
import type { Environment } from '../config/load';
import { stackName, type StackKey } from '../system/definition';
import { SecureDefaultsPolicy } from './policy/secure-defaults-policy';

export const PROJECT_TAG = 'mythical-mysfits';

export abstract class EnvironmentStack extends TerraformStack {
  readonly env: Environment;
  readonly stackKey: StackKey;
  private identity?: DataAwsCallerIdentity;
  private partitionData?: DataAwsPartition;

  protected constructor(scope: Construct, stackKey: StackKey, env: Environment) {
    super(scope, stackName(env.name, stackKey));
    this.env = env;
    this.stackKey = stackKey;
    const { config } = env;
    new AwsProvider(this, 'aws', {
      region: config.region,
      allowedAccountIds: config.accountId ? [config.accountId] : undefined,
      defaultTags: [
        { tags: { Project: PROJECT_TAG, Environment: env.name, Stack: stackKey, ManagedBy: 'cdktf' } },
      ],
    });
    new S3Backend(this, {
      bucket: config.state.bucket,
      key: `${env.name}/${stackKey}.tfstate`,
      region: config.state.region,
      encrypt: true,
    });
    // cdktf 0.21's S3BackendConfig predates S3-native locking (Terraform >= 1.10); no DynamoDB lock table needed.
    this.addOverride('terraform.backend.s3.use_lockfile', true);
    Aspects.of(this).add(new SecureDefaultsPolicy());
  }

  get accountId(): string {
    this.identity ??= new DataAwsCallerIdentity(this, 'caller');
    return this.identity.accountId;
  }

  get partition(): string {
    this.partitionData ??= new DataAwsPartition(this, 'partition');
    return this.partitionData.partition;
  }

  get region(): string {
    return this.env.config.region;
  }
}
