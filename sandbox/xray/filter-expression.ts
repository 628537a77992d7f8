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

export class FilterSyntaxError extends Error {
  constructor(
    message: string,
    readonly position: number,
  ) {
    super(`Invalid filter expression at position ${position}: ${message}`);
    this.name = 'FilterSyntaxError';
  }
}

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

type Keyword = 'ok' | 'error' | 'fault' | 'throttle' | 'partial';
type NumberField = 'responsetime' | 'duration' | 'http.status';
type StringField = 'http.url' | 'http.method' | 'http.useragent' | 'http.clientip';
type Operator = '=' | '!=' | '<' | '<=' | '>' | '>=' | 'BEGINSWITH' | 'ENDSWITH' | 'CONTAINS';
interface ServiceMatcher {
  name?: string;
  type?: string;
}

export type FilterNode =
  | { kind: 'and' | 'or'; left: FilterNode; right: FilterNode }
  | { kind: 'not'; operand: FilterNode }
  | { kind: 'keyword'; keyword: Keyword }
  | {
      kind: 'compare';
      field: NumberField | StringField | { annotation: string };
      op: Operator;
      value: AnnotationScalar;
    }
  | { kind: 'service'; service?: ServiceMatcher }
  | { kind: 'edge'; from: ServiceMatcher; to: ServiceMatcher };

/* ---------- tokens ---------- */

type Token =
  | { type: 'string'; value: string; pos: number }
  | { type: 'number'; value: number; pos: number }
  | { type: 'word'; value: string; pos: number }
  | { type: 'punct'; value: string; pos: number }
  | { type: 'end'; pos: number };

const PUNCTUATION = ['&&', '||', '!=', '<=', '>=', '(', ')', ',', '!', '=', '<', '>', '[', ']', ':'];

function tokenize(input: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < input.length) {
    const c = input[i];
    if (/\s/.test(c)) {
      i += 1;
    } else if (c === '"' || c === "'") {
      const start = i;
      let value = '';
      i += 1;
      while (i < input.length && input[i] !== c) {
        if (input[i] === '\\' && i + 1 < input.length) i += 1;
        value += input[i];
        i += 1;
      }
      if (i >= input.length) throw new FilterSyntaxError('unterminated string', start);
      i += 1;
      tokens.push({ type: 'string', value, pos: start });
    } else if (/[0-9]/.test(c) || (c === '-' && /[0-9]/.test(input[i + 1] ?? ''))) {
      const match = /^-?[0-9]+(\.[0-9]+)?/.exec(input.slice(i))!;
      tokens.push({ type: 'number', value: Number(match[0]), pos: i });
      i += match[0].length;
    } else if (/[A-Za-z_]/.test(c)) {
      const match = /^[A-Za-z_][A-Za-z0-9_.-]*/.exec(input.slice(i))!;
      tokens.push({ type: 'word', value: match[0], pos: i });
      i += match[0].length;
    } else {
      const punct = PUNCTUATION.find((p) => input.startsWith(p, i));
      if (!punct) throw new FilterSyntaxError(`unexpected character "${c}"`, i);
      tokens.push({ type: 'punct', value: punct, pos: i });
      i += punct.length;
    }
  }
  tokens.push({ type: 'end', pos: input.length });
  return tokens;
}

/* ---------- parser (recursive descent) ---------- */

/**
 * Nesting (parentheses and `!`/NOT) and length the parser accepts. The X-Ray API reference documents no limit on
 * FilterExpression (https://docs.aws.amazon.com/xray/latest/api/API_GetTraceSummaries.html: "Type: String,
 * Required: No"); these keep a hostile expression from overflowing the recursive parser's stack (3,000 "(" or
 * 10,000 "!" did) and answer it with a ValidationException instead. No real filter comes near them.
 */
export const MAX_FILTER_NESTING = 100;
export const MAX_FILTER_LENGTH = 10_000;

const KEYWORDS: readonly Keyword[] = ['ok', 'error', 'fault', 'throttle', 'partial'];
const NUMBER_FIELDS: readonly NumberField[] = ['responsetime', 'duration', 'http.status'];
const STRING_FIELDS: readonly StringField[] = ['http.url', 'http.method', 'http.useragent', 'http.clientip'];

