/**
 * Compares the Terraform JSON that CDKTF (`cdktf`, `@cdktf/provider-aws`) and CDK Terrain (`cdktn`,
 * `@cdktn/provider-aws`) synthesize from the same app, stack by stack: every resource, logical id, attribute and
 * the backend must be the same. The only differences allowed are the ones named in `ALLOWED_DIFFERENCES`, each
 * with the reason it cannot matter to Terraform's state or plan; any other difference fails the check.
 * Pure functions: `cli.ts` does the installing and synthesizing.
 */

/** A stack's `cdk.tf.json`, parsed. */
export type StackJson = unknown;

export interface Difference {
  readonly stack: string;
  /** Where in the stack's JSON, e.g. `terraform.required_providers.aws.version`; empty for a whole stack. */
  readonly path: string;
  readonly kind: 'only in cdktf' | 'only in cdktn' | 'changed';
  readonly cdktf?: unknown;
  readonly cdktn?: unknown;
}

export interface AllowedDifference {
  readonly name: string;
  /** Why it cannot change what Terraform plans or where the state is. */
  readonly why: string;
  readonly matches: (difference: Difference) => boolean;
}

export interface Comparison {
  readonly allowed: readonly { readonly difference: Difference; readonly rule: AllowedDifference }[];
  readonly unexpected: readonly Difference[];
}

const isString = (value: unknown): value is string => typeof value === 'string';
const changedStrings = (d: Difference, path: string) =>
  d.kind === 'changed' && d.path === path && isString(d.cdktf) && isString(d.cdktn);

/** Two provider versions or constraints (`6.25.0`, `~> 6.0`) of the same major. */
const sameMajor = (a: string, b: string) => {
  const major = (v: string) => /^(?:~>\s*|>=\s*|=\s*)?(\d+)\./.exec(v)?.[1];
  return major(a) !== undefined && major(a) === major(b);
};

/** `aws` -> `registry.terraform.io/hashicorp/aws`: a provider source address with its defaults filled in. */
export function fullProviderSource(source: string): string {
  const parts = source.toLowerCase().split('/');
  if (parts.length === 1) return `registry.terraform.io/hashicorp/${parts[0]}`;
  if (parts.length === 2) return `registry.terraform.io/${parts.join('/')}`;
  return parts.join('/');
}

/**
 * Every difference the check accepts, by name. Anything else — a resource or logical id more or less, another
 * attribute value, another backend — fails it.
 */
export const ALLOWED_DIFFERENCES: readonly AllowedDifference[] = [
  {
    name: 'AWS provider version',
    why:
      'each prebuilt provider package pins the hashicorp/aws version it was generated from (@cdktf/provider-aws ' +
      '21.22.1: 6.25.0; @cdktn/provider-aws 25.7.0: 6.66.0), so the move upgrades the AWS provider within major 6; ' +
      'every attribute the app sets is the same, but run `cdktn diff` for what the newer provider plans differently',
    matches: (d) =>
      changedStrings(d, 'terraform.required_providers.aws.version') && sameMajor(d.cdktf as string, d.cdktn as string),
  },
  {
    name: 'AWS provider source written out',
    why:
      'cdktf writes the short source `aws`, cdktn `hashicorp/aws`: the namespace defaults to hashicorp and the host ' +
      'to registry.terraform.io, so both name registry.terraform.io/hashicorp/aws and the state keeps its provider ' +
      '(https://developer.hashicorp.com/terraform/language/providers/requirements#source-addresses)',
    matches: (d) =>
      changedStrings(d, 'terraform.required_providers.aws.source') &&
      fullProviderSource(d.cdktf as string) === fullProviderSource(d.cdktn as string),
  },
  {
    name: "the CDK library's own version in its metadata",
    why: 'the `//` block is comments for people and tools (cdktf 0.21.0, cdktn 0.24.0); Terraform ignores it',
    matches: (d) => changedStrings(d, '["//"].metadata.version'),
  },
];

