/** What a valid question is (rules in QUESTION_RULES, shared with the website's form). */
import * as z from '../shared/zod';
import { QUESTION_RULES } from '../../system/definition';
import { header, type FieldError } from '../shared/http-responses';
import { fieldErrors } from '../shared/validation';

const requiredString = (what: string) =>
  z.string({ error: (issue) => (issue.input === undefined ? 'is required' : `must be ${what}`) });

export const QuestionSchema = z.object(
  {
    email: z.pipe(
      requiredString('an e-mail address').check(
        z.trim(),
        z.maxLength(QUESTION_RULES.maxEmailLength, `must be at most ${QUESTION_RULES.maxEmailLength} characters`),
      ),
      z.email({ error: 'must be an e-mail address' }),
    ),
    questionText: requiredString('a string').check(
      z.trim(),
      z.minLength(1, 'must not be empty'),
      // Counted in code points, so an emoji is one character, as a person counts it.
      z.refine((text) => [...text].length <= QUESTION_RULES.maxQuestionLength, {
        error: `must be at most ${QUESTION_RULES.maxQuestionLength} characters`,
      }),
    ),
  },
  { error: 'must be a JSON object' },
);

export type Question = z.infer<typeof QuestionSchema>;

export type ParsedQuestion = { ok: true; question: Question } | { ok: false; errors: FieldError[] };

interface RequestLike {
  headers?: Record<string, string | undefined> | null;
  body?: string | null;
  isBase64Encoded?: boolean;
}

const bodyError = (reason: string): ParsedQuestion => ({ ok: false, errors: [{ field: 'body', reason }] });

/** Checks content type, size and JSON syntax, then the fields. Never throws on client input. */
export function parseQuestionRequest(request: RequestLike): ParsedQuestion {
  const contentType = header(request.headers, 'content-type');
  const mediaType = contentType?.split(';')[0].trim().toLowerCase();
  if (mediaType !== 'application/json') {
    return bodyError(`must be sent as application/json (Content-Type was ${contentType ? `"${contentType}"` : 'missing'})`);
  }
  if (request.body === undefined || request.body === null || request.body === '') return bodyError('is required');
  const raw = request.isBase64Encoded ? Buffer.from(request.body, 'base64') : Buffer.from(request.body, 'utf8');
  if (raw.byteLength > QUESTION_RULES.maxBodyBytes) {
    return bodyError(`must be at most ${QUESTION_RULES.maxBodyBytes} bytes (was ${raw.byteLength})`);
  }
  let json: unknown;
  try {
    json = JSON.parse(raw.toString('utf8'));
  } catch {
    return bodyError('is not valid JSON');
  }
  const result = QuestionSchema.safeParse(json);
  return result.success ? { ok: true, question: result.data } : { ok: false, errors: fieldErrors(result.error) };
}
