/**
 * The state bucket(s) of every environment, on local state: run once per account before the application
 * stacks (`cdktf deploy mysfits-state-bootstrap`); the state file is `mysfits-state-bootstrap.tfstate` in the
 * project root. Versioned, encrypted, public access blocked, TLS only,
 * protected from `terraform destroy`.
 */
import * as path from 'node:path';
import { Aspects, LocalBackend, TerraformOutput, TerraformStack } from 'cdktf';
import type { Construct } from 'constructs';
import { AwsProvider } from '@cdktf/provider-aws/lib/provider';
import { REPO_ROOT } from '../build/bundle';
import type { Environment } from '../config/load';
import { BOOTSTRAP_STACK } from '../system/definition';
import { SecureBucket } from './constructs/secure-bucket';
import { PROJECT_TAG } from './environment-stack';
import { SecureDefaultsPolicy } from './policy/secure-defaults-policy';

/** The bootstrap stack's state: in the project root (gitignored), outside the output folder. */
export const BOOTSTRAP_STATE_FILE = path.join(REPO_ROOT, `${BOOTSTRAP_STACK}.tfstate`);

export class StateBootstrapStack extends TerraformStack {
  readonly buckets: SecureBucket[] = [];

  constructor(scope: Construct, environments: readonly Environment[]) {
    super(scope, BOOTSTRAP_STACK);
    // An absolute path (as cdktf's own default is): Terraform runs in cdktf.out/stacks/<stack>/, which every
    // synth may rewrite, so a relative path would keep the only copy of this state in a throwaway folder.
    new LocalBackend(this, { path: BOOTSTRAP_STATE_FILE });
    // One bucket per distinct (bucket, region) the environments name; one provider per region.
    const wanted = new Map<string, { bucket: string; region: string; envs: string[] }>();
    for (const { name, config } of environments) {
      const entry = wanted.get(config.state.bucket) ?? { ...config.state, envs: [] };
      if (entry.region !== config.state.region) {
        throw new Error(
          `config/${name}: state.region: bucket ${config.state.bucket} is in ${entry.region} for ${entry.envs.join(', ')}`,
        );
      }
      entry.envs.push(name);
      wanted.set(config.state.bucket, entry);
    }
    const providers = new Map<string, AwsProvider>();
    for (const { bucket, region, envs } of wanted.values()) {
      let provider = providers.get(region);
      if (!provider) {
        provider = new AwsProvider(this, `aws-${region}`, {
          region,
          alias: providers.size === 0 ? undefined : region,
          defaultTags: [{ tags: { Project: PROJECT_TAG, Stack: BOOTSTRAP_STACK, ManagedBy: 'cdktf' } }],
        });
        providers.set(region, provider);
      }
      const secure = new SecureBucket(this, `state-${bucket}`, {
        bucket,
        encryption: 'aws:kms',
        lifecycle: { preventDestroy: true },
      });
      secure.node.children.forEach((child) => {
        if ('provider' in child) (child as { provider?: AwsProvider }).provider = provider;
      });
      this.buckets.push(secure);
      new TerraformOutput(this, `state-bucket-${bucket}`, {
        value: secure.bucket.bucket,
        description: `state of ${envs.join(', ')}`,
      });
    }
    Aspects.of(this).add(new SecureDefaultsPolicy());
  }
}
