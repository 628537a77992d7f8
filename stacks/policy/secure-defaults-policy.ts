/**
 * Synth-time policy: a cdktf Aspect that stops synth, naming each offending resource, when the stack holds
 *  - a Lambda function without Active tracing, or a REST API stage without X-Ray tracing;
 *  - a bucket without server-side encryption or without a full public access block;
 *  - a DynamoDB table, SNS topic or SQS queue without encryption;
 *  - an IAM Allow statement with a wildcard action, or with the `*` resource for anything but X-Ray's actions.
 * It reads each resource's synthesized configuration (tokens resolved), so it judges what Terraform will get.
 * IAM is checked in `aws_iam_policy_document` data sources (the project's style) and in any literal JSON policy.
 * Deny statements may use wildcards (e.g. the TLS-only `s3:*` deny).
 */
import { TerraformResource, TerraformDataSource, TerraformStack, type IAspect } from 'cdktf';
import type { IConstruct } from 'constructs';
import { resolveTokens } from '../constructs/resolve';

type Config = Record<string, any>;

interface Element {
  readonly type: string;
  readonly name: string;
  readonly config: Config;
}

export class PolicyViolationError extends Error {
  override name = 'PolicyViolationError';
}

export class SecureDefaultsPolicy implements IAspect {
  visit(node: IConstruct): void {
    if (!TerraformStack.isStack(node)) return;
    const stack = node;
    const elements: Element[] = stack.node
      .findAll()
      .filter((c): c is TerraformResource | TerraformDataSource => c instanceof TerraformResource || c instanceof TerraformDataSource)
      .map((element) => {
        const type = element.terraformResourceType;
        // The logical id as Terraform will know it, plus the construct path so the author finds it.
        const address = `${element instanceof TerraformDataSource ? 'data.' : ''}${type}.${stack.getLogicalId(element)}`;
        const name = `${address} (${element.node.path})`;
        return { type, name, config: firstConfig(resolveTokens(stack, element.toTerraform())) };
      });
    const violations = checkElements(elements);
    if (violations.length > 0) {
      throw new PolicyViolationError(
        `policy: ${violations.length} violation(s) in stack ${stack.node.id}:\n` + violations.map((v) => `  - ${v}`).join('\n'),
      );
    }
  }
}

/** `{ resource: { type: { id: config } } }` -> config */
function firstConfig(synthesized: Config): Config {
  const block = synthesized.resource ?? synthesized.data ?? {};
  const byId = Object.values(block)[0] as Config | undefined;
  return (byId ? Object.values(byId)[0] : {}) as Config;
}

/** A nested block synthesizes as an object or a one-element list. */
function block(value: unknown): Config | undefined {
  if (Array.isArray(value)) return value[0];
  return value && typeof value === 'object' ? (value as Config) : undefined;
}

const list = (value: unknown): unknown[] => (value === undefined ? [] : Array.isArray(value) ? value : [value]);

