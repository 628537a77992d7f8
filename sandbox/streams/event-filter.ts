/**
 * Lambda event filtering for the stream poller, as the event source mapping applies it: a record is delivered
 * when it matches at least one pattern (patterns are ORed); a record that matches none is discarded before
 * any invocation (https://docs.aws.amazon.com/lambda/latest/dg/invocation-eventfiltering.html).
 *
 * A pattern is a JSON object whose keys name the record's fields; a nested object descends into the field,
 * and an array lists the values the field may have (all the fields named must match). Supported in arrays:
 * exact strings, numbers, booleans and null, and the `prefix` and `exists` operators. Anything else is refused
 * at start, so a pattern the sandbox cannot evaluate never passes silently.
 */

type PatternNode = { readonly [field: string]: PatternNode | readonly unknown[] };

export class FilterPatternError extends Error {
  constructor(pattern: string, reason: string) {
    super(`filter pattern ${pattern}: ${reason}`);
    this.name = 'FilterPatternError';
  }
}

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

function checkNode(node: unknown, pattern: string, path: string): void {
  if (!isPlainObject(node) || Object.keys(node).length === 0) {
    throw new FilterPatternError(pattern, `${path || 'the pattern'} must be a non-empty JSON object`);
  }
  for (const [field, value] of Object.entries(node)) {
    const where = path ? `${path}.${field}` : field;
    if (Array.isArray(value)) {
      if (value.length === 0) throw new FilterPatternError(pattern, `${where} lists no values`);
      for (const rule of value) {
        if (rule === null || ['string', 'number', 'boolean'].includes(typeof rule)) continue;
        const operator = isPlainObject(rule) ? Object.keys(rule) : [];
        const ok =
          operator.length === 1 &&
          ((operator[0] === 'prefix' && typeof rule.prefix === 'string') ||
            (operator[0] === 'exists' && typeof rule.exists === 'boolean'));
        if (!ok)
          throw new FilterPatternError(pattern, `${where}: ${JSON.stringify(rule)} is not supported by the sandbox`);
      }
    } else {
      checkNode(value, pattern, where);
    }
  }
}

/** Parses and checks the patterns once; throws naming the first one that is not valid or not supported. */
export function compileFilterPatterns(patterns: readonly string[] | undefined): PatternNode[] {
  return (patterns ?? []).map((text) => {
    let node: unknown;
    try {
      node = JSON.parse(text);
    } catch {
      throw new FilterPatternError(text, 'is not JSON');
    }
    checkNode(node, text, '');
    return node as PatternNode;
  });
}

function matchesRule(rule: unknown, present: boolean, value: unknown): boolean {
  if (isPlainObject(rule)) {
    if ('exists' in rule) return rule.exists === present;
    if ('prefix' in rule) return present && typeof value === 'string' && value.startsWith(rule.prefix as string);
    return false;
  }
  return present && value === rule;
}

function matchesNode(node: PatternNode, data: unknown): boolean {
  return Object.entries(node).every(([field, expected]) => {
    const present = isPlainObject(data) && Object.hasOwn(data, field);
    const value = present ? (data as Record<string, unknown>)[field] : undefined;
    if (Array.isArray(expected)) return expected.some((rule) => matchesRule(rule, present, value));
    return present && matchesNode(expected as PatternNode, value);
  });
}

/** True when the record is delivered: no patterns, or at least one that matches. */
export function matchesAnyPattern(patterns: readonly PatternNode[], record: unknown): boolean {
  return patterns.length === 0 || patterns.some((pattern) => matchesNode(pattern, record));
}
