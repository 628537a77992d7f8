/**
 * Text rules every handler applies to client input: well-formed Unicode (a lone surrogate cannot be encoded as
 * UTF-8, so DynamoDB would store it mangled and SNS's serializer would refuse it), and "blank" as a person sees
 * it (spaces, format characters such as U+200B and other default-ignorable code points show nothing).
 */

/**
 * True when the string holds no lone surrogate (what String.prototype.isWellFormed checks) and no U+FFFD. A
 * person never types the replacement character: it is what a decoder put where the client's bytes were not
 * UTF-8, and API Gateway does not document whether it passes such bytes on replaced or refuses them, so the text
 * is refused here rather than stored mangled.
 */
export function isWellFormedText(text: string): boolean {
  // With the `u` flag a surrogate pair is one code point; only a lone surrogate is category Cs.
  return !/[\p{Cs}\uFFFD]/u.test(text);
}

/**
 * Characters that render as nothing: white space, controls, format characters (Cf: U+200B..U+200F, U+2060,
 * U+FEFF...), other default-ignorable code points (U+115F, U+3164 Hangul fillers, variation selectors...) and
 * the Braille blank U+2800, which fonts draw empty.
 */
const INVISIBLE = /^[\p{White_Space}\p{Cc}\p{Cf}\p{Default_Ignorable_Code_Point}\u2800]*$/u;

export function isBlankText(text: string): boolean {
  return INVISIBLE.test(text);
}

/** Decodes UTF-8 strictly: malformed bytes are an error, never replaced with U+FFFD. */
export function decodeUtf8(bytes: Uint8Array): { ok: true; text: string } | { ok: false } {
  try {
    return { ok: true, text: new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes) };
  } catch {
    return { ok: false };
  }
}
