/** Turns zod issues into the API's `{ field, reason }` list: the first problem per field. */
import type { z } from 'zod';
import type { FieldError } from './http-responses';

export function fieldErrors(error: z.ZodError, fallbackField = 'body'): FieldError[] {
  const seen = new Map<string, string>();
  for (const issue of error.issues) {
    const field = issue.path.length > 0 ? issue.path.map(String).join('.') : fallbackField;
    if (!seen.has(field)) seen.set(field, issue.message);
  }
  return [...seen].map(([field, reason]) => ({ field, reason }));
}