export function parseFilterExpression(input: string): FilterNode {
  if (input.length > MAX_FILTER_LENGTH) {
    throw new FilterSyntaxError(`the expression is longer than ${MAX_FILTER_LENGTH} characters`, MAX_FILTER_LENGTH);
  }
  const tokens = tokenize(input);
  let index = 0;
  let depth = 0;
  /** Runs one nested level (a parenthesis or a negation), refusing to go deeper than MAX_FILTER_NESTING. */
  const nested = <T>(at: Token, parse: () => T): T => {
    if (depth >= MAX_FILTER_NESTING) {
      throw new FilterSyntaxError(`parentheses and negations are nested more than ${MAX_FILTER_NESTING} deep`, at.pos);
    }
    depth += 1;
    try {
      return parse();
    } finally {
      depth -= 1;
    }
  };
  const peek = () => tokens[index];
  const next = () => tokens[index++];
  const describe = (t: Token) => (t.type === 'end' ? 'end of expression' : `"${'value' in t ? t.value : ''}"`);
  const fail = (t: Token, expected: string): never => {
    throw new FilterSyntaxError(`expected ${expected}, found ${describe(t)}`, t.pos);
  };
  const isWord = (t: Token, word: string) => t.type === 'word' && t.value.toUpperCase() === word;
  const isPunct = (t: Token, p: string) => t.type === 'punct' && t.value === p;
  const expectPunct = (p: string) => {
    const t = next();
    if (!isPunct(t, p)) fail(t, `"${p}"`);
  };
  const expectString = (what: string): string => {
    const t = next();
    if (t.type !== 'string') return fail(t, what);
    return t.value;
  };

  function parseOr(): FilterNode {
    let left = parseAnd();
    while (isWord(peek(), 'OR') || isPunct(peek(), '||')) {
      next();
      left = { kind: 'or', left, right: parseAnd() };
    }
    return left;
  }

  function parseAnd(): FilterNode {
    let left = parseUnary();
    while (isWord(peek(), 'AND') || isPunct(peek(), '&&')) {
      next();
      left = { kind: 'and', left, right: parseUnary() };
    }
    return left;
  }

  function parseUnary(): FilterNode {
    if (isPunct(peek(), '!') || isWord(peek(), 'NOT')) {
      const at = next();
      return nested(at, () => ({ kind: 'not', operand: parseUnary() }));
    }
    return parsePrimary();
  }

  function parseServiceMatcher(): ServiceMatcher {
    const t = peek();
    if (t.type === 'string') return { name: (next() as { value: string }).value };
    if (isWord(t, 'ID')) {
      next();
      expectPunct('(');
      const matcher: ServiceMatcher = {};
      for (;;) {
        const key = next();
        if (key.type !== 'word' || !['name', 'type'].includes(key.value.toLowerCase())) fail(key, 'name or type');
        expectPunct(':');
        matcher[(key as { value: string }).value.toLowerCase() as 'name' | 'type'] = expectString('a quoted string');
        if (isPunct(peek(), ',')) next();
        else break;
      }
      expectPunct(')');
      return matcher;
    }
    return fail(t, 'a quoted service name or id(name: "...", type: "...")');
  }

  function parseValue(): AnnotationScalar {
    const t = next();
    if (t.type === 'string' || t.type === 'number') return t.value;
    if (isWord(t, 'TRUE')) return true;
    if (isWord(t, 'FALSE')) return false;
    return fail(t, 'a value (quoted string, number, true or false)');
  }

  function parseOperator(): Operator {
    const t = next();
    if (t.type === 'punct' && ['=', '!=', '<', '<=', '>', '>='].includes(t.value)) return t.value as Operator;
    if (t.type === 'word' && ['BEGINSWITH', 'ENDSWITH', 'CONTAINS'].includes(t.value.toUpperCase())) {
      return t.value.toUpperCase() as Operator;
    }
    return fail(t, 'a comparison operator (=, !=, <, <=, >, >=, BEGINSWITH, ENDSWITH, CONTAINS)');
  }

  function parseComparison(field: NumberField | StringField | { annotation: string }, at: Token): FilterNode {
    const op = parseOperator();
    const valueToken = peek();
    const value = parseValue();
    const numeric = typeof field === 'string' && (NUMBER_FIELDS as readonly string[]).includes(field);
    const stringy = typeof field === 'string' && !numeric;
    if (numeric && typeof value !== 'number') fail(valueToken, `a number for ${field}`);
    if (stringy && typeof value !== 'string') fail(valueToken, `a quoted string for ${field}`);
    const stringOnly = ['BEGINSWITH', 'ENDSWITH', 'CONTAINS'].includes(op);
    const ordered = ['<', '<=', '>', '>='].includes(op);
    if (stringOnly && typeof value !== 'string') throw new FilterSyntaxError(`${op} needs a quoted string`, at.pos);
    if (ordered && typeof value !== 'number') throw new FilterSyntaxError(`${op} needs a number`, at.pos);
    return { kind: 'compare', field, op, value };
  }

  function parsePrimary(): FilterNode {
    const t = next();
    if (isPunct(t, '(')) {
      return nested(t, () => {
        const inner = parseOr();
        expectPunct(')');
        return inner;
      });
    }
    if (t.type !== 'word') return fail(t, 'a keyword, a comparison, service(...) or edge(...)');
    const word = t.value.toLowerCase();
    if ((KEYWORDS as readonly string[]).includes(word)) return { kind: 'keyword', keyword: word as Keyword };
    if (word === 'service') {
      expectPunct('(');
      if (isPunct(peek(), ')')) {
        next();
        return { kind: 'service' };
      }
      const service = parseServiceMatcher();
      expectPunct(')');
      return { kind: 'service', service };
    }
    if (word === 'edge') {
      expectPunct('(');
      const from = parseServiceMatcher();
      expectPunct(',');
      const to = parseServiceMatcher();
      expectPunct(')');
      return { kind: 'edge', from, to };
    }
    if (word === 'annotation') {
      // annotation[Key]
      expectPunct('[');
      const key = next();
      if (key.type !== 'word' && key.type !== 'string') fail(key, 'an annotation key');
      expectPunct(']');
      return parseComparison({ annotation: String((key as { value: string }).value) }, t);
    }
    if (word.startsWith('annotation.')) {
      const key = t.value.slice('annotation.'.length);
      if (!key) fail(t, 'an annotation key after "annotation."');
      return parseComparison({ annotation: key }, t);
    }
    if ((NUMBER_FIELDS as readonly string[]).includes(word) || (STRING_FIELDS as readonly string[]).includes(word)) {
      return parseComparison(word as NumberField | StringField, t);
    }
    throw new FilterSyntaxError(`unknown keyword or field "${t.value}"`, t.pos);
  }

  const tree = parseOr();
  if (peek().type !== 'end') fail(peek(), 'AND, OR or the end of the expression');
  return tree;
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

const matches = (matcher: ServiceMatcher, id: ServiceIdentity) =>
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
