/**
 * Base of every application stack: one environment's AWS provider, the S3 state backend
 * (`<env>/<stack>.tfstate`, encrypted, S3-native locking), the secure-defaults policy aspect, and the
 * environment's settings that the constructs inside it read (`EnvironmentStack.settingsFor`).
 */
import { Aspects, S3Backend, TerraformStack } from 'cdktf';
import type { Construct, IConstruct } from 'constructs';
import type { TracingBackend } from '../build/tracing-backends';
import { AwsProvider } from '@cdktf/provider-aws/lib/provider';
import { DataAwsCallerIdentity } from '@cdktf/provider-aws/lib/data-aws-caller-identity';
import { DataAwsPartition } from '@cdktf/provider-aws/lib/data-aws-partition';
import type { Environment } from '../config/load';
import { stackName, type StackKey } from '../system/definition';
import { SecureDefaultsPolicy } from './policy/secure-defaults-policy';

export const PROJECT_TAG = 'mythical-mysfits';

/** What every traced function and API of one environment shares, from its configuration. */
export interface EnvironmentSettings {
  /** The environment's name (`dev`), which names its resources and its API stages. */
  readonly env: string;
  readonly logRetentionDays: number;
  /** Which build of the handlers is deployed. */
  readonly tracing: TracingBackend;
  readonly apiThrottling: { readonly rateLimit: number; readonly burstLimit: number };
}

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
      defaultTags: [{ tags: { Project: PROJECT_TAG, Environment: env.name, Stack: stackKey, ManagedBy: 'cdktf' } }],
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

  /** The environment stack a construct is in, if any. */
  static enclosing(construct: IConstruct): EnvironmentStack | undefined {
    return [...construct.node.scopes]
      .reverse()
      .find((scope): scope is EnvironmentStack => scope instanceof EnvironmentStack);
  }

  /**
   * The settings a construct uses: those of the environment stack it is in, each overridden by a value given
   * explicitly (a construct built outside an environment stack, e.g. alone in a test, must give what it needs).
   */
  static settingsFor(construct: IConstruct, given: Partial<EnvironmentSettings>): Partial<EnvironmentSettings> {
    const explicit = Object.fromEntries(Object.entries(given).filter(([, value]) => value !== undefined));
    return { ...EnvironmentStack.enclosing(construct)?.settings, ...explicit };
  }

  get settings(): EnvironmentSettings {
    const { config } = this.env;
    return {
      env: this.env.name,
      logRetentionDays: config.logRetentionDays,
      tracing: config.tracing,
      apiThrottling: config.apiThrottling,
    };
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

/** A setting the construct cannot do without: from its environment stack or given explicitly. */
export function requireSetting<K extends keyof EnvironmentSettings>(
  settings: Partial<EnvironmentSettings>,
  key: K,
  who: string,
): EnvironmentSettings[K] {
  const value = settings[key];
  if (value === undefined)
    throw new Error(`${who}: no ${key}; build it inside an EnvironmentStack or give ${key} explicitly`);
  return value as EnvironmentSettings[K];
}
