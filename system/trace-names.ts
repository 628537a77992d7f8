/**
 * Names the handlers write into their traces: the annotation keys and the troubleshooting exercise's subsegment.
 * The handlers record them; the expected trace graph (`tracing-contract.ts`), the checker and the tests search
 * traces by them.
 */

/** Annotations that make traces searchable and join the questions pipeline's two traces. */
export const ANNOTATIONS = {
  questionId: 'QuestionId',
  mysfitId: 'MysfitId',
} as const;

/** Name of the subsegment the troubleshooting exercise hangs in. */
export const HANGING_EXCEPTION_SUBSEGMENT = 'hangingException';
