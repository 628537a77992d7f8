/**
 * X-Ray filter expressions (the subset a local console needs), e.g.
 *   annotation.QuestionId = "q-1" AND service("mysfits-dev-post-question")
 *   (fault OR error) AND responsetime > 1.5
 *   !ok OR edge("mysfits-dev-questions-api/dev", "mysfits-dev-post-question")
 *
 * Supported: keywords ok, error, fault, throttle, partial; comparisons on responsetime, duration, http.status,
 * http.url, http.method, http.useragent, http.clientip, annotation.<key> / annotation[<key>]
 * (= != < <= > >= and, for strings, BEGINSWITH ENDSWITH CONTAINS); service("name"), service(id(name: "n", type: "t")),
 * edge("from", "to"); combined with AND/&&, OR/||, ! and parentheses. Anything else is a FilterSyntaxError.
 */
import type { AnnotationScalar } from './segment-document';
import type { ServiceIdentity } from './service-graph';
import type { FilterNode, Operator, ServiceMatcher } from './filter-parser';

export {
  FilterSyntaxError,
  MAX_FILTER_LENGTH,
  MAX_FILTER_NESTING,
  parseFilterExpression,
  type FilterNode,
  type ServiceMatcher,
} from './filter-parser';

/** What a filter is evaluated against: one trace's summary facts. */
export interface FilterSubject {
  readonly ok: boolean;
  readonly error: boolean;
  readonly fault: boolean;
  readonly throttle: boolean;
  readonly partial: boolean;
  readonly responseTime?: number;
  readonly duration: number;
  readonly http: { status?: number; url?: string; method?: string; useragent?: string; clientip?: string };
  readonly annotations: ReadonlyMap<string, readonly AnnotationScalar[]>;
  readonly services: readonly ServiceIdentity[];
  readonly edges: readonly (readonly [ServiceIdentity, ServiceIdentity])[];
}

/* ---------- evaluation ---------- */

function compare(actual: AnnotationScalar | undefined, op: Operator, expected: AnnotationScalar): boolean {
  if (actual === undefined || typeof actual !== typeof expected) return false;
  switch (op) {
    case '=':
      return actual === expected;
    case '!=':
      return actual !== expected;
    case '<':
      return (actual as number) < (expected as number);
    case '<=':
      return (actual as number) <= (expected as number);
    case '>':
      return (actual as number) > (expected as number);
    case '>=':
      return (actual as number) >= (expected as number);
    case 'BEGINSWITH':
      return (actual as string).startsWith(expected as string);
    case 'ENDSWITH':
      return (actual as string).endsWith(expected as string);
    case 'CONTAINS':
      return (actual as string).includes(expected as string);
  }
}

/** Whether a service(...)/edge(...) operand names the service (an absent name or type matches any). */
export const matches = (matcher: ServiceMatcher, id: ServiceIdentity) =>
  (matcher.name === undefined || matcher.name === id.name) && (matcher.type === undefined || matcher.type === id.type);

export function evaluateFilter(node: FilterNode, subject: FilterSubject): boolean {
  switch (node.kind) {
    case 'and':
      return evaluateFilter(node.left, subject) && evaluateFilter(node.right, subject);
    case 'or':
      return evaluateFilter(node.left, subject) || evaluateFilter(node.right, subject);
    case 'not':
      return !evaluateFilter(node.operand, subject);
    case 'keyword':
      return subject[node.keyword];
    case 'service':
      return node.service ? subject.services.some((s) => matches(node.service!, s)) : subject.services.length > 0;
    case 'edge':
      return subject.edges.some(([from, to]) => matches(node.from, from) && matches(node.to, to));
    case 'compare': {
      if (typeof node.field === 'object') {
        const values = subject.annotations.get(node.field.annotation) ?? [];
        return values.some((v) => compare(v, node.op, node.value));
      }
      const actual =
        node.field === 'responsetime'
          ? subject.responseTime
          : node.field === 'duration'
            ? subject.duration
            : subject.http[node.field.slice('http.'.length) as keyof FilterSubject['http']];
      return compare(actual, node.op, node.value);
    }
  }
}
