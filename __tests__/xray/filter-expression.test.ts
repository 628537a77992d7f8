import fc from 'fast-check';
import {
  evaluateFilter,
  FilterSyntaxError,
  parseFilterExpression,
  type FilterSubject,
} from '../../sandbox/xray/filter-expression';

const subject = (overrides: Partial<FilterSubject> = {}): FilterSubject => ({
  ok: true,
  error: false,
  fault: false,
  throttle: false,
  partial: false,
  responseTime: 0.2,
  duration: 1.5,
  http: { status: 200, url: 'https://api.example/dev/questions', method: 'POST' },
  annotations: new Map<string, (string | number | boolean)[]>([
    ['QuestionId', ['q-42']],
    ['Attempt', [3]],
    ['Urgent', [false]],
  ]),
  services: [
    { name: 'questions-api/dev', type: 'AWS::ApiGateway::Stage' },
    { name: 'post-question', type: 'AWS::Lambda::Function' },
    { name: 'DynamoDB', type: 'AWS::DynamoDB::Table' },
  ],
  edges: [
    [
      { name: 'post-question', type: 'AWS::Lambda::Function' },
      { name: 'DynamoDB', type: 'AWS::DynamoDB::Table' },
    ],
  ],
  ...overrides,
});

const matches = (expression: string, s = subject()) => evaluateFilter(parseFilterExpression(expression), s);

describe('filter expressions', () => {
  test.each([
    ['annotation.QuestionId = "q-42"', true],
    ['annotation.QuestionId = "q-43"', false],
    ['annotation.QuestionId != "q-43"', true],
    ['annotation.QuestionId BEGINSWITH "q-"', true],
    ['annotation.QuestionId ENDSWITH "42"', true],
    ['annotation.QuestionId CONTAINS "x"', false],
    ['annotation.Attempt = 3', true],
    ['annotation.Attempt = "3"', false], // a number annotation is not the string "3"
    ['annotation.Attempt >= 3 AND annotation.Attempt < 4', true],
    ['annotation.Urgent = false', true],
    ['annotation.Missing = "x"', false],
    ['annotation[QuestionId] = "q-42"', true],
    ['service("post-question")', true],
    ['service("mysfits-api")', false],
    ['service(id(name: "post-question", type: "AWS::Lambda::Function"))', true],
    ['service(id(name: "post-question", type: "AWS::Lambda"))', false],
    ['service(id(type: "AWS::DynamoDB::Table"))', true],
    ['edge("post-question", "DynamoDB")', true],
    ['edge("DynamoDB", "post-question")', false],
    ['ok', true],
    ['!ok', false],
    ['NOT error', true],
    ['error OR fault', false],
    ['ok AND (fault OR responsetime < 1)', true],
    ['responsetime > 0.2', false],
    ['duration > 1 and http.status = 200', true],
    ['http.method = "POST" && http.url CONTAINS "/questions"', true],
    ['fault || !partial', true],
    ['!(ok AND service("DynamoDB"))', false],
    ['  annotation.QuestionId  =  "q-42"  ', true],
  ])('%s -> %s', (expression, expected) => {
    expect(matches(expression)).toBe(expected);
  });

  test('AND binds tighter than OR', () => {
    const faulty = subject({ ok: false, fault: true });
    expect(matches('fault OR error AND ok', faulty)).toBe(true); // fault OR (error AND ok)
    expect(matches('(fault OR error) AND ok', faulty)).toBe(false);
  });

  test('string escapes and single quotes', () => {
    const s = subject({ annotations: new Map([['Name', ['say "hi"']]]) });
    expect(matches('annotation.Name = "say \\"hi\\""', s)).toBe(true);
    expect(matches("annotation.Name CONTAINS 'hi'", s)).toBe(true);
  });

  test.each([
    ['annotation.QuestionId == "x"', /position 23: expected a value/],
    ['latency > 3', /unknown keyword or field "latency"/],
    ['ok AND', /expected a keyword, a comparison.*end of expression/],
    ['(ok', /expected "\)"/],
    ['responsetime > "slow"', /a number for responsetime/],
    ['http.method = 3', /a quoted string for http.method/],
    ['annotation.QuestionId BEGINSWITH 3', /BEGINSWITH needs a quoted string/],
    ['annotation.Attempt > "3"', /> needs a number/],
    ['annotation.QuestionId = "open', /unterminated string/],
    ['service(post-question)', /quoted service name/],
    ['ok ok', /expected AND, OR or the end/],
    ['ok # comment', /unexpected character "#"/],
    ['', /end of expression/],
  ])('rejects %j', (expression, message) => {
    expect(() => parseFilterExpression(expression)).toThrow(FilterSyntaxError);
    expect(() => parseFilterExpression(expression)).toThrow(message);
  });

  test('never fails with anything but a FilterSyntaxError, whatever the input', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 60 }), (input) => {
        try {
          evaluateFilter(parseFilterExpression(input), subject());
        } catch (err) {
          if (!(err instanceof FilterSyntaxError)) throw err;
        }
      }),
      { numRuns: 2000 },
    );
  });

  test('! flips any valid expression', () => {
    const atoms = fc.constantFrom(
      'ok',
      'error',
      'fault',
      'service("DynamoDB")',
      'annotation.Attempt > 2',
      'responsetime < 0.1',
    );
    const expressions: fc.Arbitrary<string> = fc.letrec<{ expr: string }>((tie) => ({
      expr: fc.oneof(
        { depthSize: 'small', withCrossShrink: true },
        atoms,
        fc.tuple(tie('expr'), fc.constantFrom(' AND ', ' OR '), tie('expr')).map(([a, op, b]) => `(${a}${op}${b})`),
      ),
    })).expr;
    fc.assert(
      fc.property(expressions, (expression) => {
        expect(matches(`!(${expression})`)).toBe(!matches(expression));
      }),
    );
  });
});
