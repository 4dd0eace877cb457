// A string as JSON text. JSON.stringify of even a short string costs ~200 ns on Node 20 (it sets up a generic
// serializer); the strings of an answer (uids, annotation names, timestamps) rarely need escaping, and a regex
// that proves so costs a fifth of that.

/**
 * No quote, backslash, control character or surrogate: such text is valid JSON between quotes as it is. (Lone
 * surrogate halves must be escaped; text with any surrogate simply takes the JSON.stringify path.)
 */
// eslint-disable-next-line no-control-regex -- control characters are exactly what must be escaped
const NEEDS_NO_ESCAPE = /^[^"\\\u0000-\u001f\ud800-\udfff]*$/;

export function jsonString(text: string): string {
  return NEEDS_NO_ESCAPE.test(text) ? `"${text}"` : JSON.stringify(text);
}
