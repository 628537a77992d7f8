/**
 * The filter-expression grammar, its tokenizer and its recursive-descent parser (one method per rule); the
 * evaluation against a trace is in filter-expression.ts, which re-exports what callers need from here.
 */
import type { AnnotationScalar } from './segment-document';

export class FilterSyntaxError extends Error {
  constructor(
    message: string,
    readonly position: number,
  ) {
    super(`Invalid filter expression at position ${position}: ${message}`);
    this.name = 'FilterSyntaxError';
  }
}

export type Keyword = 'ok' | 'error' | 'fault' | 'throttle' | 'partial';
export type NumberField = 'responsetime' | 'duration' | 'http.status';
export type StringField = 'http.url' | 'http.method' | 'http.useragent' | 'http.clientip';
export type Operator = '=' | '!=' | '<' | '<=' | '>' | '>=' | 'BEGINSWITH' | 'ENDSWITH' | 'CONTAINS';
export interface ServiceMatcher {
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

/** One parse: the tokens, the read position and the current nesting depth. */
class FilterParser {
  private readonly tokens: Token[];
  private index = 0;
  private depth = 0;

  constructor(input: string) {
    if (input.length > MAX_FILTER_LENGTH) {
      throw new FilterSyntaxError(`the expression is longer than ${MAX_FILTER_LENGTH} characters`, MAX_FILTER_LENGTH);
    }
    this.tokens = tokenize(input);
  }

  parse(): FilterNode {
    const tree = this.parseOr();
    if (this.peek().type !== 'end') this.fail(this.peek(), 'AND, OR or the end of the expression');
    return tree;
  }

  /** Runs one nested level (a parenthesis or a negation), refusing to go deeper than MAX_FILTER_NESTING. */
  private nested<T>(at: Token, parse: () => T): T {
    if (this.depth >= MAX_FILTER_NESTING) {
      throw new FilterSyntaxError(`parentheses and negations are nested more than ${MAX_FILTER_NESTING} deep`, at.pos);
    }
    this.depth += 1;
    try {
      return parse();
    } finally {
      this.depth -= 1;
    }
  }

  private peek(): Token {
    return this.tokens[this.index];
  }

  private next(): Token {
    return this.tokens[this.index++];
  }

  private fail(t: Token, expected: string): never {
    const found = t.type === 'end' ? 'end of expression' : `"${'value' in t ? t.value : ''}"`;
    throw new FilterSyntaxError(`expected ${expected}, found ${found}`, t.pos);
  }

  private isWord(t: Token, word: string): boolean {
    return t.type === 'word' && t.value.toUpperCase() === word;
  }

  private isPunct(t: Token, p: string): boolean {
    return t.type === 'punct' && t.value === p;
  }

  private expectPunct(p: string): void {
    const t = this.next();
    if (!this.isPunct(t, p)) this.fail(t, `"${p}"`);
  }

  private expectString(what: string): string {
    const t = this.next();
    if (t.type !== 'string') return this.fail(t, what);
    return t.value;
  }

  private parseOr(): FilterNode {
    let left = this.parseAnd();
    while (this.isWord(this.peek(), 'OR') || this.isPunct(this.peek(), '||')) {
      this.next();
      left = { kind: 'or', left, right: this.parseAnd() };
    }
    return left;
  }

  private parseAnd(): FilterNode {
    let left = this.parseUnary();
    while (this.isWord(this.peek(), 'AND') || this.isPunct(this.peek(), '&&')) {
      this.next();
      left = { kind: 'and', left, right: this.parseUnary() };
    }
    return left;
  }

  private parseUnary(): FilterNode {
    if (this.isPunct(this.peek(), '!') || this.isWord(this.peek(), 'NOT')) {
      const at = this.next();
      return this.nested(at, () => ({ kind: 'not', operand: this.parseUnary() }));
    }
    return this.parsePrimary();
  }

  private parseServiceMatcher(): ServiceMatcher {
    const t = this.peek();
    if (t.type === 'string') return { name: (this.next() as { value: string }).value };
    if (this.isWord(t, 'ID')) {
      this.next();
      this.expectPunct('(');
      const matcher: ServiceMatcher = {};
      for (;;) {
        const key = this.next();
        if (key.type !== 'word' || !['name', 'type'].includes(key.value.toLowerCase())) this.fail(key, 'name or type');
        this.expectPunct(':');
        matcher[(key as { value: string }).value.toLowerCase() as 'name' | 'type'] =
          this.expectString('a quoted string');
        if (this.isPunct(this.peek(), ',')) this.next();
        else break;
      }
      this.expectPunct(')');
      return matcher;
    }
    return this.fail(t, 'a quoted service name or id(name: "...", type: "...")');
  }

