/** What a valid question is (rules in QUESTION_RULES, shared with the website's form). */
import * as z from '../shared/zod';
import { QUESTION_RULES } from '../../system/api';
import { header, type FieldError } from '../shared/http-responses';
import { decodeUtf8, isBlankText, isWellFormedText } from '../shared/text';
import { fieldErrors } from '../shared/validation';

const NOT_WELL_FORMED = 'must be well-formed Unicode text (a lone surrogate, or U+FFFD where the bytes were not UTF-8)';

/** A string field that is well-formed Unicode: checked before any other rule, on every string field. */
const text = (what: string) =>
  z
    .string({ error: (issue) => (issue.input === undefined ? 'is required' : `must be ${what}`) })
    // abort: a failed check stops the checks after it (zod/mini's `.check` runs them in order, as classic's methods).
    .check(z.refine(isWellFormedText, { error: NOT_WELL_FORMED, abort: true }));

export const QuestionSchema = z.object(
  {
    email: z.pipe(
      text('an e-mail address').check(
        z.trim(),
        z.maxLength(QUESTION_RULES.maxEmailLength, `must be at most ${QUESTION_RULES.maxEmailLength} characters`),
      ),
      z.email({ error: 'must be an e-mail address' }),
    ),
    questionText: text('a string').check(
      z.trim(),
      // Invisible characters alone (U+200B, U+FEFF, U+3164...) are as empty as nothing.
      z.refine((value) => !isBlankText(value), { error: 'must not be empty', abort: true }),
      // Counted in code points, so an emoji is one character, as a person counts it.
      z.refine((value) => [...value].length <= QUESTION_RULES.maxQuestionLength, {
        error: `must be at most ${QUESTION_RULES.maxQuestionLength} characters`,
      }),
    ),
    // The honeypot: people never see it, so any value means a bot filled the form in.
    [QUESTION_RULES.honeypotField]: z.optional(text('a string')),
  },
  { error: 'must be a JSON object' },
);

export type Question = z.infer<typeof QuestionSchema>;

export type ParsedQuestion =
  | { ok: true; question: Question; honeypotFilled: boolean }
  | { ok: false; status: 400 | 415; errors: FieldError[] };

interface RequestLike {
  headers?: Record<string, string | undefined> | null;
  body?: string | null;
  isBase64Encoded?: boolean;
}

const bodyError = (reason: string): ParsedQuestion => ({ ok: false, status: 400, errors: [{ field: 'body', reason }] });

/**
 * The charset the Content-Type names, lower case; undefined when none is given (JSON is UTF-8 then:
 * RFC 8259 section 8.1, https://www.rfc-editor.org/rfc/rfc8259#section-8.1).
 */
function charsetOf(contentType: string): string | undefined {
  for (const parameter of contentType.split(';').slice(1)) {
    const [name, ...value] = parameter.split('=');
    if (name.trim().toLowerCase() === 'charset')
      return value
        .join('=')
        .trim()
        .replace(/^"(.*)"$/, '$1')
        .toLowerCase();
  }
  return undefined;
}

/** The body's bytes as API Gateway passed them: base64 for binary media types, else a (UTF-16) string. */
function bodyText(request: RequestLike): { ok: true; text: string; bytes: number } | { ok: false; reason: string } {
  const body = request.body ?? '';
  if (request.isBase64Encoded) {
    const raw = Buffer.from(body, 'base64');
    const decoded = decodeUtf8(raw);
    return decoded.ok
      ? { ok: true, text: decoded.text, bytes: raw.byteLength }
      : { ok: false, reason: 'is not valid UTF-8' };
  }
  // A lone surrogate in the string would be replaced by U+FFFD when encoded: refuse rather than store it mangled.
  if (!isWellFormedText(body)) return { ok: false, reason: 'is not valid UTF-8' };
  return { ok: true, text: body, bytes: Buffer.byteLength(body, 'utf8') };
}

/** Checks content type, charset, size, encoding and JSON syntax, then the fields. Never throws on client input. */
export function parseQuestionRequest(request: RequestLike): ParsedQuestion {
  const contentType = header(request.headers, 'content-type');
  const mediaType = contentType?.split(';')[0].trim().toLowerCase();
  if (mediaType !== 'application/json') {
    return bodyError(
      `must be sent as application/json (Content-Type was ${contentType ? `"${contentType}"` : 'missing'})`,
    );
  }
  const charset = charsetOf(contentType!);
  if (charset !== undefined && charset !== 'utf-8' && charset !== 'utf8') {
    // Decoding it as UTF-8 would store a mangled question: refuse the charset instead.
    return {
      ok: false,
      status: 415,
      errors: [{ field: 'Content-Type', reason: `charset must be utf-8 (was "${charset}")` }],
    };
  }
  if (request.body === undefined || request.body === null || request.body === '') return bodyError('is required');
  const decoded = bodyText(request);
  if (!decoded.ok) return bodyError(decoded.reason);
  if (decoded.bytes > QUESTION_RULES.maxBodyBytes) {
    return bodyError(`must be at most ${QUESTION_RULES.maxBodyBytes} bytes (was ${decoded.bytes})`);
  }
  let json: unknown;
  try {
    json = JSON.parse(decoded.text);
  } catch {
    return bodyError('is not valid JSON');
  }
  const result = QuestionSchema.safeParse(json);
  if (!result.success) return { ok: false, status: 400, errors: fieldErrors(result.error) };
  const honeypot = result.data[QUESTION_RULES.honeypotField];
  return { ok: true, question: result.data, honeypotFilled: honeypot !== undefined && honeypot !== '' };
}
