import { redactSecretShapes } from './redact.js';

/** Longest header-derived value a log line keeps; the rest is summarised as a count. */
export const MAX_HEADER_VALUE_LENGTH = 256;

// C0 controls, DEL, C1 controls and the Unicode line/paragraph separators: anything a
// terminal, a log shipper or a naive line splitter could treat as structure.
const CONTROL_CHARS = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g;

/**
 * Makes a header-supplied value safe to put in a log line: secret shapes are redacted
 * first (a JWT cut in half no longer looks like one, and its payload would leak), then
 * control characters become spaces (no CRLF line forging even in the pretty format), and
 * the value is cut to `max` characters with the number of dropped characters noted. JSON
 * encoding already stops quotes and braces from becoming structure; this stops the rest.
 */
export function sanitizeHeaderValue(value: unknown, max = MAX_HEADER_VALUE_LENGTH): string | undefined {
  if (value === undefined || value === null) return undefined;
  const raw = redactSecretShapes(Array.isArray(value) ? value.join(', ') : String(value));
  const cut = raw.length > max ? raw.slice(0, max) : raw;
  const clean = cut.replace(CONTROL_CHARS, ' ');
  return raw.length > max ? `${clean}…[+${raw.length - max} chars]` : clean;
}

/**
 * At most `max` characters of `text` for a message or a log field, secret shapes redacted
 * before the cut (never after: a cut secret escapes the shapes), `…` marking a cut.
 */
export function redactedExcerpt(text: string, max: number): string {
  const clean = redactSecretShapes(text);
  return clean.length > max ? `${clean.slice(0, max)}…` : clean;
}
