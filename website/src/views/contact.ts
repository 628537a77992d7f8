/**
 * Contact Us: checks the fields by the API's rules, posts to `/questions`, and shows either success or each
 * problem next to the field it names (the browser's or, if it gets that far, the API's own message).
 * A failed send keeps what the visitor typed.
 */
import { QUESTION_RULES } from '../../../system/api';
import { ApiError, postQuestion } from '../api';
import type { SiteConfig } from '../config';
import { byId } from '../dom';
import {
  characterCount,
  checkQuestion,
  normalizeQuestion,
  type FieldProblem,
  type QuestionField,
} from '../question-rules';
import { submissionKeys } from '../submission';

const INPUT_OF: Record<Exclude<QuestionField, 'body'>, string> = { email: 'email', questionText: 'questionText' };

export function setUpContactForm(getConfig: () => SiteConfig | undefined): void {
  const form = byId<HTMLFormElement>('question-form');
  const email = byId<HTMLInputElement>('email');
  const question = byId<HTMLTextAreaElement>('questionText');
  const submit = byId<HTMLButtonElement>('question-submit');
  const status = byId('form-status');
  const hint = byId('questionText-hint');
  const honeypot = byId<HTMLInputElement>(QUESTION_RULES.honeypotField);
  const keys = submissionKeys();

  const updateHint = () => {
    hint.textContent = `${characterCount(question.value.trim())} of ${QUESTION_RULES.maxQuestionLength} characters`;
  };
  updateHint();
  question.addEventListener('input', updateHint);
  // Once a field has been flagged, re-check it as the visitor fixes it.
  for (const input of [email, question])
    input.addEventListener('input', () => {
      if (input.getAttribute('aria-invalid') !== 'true') return;
      const field = input.id as 'email' | 'questionText';
      const problem = checkQuestion(normalizeQuestion({ email: email.value, questionText: question.value })).find(
        (p) => p.field === field,
      );
      setFieldError(field, problem?.reason);
    });

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    status.textContent = '';
    clearErrors();
    const input = normalizeQuestion({ email: email.value, questionText: question.value });
    const problems = checkQuestion(input);
    if (problems.length > 0) return showProblems(problems);
    const config = getConfig();
    if (!config) return setFieldError('body', 'The site is not set up to send questions yet (config.json is missing).');

    submit.disabled = true;
    form.setAttribute('aria-busy', 'true');
    submit.textContent = 'Sending…';
    try {
      const outcome = await postQuestion(config, input, {
        idempotencyKey: keys.keyFor(input),
        honeypot: honeypot.value,
      });
      if (!outcome.ok)
        return showProblems(outcome.problems.map((p) => ({ field: p.field, reason: asSentence(p.field, p.reason) })));
      keys.accepted();
      form.reset();
      updateHint();
      status.textContent = `Thank you! Your question was sent; we will answer at ${input.email}.`;
      if (outcome.questionId) status.dataset.questionId = outcome.questionId;
    } catch (err) {
      setFieldError('body', err instanceof ApiError ? err.message : 'Your question was not sent. Please try again.');
    } finally {
      submit.disabled = false;
      form.removeAttribute('aria-busy');
      submit.textContent = 'Send question';
    }
  });

  function showProblems(problems: FieldProblem[]): void {
    const byField = new Map<QuestionField, string[]>();
    for (const p of problems) byField.set(p.field, [...(byField.get(p.field) ?? []), p.reason]);
    for (const [field, reasons] of byField) setFieldError(field, reasons.join(' '));
    const first = problems.find((p) => p.field !== 'body');
    (first ? byId(INPUT_OF[first.field as 'email' | 'questionText']) : submit).focus();
  }

  function clearErrors(): void {
    setFieldError('email', undefined);
    setFieldError('questionText', undefined);
    setFieldError('body', undefined);
  }
}

// The API words reasons relative to the field ("must be an e-mail address"); next to the field, a full sentence reads better.
const SUBJECT: Record<QuestionField, string> = {
  email: 'The e-mail address',
  questionText: 'The question',
  body: 'The message',
};

function asSentence(field: QuestionField, reason: string): string {
  const sentence = /^[a-z]/.test(reason) ? `${SUBJECT[field]} ${reason}` : reason;
  return /[.!?]$/.test(sentence) ? sentence : `${sentence}.`;
}

function setFieldError(field: QuestionField, reason: string | undefined): void {
  const message = byId(field === 'body' ? 'form-error' : `${field}-error`);
  message.textContent = reason ?? '';
  if (field !== 'body') {
    const input = byId(INPUT_OF[field]);
    if (reason) input.setAttribute('aria-invalid', 'true');
    else input.removeAttribute('aria-invalid');
  }
}
