/**
 * The Contact Us form's checks, by the questions API's own limits (`QUESTION_RULES` in the system definition),
 * so the visitor sees the same verdict in the browser as the API would give, worded per field.
 */
import { regexes } from 'zod/v4/core';
import { isBlankText, isWellFormedText } from '../../handlers/shared/text';
import { QUESTION_RULES } from '../../system/api';

export type QuestionField = 'email' | 'questionText' | 'body';

export interface FieldProblem {
  readonly field: QuestionField;
  readonly reason: string;
}

export interface QuestionInput {
  readonly email: string;
  readonly questionText: string;
}

// The API checks addresses with zod's `z.email()`, whose default pattern is this one: same verdict here.
const EMAIL_SHAPE = regexes.email;

/** What the form sends: the e-mail address trimmed, the question as typed but without surrounding blanks. */
export function normalizeQuestion(input: QuestionInput): QuestionInput {
  return { email: input.email.trim(), questionText: input.questionText.trim() };
}

/** The problems with a (normalized) question, in form order; empty when it may be sent. */
export function checkQuestion(input: QuestionInput): FieldProblem[] {
  const problems: FieldProblem[] = [];
  const { email, questionText } = input;
  if (email.length === 0) problems.push({ field: 'email', reason: 'Enter your e-mail address.' });
  else if (!isWellFormedText(email))
    problems.push({ field: 'email', reason: 'The e-mail address holds a broken character.' });
  else if (email.length > QUESTION_RULES.maxEmailLength)
    problems.push({
      field: 'email',
      reason: `The e-mail address is longer than ${QUESTION_RULES.maxEmailLength} characters.`,
    });
  else if (!EMAIL_SHAPE.test(email))
    problems.push({ field: 'email', reason: 'Enter an e-mail address like name@example.com.' });

  // Invisible characters alone (zero-width spaces, fillers) are an empty question, as the API sees it.
  if (isBlankText(questionText)) problems.push({ field: 'questionText', reason: 'Enter your question.' });
  else if (!isWellFormedText(questionText))
    problems.push({
      field: 'questionText',
      reason: 'The question holds a broken character (a lone surrogate); retype it.',
    });
  else if (characterCount(questionText) > QUESTION_RULES.maxQuestionLength)
    problems.push({
      field: 'questionText',
      reason: `The question is ${characterCount(questionText)} characters long; the limit is ${QUESTION_RULES.maxQuestionLength}.`,
    });

  if (problems.length === 0 && bodyBytes(input) > QUESTION_RULES.maxBodyBytes)
    problems.push({ field: 'body', reason: `The message is larger than ${QUESTION_RULES.maxBodyBytes} bytes.` });
  return problems;
}

/** Characters as a person counts them (code points: an emoji is one), as the API counts them. */
export function characterCount(text: string): number {
  return [...text].length;
}

/** Size of the JSON body the form posts, in UTF-8 bytes (what the API measures). */
export function bodyBytes(input: QuestionInput): number {
  return new TextEncoder().encode(JSON.stringify({ email: input.email, questionText: input.questionText })).length;
}