  private parseValue(): AnnotationScalar {
    const t = this.next();
    if (t.type === 'string' || t.type === 'number') return t.value;
    if (this.isWord(t, 'TRUE')) return true;
    if (this.isWord(t, 'FALSE')) return false;
    return this.fail(t, 'a value (quoted string, number, true or false)');
  }

  private parseOperator(): Operator {
    const t = this.next();
    if (t.type === 'punct' && ['=', '!=', '<', '<=', '>', '>='].includes(t.value)) return t.value as Operator;
    if (t.type === 'word' && ['BEGINSWITH', 'ENDSWITH', 'CONTAINS'].includes(t.value.toUpperCase())) {
      return t.value.toUpperCase() as Operator;
    }
    return this.fail(t, 'a comparison operator (=, !=, <, <=, >, >=, BEGINSWITH, ENDSWITH, CONTAINS)');
  }

  private parseComparison(field: NumberField | StringField | { annotation: string }, at: Token): FilterNode {
    const op = this.parseOperator();
    const valueToken = this.peek();
    const value = this.parseValue();
    const numeric = typeof field === 'string' && (NUMBER_FIELDS as readonly string[]).includes(field);
    const stringy = typeof field === 'string' && !numeric;
    if (numeric && typeof value !== 'number') this.fail(valueToken, `a number for ${field}`);
    if (stringy && typeof value !== 'string') this.fail(valueToken, `a quoted string for ${field}`);
    const stringOnly = ['BEGINSWITH', 'ENDSWITH', 'CONTAINS'].includes(op);
    const ordered = ['<', '<=', '>', '>='].includes(op);
    if (stringOnly && typeof value !== 'string') throw new FilterSyntaxError(`${op} needs a quoted string`, at.pos);
    if (ordered && typeof value !== 'number') throw new FilterSyntaxError(`${op} needs a number`, at.pos);
    return { kind: 'compare', field, op, value };
  }

  private parsePrimary(): FilterNode {
    const t = this.next();
    if (this.isPunct(t, '(')) {
      return this.nested(t, () => {
        const inner = this.parseOr();
        this.expectPunct(')');
        return inner;
      });
    }
    if (t.type !== 'word') return this.fail(t, 'a keyword, a comparison, service(...) or edge(...)');
    const word = t.value.toLowerCase();
    if ((KEYWORDS as readonly string[]).includes(word)) return { kind: 'keyword', keyword: word as Keyword };
    if (word === 'service') {
      this.expectPunct('(');
      if (this.isPunct(this.peek(), ')')) {
        this.next();
        return { kind: 'service' };
      }
      const service = this.parseServiceMatcher();
      this.expectPunct(')');
      return { kind: 'service', service };
    }
    if (word === 'edge') {
      this.expectPunct('(');
      const from = this.parseServiceMatcher();
      this.expectPunct(',');
      const to = this.parseServiceMatcher();
      this.expectPunct(')');
      return { kind: 'edge', from, to };
    }
    if (word === 'annotation') {
      // annotation[Key]
      this.expectPunct('[');
      const key = this.next();
      if (key.type !== 'word' && key.type !== 'string') this.fail(key, 'an annotation key');
      this.expectPunct(']');
      return this.parseComparison({ annotation: String((key as { value: string }).value) }, t);
    }
    if (word.startsWith('annotation.')) {
      const key = t.value.slice('annotation.'.length);
      if (!key) this.fail(t, 'an annotation key after "annotation."');
      return this.parseComparison({ annotation: key }, t);
    }
    if ((NUMBER_FIELDS as readonly string[]).includes(word) || (STRING_FIELDS as readonly string[]).includes(word)) {
      return this.parseComparison(word as NumberField | StringField, t);
    }
    throw new FilterSyntaxError(`unknown keyword or field "${t.value}"`, t.pos);
  }
}

export function parseFilterExpression(input: string): FilterNode {
  return new FilterParser(input).parse();
}