/** `.key` where the key is a plain identifier, `["key"]` otherwise (`//`, keys with dots). */
function pathTo(parent: string, key: string | number): string {
  if (typeof key === 'number') return `${parent}[${key}]`;
  const step = /^[A-Za-z_][\w-]*$/.test(key) ? `.${key}` : `[${JSON.stringify(key)}]`;
  return parent === '' && step.startsWith('.') ? step.slice(1) : `${parent}${step}`;
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** Every place where two JSON values differ, as leaves: an object or array is walked, not reported whole. */
export function diffJson(stack: string, cdktf: unknown, cdktn: unknown, path = ''): Difference[] {
  if (isObject(cdktf) && isObject(cdktn)) {
    const keys = [...new Set([...Object.keys(cdktf), ...Object.keys(cdktn)])].sort();
    return keys.flatMap((key) => {
      const at = pathTo(path, key);
      if (!(key in cdktn)) return [{ stack, path: at, kind: 'only in cdktf' as const, cdktf: cdktf[key] }];
      if (!(key in cdktf)) return [{ stack, path: at, kind: 'only in cdktn' as const, cdktn: cdktn[key] }];
      return diffJson(stack, cdktf[key], cdktn[key], at);
    });
  }
  if (Array.isArray(cdktf) && Array.isArray(cdktn)) {
    return Array.from({ length: Math.max(cdktf.length, cdktn.length) }, (_, i) => {
      const at = pathTo(path, i);
      if (i >= cdktn.length) return [{ stack, path: at, kind: 'only in cdktf' as const, cdktf: cdktf[i] }];
      if (i >= cdktf.length) return [{ stack, path: at, kind: 'only in cdktn' as const, cdktn: cdktn[i] }];
      return diffJson(stack, cdktf[i], cdktn[i], at);
    }).flat();
  }
  return Object.is(cdktf, cdktn) ? [] : [{ stack, path, kind: 'changed', cdktf, cdktn }];
}

/** Compares two synths (stack name -> `cdk.tf.json`): a stack only one of them has is a difference too. */
export function compareSynths(
  cdktf: Readonly<Record<string, StackJson>>,
  cdktn: Readonly<Record<string, StackJson>>,
  allowedDifferences: readonly AllowedDifference[] = ALLOWED_DIFFERENCES,
): Comparison {
  const stacks = [...new Set([...Object.keys(cdktf), ...Object.keys(cdktn)])].sort();
  const differences = stacks.flatMap((stack): Difference[] => {
    if (!(stack in cdktn)) return [{ stack, path: '', kind: 'only in cdktf' }];
    if (!(stack in cdktf)) return [{ stack, path: '', kind: 'only in cdktn' }];
    return diffJson(stack, cdktf[stack], cdktn[stack]);
  });
  const allowed: { difference: Difference; rule: AllowedDifference }[] = [];
  const unexpected: Difference[] = [];
  for (const difference of differences) {
    const rule = allowedDifferences.find((candidate) => candidate.matches(difference));
    if (rule) allowed.push({ difference, rule });
    else unexpected.push(difference);
  }
  return { allowed, unexpected };
}

const show = (value: unknown) => {
  const text = JSON.stringify(value);
  return text === undefined ? 'undefined' : text.length > 160 ? `${text.slice(0, 157)}...` : text;
};

/** One line per difference: `stack path: kind (cdktf value -> cdktn value)`. */
export function describeDifference(d: Difference): string {
  const where = d.path === '' ? `${d.stack} (the whole stack)` : `${d.stack} ${d.path}`;
  if (d.kind === 'changed') return `${where}: ${show(d.cdktf)} (cdktf) -> ${show(d.cdktn)} (cdktn)`;
  return `${where}: ${d.kind}${d.path === '' ? '' : ` ${show(d.kind === 'only in cdktf' ? d.cdktf : d.cdktn)}`}`;
}

/** The report the CLI prints: what was allowed and why, then what was not. */
export function formatComparison(comparison: Comparison, stackCount: number): string {
  const lines = [
    `compared ${stackCount} stack(s): ${comparison.allowed.length} allowed difference(s), ` +
      `${comparison.unexpected.length} unexpected`,
  ];
  for (const rule of new Set(comparison.allowed.map((a) => a.rule))) {
    const hits = comparison.allowed.filter((a) => a.rule === rule);
    lines.push(`allowed: ${rule.name} (${hits.length}x): ${rule.why}`);
    for (const { difference } of hits.slice(0, 3)) lines.push(`  ${describeDifference(difference)}`);
    if (hits.length > 3) lines.push(`  ... and ${hits.length - 3} more`);
  }
  for (const difference of comparison.unexpected) lines.push(`UNEXPECTED: ${describeDifference(difference)}`);
  return lines.join('\n');
}
