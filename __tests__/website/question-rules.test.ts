/**
 * The form's checks must agree with the questions API: the same input is accepted or refused by both, per field.
 * The API side is the real request parser of the post-question handler.
 */
import fc from 'fast-check';
import { parseQuestionRequest } from '../../handlers/post-question/question';
import { QUESTION_RULES } from '../../system/definition';
import { bodyBytes, checkQuestion, normalizeQuestion, type QuestionInput } from '../../website/src/question-rules';

const json = { 'content-type': 'application/json' };

function apiFields(input: QuestionInput): Set<string> {
  const parsed = parseQuestionRequest({ headers: json, body: JSON.stringify(input) });
  return new Set(parsed.ok ? [] : parsed.errors.map((e) => e.field));
}

function browserFields(input: QuestionInput): Set<string> {
  return new Set(checkQuestion(normalizeQuestion(input)).map((p) => p.field));
}

describe('Contact Us form rules', () => {
  it.each([
    ['valid', { email: ' mysfit.fan+tag@example.co.uk ', questionText: '  Is CoCo good with kids?  ' }, []],
    ['empty e-mail', { email: '   ', questionText: 'hi' }, ['email']],
    ['no domain dot', { email: 'fan@localhost', questionText: 'hi' }, ['email']],
    ['two @', { email: 'a@b@example.com', questionText: 'hi' }, ['email']],
    ['blank question', { email: 'a@example.com', questionText: ' \n\t ' }, ['questionText']],
    [
      'invisible characters only',
      { email: 'a@example.com', questionText: '\u200b\u2060\ufeff\u3164 ' },
      ['questionText'],
    ],
    ['a lone surrogate in the question', { email: 'a@example.com', questionText: 'x \ud800' }, ['questionText']],
    ['a lone surrogate in the e-mail', { email: 'a\udc00@example.com', questionText: 'hi' }, ['email']],
    ['both wrong', { email: 'nope', questionText: '' }, ['email', 'questionText']],
    ['too long e-mail', { email: `${'a'.repeat(250)}@example.com`, questionText: 'hi' }, ['email']],
    [
      'question at the limit',
      { email: 'a@example.com', questionText: 'x'.repeat(QUESTION_RULES.maxQuestionLength) },
      [],
    ],
    [
      'question over the limit',
      { email: 'a@example.com', questionText: 'x'.repeat(QUESTION_RULES.maxQuestionLength + 1) },
      ['questionText'],
    ],
    // Counted as a person counts: 2000 emoji are 2000 characters (4000 UTF-16 units).
    ['2000 emoji', { email: 'a@example.com', questionText: '🐉'.repeat(QUESTION_RULES.maxQuestionLength) }, []],
  ])('%s: the browser and the API flag the same fields', (_name, input, expected) => {
    expect([...browserFields(input)].sort()).toEqual(expected);
    expect([...apiFields(input)].sort()).toEqual(expected);
  });

  it('names the field and says what to do', () => {
    const problems = checkQuestion(normalizeQuestion({ email: 'fan@', questionText: '' }));
    expect(problems).toEqual([
      { field: 'email', reason: expect.stringMatching(/e-mail address/) },
      { field: 'questionText', reason: expect.stringMatching(/question/) },
    ]);
  });

  it('agrees with the API on arbitrary input (property)', () => {
    const emailish = fc.oneof(
      fc.emailAddress(),
      fc.string({ maxLength: 40 }),
      fc
        .tuple(fc.string({ maxLength: 10 }), fc.emailAddress(), fc.string({ maxLength: 10 }))
        .map(([a, e, b]) => `${a}${e}${b}`),
      fc.constantFrom(
        ' a@b.co ',
        'a@b.c',
        'a.@b.co',
        '.a@b.co',
        'a..b@c.co',
        'a@-b.co',
        "o'brien@example.ie",
        'x@y.z1',
      ),
    );
    const question = fc.oneof(
      fc.string({ maxLength: 30 }),
      fc.string({ unit: 'grapheme', maxLength: 30 }),
      fc.constantFrom('', '   ', '\n', '\u200b', '\u200bok\u200b', 'x \ud800', '\udfff'),
      fc
        .integer({ min: QUESTION_RULES.maxQuestionLength - 2, max: QUESTION_RULES.maxQuestionLength + 2 })
        .map((n) => 'q'.repeat(n)),
    );
    fc.assert(
      fc.property(emailish, question, (email, questionText) => {
        const input = { email, questionText };
        expect([...browserFields(input)].sort()).toEqual([...apiFields(input)].sort());
      }),
      { numRuns: 400 },
    );
  });

  it('measures the body in UTF-8 bytes, as the API does', () => {
    expect(bodyBytes({ email: 'a@b.co', questionText: 'é' })).toBe(
      Buffer.byteLength(JSON.stringify({ email: 'a@b.co', questionText: 'é' })),
    );
  });
});