export function checkElements(elements: Element[]): string[] {
  const violations: string[] = [];
  const bucketsWith = (type: string, ok: (config: Config) => boolean) =>
    new Set(elements.filter((e) => e.type === type && ok(e.config)).map((e) => String(e.config.bucket)));
  const encryptedBuckets = bucketsWith('aws_s3_bucket_server_side_encryption_configuration', (c) =>
    list(c.rule).some((rule) => Boolean(block((rule as Config).apply_server_side_encryption_by_default)?.sse_algorithm)),
  );
  const blockedBuckets = bucketsWith(
    'aws_s3_bucket_public_access_block',
    (c) => c.block_public_acls === true && c.block_public_policy === true && c.ignore_public_acls === true && c.restrict_public_buckets === true,
  );

  for (const { type, name, config } of elements) {
    switch (type) {
      case 'aws_lambda_function':
        if (block(config.tracing_config)?.mode !== 'Active') violations.push(`${name}: Lambda tracing mode must be Active`);
        break;
      case 'aws_api_gateway_stage':
        if (config.xray_tracing_enabled !== true) violations.push(`${name}: stage must have X-Ray tracing enabled`);
        break;
      case 'aws_s3_bucket': {
        // Companion resources name the bucket by `${aws_s3_bucket.<id>.id}` (or `.bucket`).
        const refs = bucketReferences(name, config);
        if (!refs.some((ref) => encryptedBuckets.has(ref))) {
          violations.push(`${name}: bucket has no server-side encryption configuration`);
        }
        if (!refs.some((ref) => blockedBuckets.has(ref))) {
          violations.push(`${name}: bucket has no public access block with all four settings true`);
        }
        break;
      }
      case 'aws_dynamodb_table':
        if (block(config.server_side_encryption)?.enabled !== true) {
          violations.push(`${name}: table must enable server-side encryption`);
        }
        break;
      case 'aws_sns_topic':
        if (!config.kms_master_key_id) violations.push(`${name}: topic must be encrypted (kms_master_key_id)`);
        break;
      case 'aws_sqs_queue':
        if (config.sqs_managed_sse_enabled !== true && !config.kms_master_key_id) {
          violations.push(`${name}: queue must be encrypted (sqs_managed_sse_enabled or kms_master_key_id)`);
        }
        break;
      case 'aws_iam_policy_document':
        violations.push(...list(config.statement).flatMap((s) => checkStatement(name, normalizeDocumentStatement(s as Config))));
        break;
      default:
        for (const attribute of ['policy', 'assume_role_policy']) {
          const statements = literalPolicyStatements(config[attribute]);
          violations.push(...statements.flatMap((s) => checkStatement(name, s)));
        }
    }
  }
  return violations;
}

interface NormalizedStatement {
  sid?: string;
  effect: string;
  actions: string[];
  notActions: string[];
  resources: string[];
  notResources: string[];
}

function normalizeDocumentStatement(s: Config): NormalizedStatement {
  return {
    sid: s.sid,
    effect: s.effect ?? 'Allow',
    actions: list(s.actions).map(String),
    notActions: list(s.not_actions).map(String),
    resources: list(s.resources).map(String),
    notResources: list(s.not_resources).map(String),
  };
}

/** Statements of a policy given as literal JSON; token references (`${data...json}`) are checked at their source. */
function literalPolicyStatements(policy: unknown): NormalizedStatement[] {
  if (typeof policy !== 'string' || !policy.trim().startsWith('{')) return [];
  let document: Config;
  try {
    document = JSON.parse(policy);
  } catch {
    return [];
  }
  return list(document.Statement).map((raw) => {
    const s = raw as Config;
    return {
      sid: s.Sid,
      effect: s.Effect ?? 'Allow',
      actions: list(s.Action).map(String),
      notActions: list(s.NotAction).map(String),
      resources: list(s.Resource).map(String),
      notResources: list(s.NotResource).map(String),
    };
  });
}

const isXrayAction = (action: string) => /^xray:[A-Za-z]+$/.test(action);

function checkStatement(name: string, s: NormalizedStatement): string[] {
  if (s.effect === 'Deny') return [];
  const where = `${name}: IAM statement${s.sid ? ` ${s.sid}` : ''}`;
  const violations: string[] = [];
  const wildcardActions = s.actions.filter((action) => action.includes('*'));
  if (wildcardActions.length > 0) violations.push(`${where} has a wildcard action (${wildcardActions.join(', ')})`);
  if (s.notActions.length > 0) violations.push(`${where} uses NotAction in an Allow statement`);
  if (s.notResources.length > 0) violations.push(`${where} uses NotResource in an Allow statement`);
  // Trust policies carry no resources; Allow statements with the `*` resource are for X-Ray writes only.
  if (s.resources.includes('*')) {
    const others = s.actions.filter((action) => !isXrayAction(action));
    if (others.length > 0) violations.push(`${where} has a wildcard resource for ${others.join(', ')}`);
  }
  return violations;
}

/** The strings by which other resources of the stack refer to this bucket. */
function bucketReferences(name: string, config: Config): string[] {
  const logicalId = name.slice('aws_s3_bucket.'.length, name.indexOf(' '));
  const refs = [`\${aws_s3_bucket.${logicalId}.id}`, `\${aws_s3_bucket.${logicalId}.bucket}`];
  if (typeof config.bucket === 'string') refs.push(config.bucket);
  return refs;
}
