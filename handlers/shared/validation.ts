/** Turns zod issues into the API's `{ field, reason }` list: the first problem per field. */
import type { FieldError } from './http-responses';

/** What fieldErrors reads of a zod error (classic or zod/mini alike). */
interface ValidationError {
  issues: readonly { path: readonly PropertyKey[]; message: string }[];
}

export function fieldErrors(error: ValidationError, fallbackField = 'body'): FieldError[] {
  const seen = new Map<string, string>();
  for (const issue of error.issues) {
    const field = issue.path.length > 0 ? issue.path.map(String).join('.') : fallbackField;
    if (!seen.has(field)) seen.set(field, issue.message);
  }
  return [...seen].map(([field, reason]) => ({ field, reason }));
}
