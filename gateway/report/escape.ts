/**
 * Output encoding for the report. Every string that comes from an export is attacker-influenced
 * (a path is whatever an agent sent), so it passes through exactly one of these before it reaches
 * the page: `html` for element text and double-quoted attribute values, `visible` first when a human
 * must see what is really there, `scriptJson` for data embedded in a `<script type="application/json">`.
 */

/** HTML-escapes text for element content and double-quoted attribute values (& < > " '). */
export function html(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ENTITIES[c] as string);
}

/**
 * Makes invisible or misleading characters visible as `\u{XXXX}`: C0/C1 controls (CR, LF, NUL, ESC),
 * U+2028/U+2029 and the bidirectional overrides/isolates (U+202A–U+202E, U+2066–U+2069, U+200E/F, U+061C)
 * that could make a path read differently from what it is. Everything else is kept as is.
 */
export function visible(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g, (c) => `\\u{${(c.codePointAt(0) as number).toString(16).toUpperCase().padStart(4, '0')}}`);
}

/** Shorthand: `html(visible(text))`, for every export-derived string shown in markup. */
export function show(text: string): string {
  return html(visible(text));
}

/**
 * Serialises data for an inline `<script type="application/json">` element: JSON with `<`, `>`, `&`,
 * U+2028/U+2029, C1 controls and bidi controls escaped as \uXXXX (JSON already escapes C0), so no
 * value can close the element, open a comment, break a line in a JavaScript parser or reorder text. Read back with JSON.parse(element.textContent).
 */
export function scriptJson(value: unknown): string {
  // eslint-disable-next-line no-control-regex
  return JSON.stringify(value).replace(/[<>&\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g, (c) => `\\u${(c.codePointAt(0) as number).toString(16).padStart(4, '0')}`);
}

/**
 * Checks that trusted script text (our client code, a bundled library) can be inlined verbatim:
 * it must not contain `</script` or `<!--`, which would end or confuse the script element.
 * Throws an Error naming `what` otherwise (a packaging problem, not a data problem).
 */
export function assertInlineable(script: string, what: string): string {
  if (/<\/script|<!--/i.test(script)) throw new Error(`${what} cannot be inlined: it contains "</script" or "<!--"`);
  return script;
}

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
