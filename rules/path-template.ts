/**
 * Path templates: `/repos/{owner}/{repo}/pulls/{number}/merge`, `*` for one segment, a trailing
 * `/**` for zero or more segments. Parsed once at compile time into segments for the trie
 * (rules/path-trie.ts). Semantics: docs/rules.md "Path templates".
 */

/** One parsed template segment. `param` and `star` both match exactly one non-empty segment. */
export type TemplateSegment =
  | { readonly kind: 'literal'; readonly text: string }
  | { readonly kind: 'param'; readonly name: string }
  | { readonly kind: 'star' };

/** A parsed template. `rest` is true when it ends in `/**`. */
export interface PathTemplate {
  readonly source: string;
  readonly segments: readonly TemplateSegment[];
  readonly rest: boolean;
}

/** Why a template was refused; the message names the segment and what was expected. */
export interface TemplateProblem { readonly message: string }

const PARAM = /^\{([A-Za-z_][A-Za-z0-9_]*)\}$/;
// A literal segment may hold only what a canonical path can hold: RFC 3986 pchar minus ';' (the
// gateway rejects it), '%' only as an upper-case escape, and none of the template metacharacters.
const LITERAL = /^(?:[A-Za-z0-9\-._~!$&'()+,=:@]|%[0-9A-F]{2})+$/;

/**
 * Parse a template. Precondition: none. Returns the template or a problem; never throws.
 * `path` must start with '/', have no empty segments (no '//' and no trailing '/'), no '.'
 * or '..' segments, unique parameter names, and `**` only as the whole last segment.
 */
export function parseTemplate(path: string): PathTemplate | TemplateProblem {
  if (typeof path !== 'string' || !path.startsWith('/')) return { message: '"path" must be a string starting with "/"' };
  if (path === '/') return { source: path, segments: [], rest: false };
  const raw = path.slice(1).split('/');
  const segments: TemplateSegment[] = [];
  const names = new Set<string>();
  let rest = false;
  for (let i = 0; i < raw.length; i++) {
    const s = raw[i] as string;
    if (s === '**') {
      if (i !== raw.length - 1) return { message: `"**" is allowed only as the last segment (segment ${i + 1} of "${path}")` };
      rest = true;
      continue;
    }
    if (s === '') return { message: `empty segment ${i + 1} in "${path}" (no "//" and no trailing "/")` };
    if (s === '*') { segments.push({ kind: 'star' }); continue; }
    const p = PARAM.exec(s);
    if (p) {
      const name = p[1] as string;
      if (names.has(name)) return { message: `parameter "{${name}}" appears twice in "${path}"` };
      names.add(name);
      segments.push({ kind: 'param', name });
      continue;
    }
    if (s === '.' || s === '..') return { message: `dot segment "${s}" in "${path}" can never match a canonical path` };
    if (!LITERAL.test(s)) {
      return { message: `segment "${s}" of "${path}" must be "*", "{name}", or literal characters (letters, digits, -._~!$&'()+,=:@, %XX)` };
    }
    segments.push({ kind: 'literal', text: s });
  }
  return { source: path, segments, rest };
}

/** Type guard: did `parseTemplate` refuse? */
export function isTemplateProblem(t: PathTemplate | TemplateProblem): t is TemplateProblem {
  return (t as PathTemplate).segments === undefined;
}

/**
 * Split a canonical request path into segments for matching. Precondition: `path` starts with '/'.
 * One trailing '/' is ignored (so `/a/b/` is matched as `/a/b`, docs/rules.md); any other empty
 * segment is kept and then matches nothing but `**`.
 */
export function splitPath(path: string): string[] {
  if (path === '/' || path === '') return [];
  const body = path.endsWith('/') ? path.slice(1, -1) : path.slice(1);
  return body.split('/');
}
