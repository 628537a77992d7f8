/**
 * Synth-time policy: a cdktf Aspect that stops synth, naming each offending resource, when the stack holds
 *  - a Lambda function without Active tracing, or a REST API stage without X-Ray tracing;
 *  - a bucket without server-side encryption or without a full public access block;
 *  - a DynamoDB table, SNS topic or SQS queue without encryption;
 *  - an IAM Allow statement with a wildcard action, or with the `*` resource for anything but X-Ray's actions.
 * It reads each resource's synthesized configuration (tokens resolved), so it judges what Terraform will get.
 * IAM is checked in `aws_iam_policy_document` data sources (the project's style) and in any literal JSON policy.
 * Deny statements may use wildcards (e.g. the TLS-only `s3:*` deny).
 * Each violation is kept as data (Terraform address, logical id, construct path, rule, message); the error
 * carries them, and its message lists them one a line.
 */
import { TerraformResource, TerraformDataSource, TerraformStack, type IAspect } from 'cdktf';
import type { IConstruct } from 'constructs';
import { resolveTokens } from '../constructs/resolve';

// biome-ignore lint/suspicious/noExplicitAny: a resource's resolved Terraform arguments, untyped JSON.
type Config = Record<string, any>;

/** What each check enforces; a violation names the one it broke. */
export type PolicyRule =
  | 'lambda-tracing'
  | 'stage-tracing'
  | 'bucket-encryption'
  | 'bucket-public-access-block'
  | 'table-encryption'
  | 'topic-encryption'
  | 'queue-encryption'
  | 'iam-wildcard-action'
  | 'iam-not-action'
  | 'iam-not-resource'
  | 'iam-wildcard-resource';

/** Where a resource or data source is: as Terraform will know it, and as the author wrote it. */
export interface ElementLocation {
  /** `aws_sns_topic.topic`, `data.aws_iam_policy_document.doc` */
  readonly address: string;
  readonly logicalId: string;
  /** The construct path, e.g. `mysfits-dev-questions/topic`. */
  readonly path: string;
}

export interface Element extends ElementLocation {
  readonly type: string;
  readonly config: Config;
}

export interface PolicyViolation extends ElementLocation {
  readonly rule: PolicyRule;
  /** What is wrong, without the location (e.g. `topic must be encrypted (kms_master_key_id)`). */
  readonly message: string;
}

/** `<address> (<path>): <message>` */
export const describeViolation = (v: PolicyViolation) => `${v.address} (${v.path}): ${v.message}`;

export class PolicyViolationError extends Error {
  override name = 'PolicyViolationError';

  constructor(
    readonly stackName: string,
    readonly violations: readonly PolicyViolation[],
  ) {
    super(
      `policy: ${violations.length} violation(s) in stack ${stackName}:\n` +
        violations.map((v) => `  - ${describeViolation(v)}`).join('\n'),
    );
  }
}

