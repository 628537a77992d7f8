/**
 * Build errors as esbuild prints them (`✘ [ERROR] message` then `file:line:column:` and the line with a caret),
 * each distinct one said once, naming what it broke, however many bundles it broke: a syntax error in
 * system/definition.ts breaks the four functions and the website at once and is still one message.
 */
import { formatMessagesSync, type Message } from 'esbuild';

export interface FailedBuild {
  /** `post-question`, `website`. */
  what: string;
  /** esbuild's messages, or an error esbuild did not raise (a missing index.html reference...). */
  errors: Message[] | Error;
}

/** esbuild's own rendering (no colours: it goes to logs and tests too). */
export function formatBuildErrors(errors: Message[] | Error): string {
  if (errors instanceof Error) return `✘ [ERROR] ${errors.message}\n`;
  return formatMessagesSync(errors, { kind: 'error', color: false }).join('');
}

/** The esbuild messages of a thrown build error, or the error itself when it carries none. */
export function buildErrorsOf(err: unknown): Message[] | Error {
  const errors = (err as { errors?: Message[] }).errors;
  if (Array.isArray(errors) && errors.length > 0) return errors;
  return err instanceof Error ? err : new Error(String(err));
}

/** One report per distinct error text: `✗ build failed (post-question, mysfits-api) …` followed by the text. */
export function reportFailedBuilds(failed: readonly FailedBuild[]): string[] {
  const byText = new Map<string, string[]>();
  for (const { what, errors } of failed) {
    const text = formatBuildErrors(errors).trimEnd();
    byText.set(text, [...(byText.get(text) ?? []), what]);
  }
  return [...byText].map(
    ([text, whats]) =>
      `✗ build failed (${whats.join(', ')}); still serving the previous code until the next save:\n${text}`,
  );
}
