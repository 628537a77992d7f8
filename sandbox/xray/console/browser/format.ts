/** Text formats shared by the console pages. Pure: no DOM. */

/** Seconds as `12 ms` or `1.25 s`; `-` when unknown. */
export function formatSeconds(seconds: number | undefined | null): string {
  if (seconds === undefined || seconds === null || Number.isNaN(seconds)) return '-';
  return seconds < 1 ? `${Math.round(seconds * 1000)} ms` : `${seconds.toFixed(2)} s`;
}

export type AnnotationValueJson = { StringValue?: string; NumberValue?: number; BooleanValue?: boolean };

export function annotationText(value: AnnotationValueJson): string {
  if (value.StringValue !== undefined) return value.StringValue;
  if (value.NumberValue !== undefined) return String(value.NumberValue);
  return String(value.BooleanValue);
}

/** A string literal of the filter grammar: double quotes, with `\` and `"` escaped. */
export function filterString(text: string): string {
  return `"${text.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}