export class SecureDefaultsPolicy implements IAspect {
  visit(node: IConstruct): void {
    if (!TerraformStack.isStack(node)) return;
    const stack = node;
    const elements: Element[] = stack.node
      .findAll()
      .filter(
        (c): c is TerraformResource | TerraformDataSource =>
          c instanceof TerraformResource || c instanceof TerraformDataSource,
      )
      .map((element) => {
        const type = element.terraformResourceType;
        // The logical id as Terraform will know it, plus the construct path so the author finds it.
        const logicalId = stack.getLogicalId(element);
        const address = `${element instanceof TerraformDataSource ? 'data.' : ''}${type}.${logicalId}`;
        return {
          type,
          address,
          logicalId,
          path: element.node.path,
          config: firstConfig(resolveTokens(stack, element.toTerraform())),
        };
      });
    const violations = checkElements(elements);
    if (violations.length > 0) throw new PolicyViolationError(stack.node.id, violations);
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

export function checkElements(elements: readonly Element[]): PolicyViolation[] {
  const violations: PolicyViolation[] = [];
  const violation = (element: Element, rule: PolicyRule, message: string) => {
    const { address, logicalId, path } = element;
    violations.push({ address, logicalId, path, rule, message });
  };
  const bucketsWith = (type: string, ok: (config: Config) => boolean) =>
    new Set(elements.filter((e) => e.type === type && ok(e.config)).map((e) => String(e.config.bucket)));
  const encryptedBuckets = bucketsWith('aws_s3_bucket_server_side_encryption_configuration', (c) =>
    list(c.rule).some((rule) =>
      Boolean(block((rule as Config).apply_server_side_encryption_by_default)?.sse_algorithm),
    ),
  );
  const blockedBuckets = bucketsWith(
    'aws_s3_bucket_public_access_block',
    (c) =>
      c.block_public_acls === true &&
      c.block_public_policy === true &&
      c.ignore_public_acls === true &&
      c.restrict_public_buckets === true,
  );

  for (const element of elements) {
    const { type, config } = element;
    switch (type) {
      case 'aws_lambda_function':
        if (block(config.tracing_config)?.mode !== 'Active')
          violation(element, 'lambda-tracing', 'Lambda tracing mode must be Active');
        break;
      case 'aws_api_gateway_stage':
        if (config.xray_tracing_enabled !== true)
          violation(element, 'stage-tracing', 'stage must have X-Ray tracing enabled');
        break;
      case 'aws_s3_bucket': {
        // Companion resources name the bucket by `${aws_s3_bucket.<id>.id}` (or `.bucket`).
        const refs = bucketReferences(element.logicalId, config);
        if (!refs.some((ref) => encryptedBuckets.has(ref))) {
          violation(element, 'bucket-encryption', 'bucket has no server-side encryption configuration');
        }
        if (!refs.some((ref) => blockedBuckets.has(ref))) {
          violation(
            element,
            'bucket-public-access-block',
            'bucket has no public access block with all four settings true',
          );
        }
        break;
      }
      case 'aws_dynamodb_table':
        if (block(config.server_side_encryption)?.enabled !== true) {
          violation(element, 'table-encryption', 'table must enable server-side encryption');
        }
        break;
      case 'aws_sns_topic':
        if (!config.kms_master_key_id)
          violation(element, 'topic-encryption', 'topic must be encrypted (kms_master_key_id)');
        break;
      case 'aws_sqs_queue':
        if (config.sqs_managed_sse_enabled !== true && !config.kms_master_key_id) {
          violation(
            element,
            'queue-encryption',
            'queue must be encrypted (sqs_managed_sse_enabled or kms_master_key_id)',
          );
        }
        break;
      case 'aws_iam_policy_document':
        for (const s of list(config.statement)) {
          for (const [rule, message] of checkStatement(normalizeDocumentStatement(s as Config)))
            violation(element, rule, message);
        }
        break;
      default:
        for (const attribute of ['policy', 'assume_role_policy']) {
          for (const s of literalPolicyStatements(config[attribute])) {
            for (const [rule, message] of checkStatement(s)) violation(element, rule, message);
          }
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

/** The rules an IAM statement breaks, each with its message. */
function checkStatement(s: NormalizedStatement): [PolicyRule, string][] {
  if (s.effect === 'Deny') return [];
  const what = `IAM statement${s.sid ? ` ${s.sid}` : ''}`;
  const broken: [PolicyRule, string][] = [];
  const wildcardActions = s.actions.filter((action) => action.includes('*'));
  if (wildcardActions.length > 0)
    broken.push(['iam-wildcard-action', `${what} has a wildcard action (${wildcardActions.join(', ')})`]);
  if (s.notActions.length > 0) broken.push(['iam-not-action', `${what} uses NotAction in an Allow statement`]);
  if (s.notResources.length > 0) broken.push(['iam-not-resource', `${what} uses NotResource in an Allow statement`]);
  // Trust policies carry no resources; Allow statements with the `*` resource are for X-Ray writes only.
  if (s.resources.includes('*')) {
    const others = s.actions.filter((action) => !isXrayAction(action));
    if (others.length > 0)
      broken.push(['iam-wildcard-resource', `${what} has a wildcard resource for ${others.join(', ')}`]);
  }
  return broken;
}

/** The strings by which other resources of the stack refer to this bucket. */
function bucketReferences(logicalId: string, config: Config): string[] {
  const refs = [`\${aws_s3_bucket.${logicalId}.id}`, `\${aws_s3_bucket.${logicalId}.bucket}`];
  if (typeof config.bucket === 'string') refs.push(config.bucket);
  return refs;
}
