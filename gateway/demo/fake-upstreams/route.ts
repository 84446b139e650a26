import type { FakeReply, FakeRequest, RouteParams } from './types.js';

/** A handler for one route of a fake API. */
export type RouteHandler = (req: FakeRequest, params: RouteParams) => FakeReply;

/** One route: a method (HEAD is served by GET routes) and a path template such as `/repos/{owner}/{repo}`. */
export interface Route {
  readonly method: string;
  readonly template: string;
  readonly handler: RouteHandler;
}

interface CompiledRoute extends Route { readonly segments: readonly string[] }

/** The outcome of matching: the route and its parameters, or whether the path exists under another method. */
export type RouteMatch =
  | { readonly found: true; readonly handler: RouteHandler; readonly params: RouteParams }
  | { readonly found: false; readonly pathKnown: boolean };

/**
 * A tiny exact-segment router for the fakes. A template segment `{name}` captures one non-empty path segment
 * (percent-decoded; a segment that does not decode matches nothing); `{name}.json?` captures a segment with
 * an optional `.json` suffix (Zendesk's style) without the suffix, and a literal `tickets.json?` matches
 * `tickets` or `tickets.json`. Every other segment matches literally.
 * Routes are tried in the order given; the first match wins.
 */
export class Router {
  readonly #routes: readonly CompiledRoute[];

  constructor(routes: readonly Route[]) {
    this.#routes = routes.map((r) => ({ ...r, segments: r.template.split('/').slice(1) }));
  }

  /** Matches a raw (undecoded) path such as `/repos/acme/app/pulls/7`. */
  match(method: string, rawPath: string): RouteMatch {
    const segments = rawPath.split('/').slice(1);
    const wanted = method === 'HEAD' ? 'GET' : method;
    let pathKnown = false;
    for (const route of this.#routes) {
      const params = matchSegments(route.segments, segments);
      if (params === undefined) continue;
      if (route.method === wanted) return { found: true, handler: route.handler, params };
      pathKnown = true;
    }
    return { found: false, pathKnown };
  }
}

function matchSegments(template: readonly string[], actual: readonly string[]): RouteParams | undefined {
  if (template.length !== actual.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < template.length; i++) {
    const t = template[i] ?? '';
    let a = actual[i] ?? '';
    if (!t.startsWith('{')) {
      const base = t.endsWith('.json?') ? t.slice(0, -6) : undefined;
      if (base !== undefined ? a !== base && a !== `${base}.json` : t !== a) return undefined;
      continue;
    }
    if (t.endsWith('.json?')) { if (a.endsWith('.json')) a = a.slice(0, -5); }
    else if (!t.endsWith('}')) return undefined;
    if (a === '') return undefined;
    let decoded: string;
    try { decoded = decodeURIComponent(a); } catch { return undefined; }
    params[t.slice(1, t.indexOf('}'))] = decoded;
  }
  return params;
}

/** Parses a JSON request body; `undefined` when the body is empty or not JSON. */
export function parseJsonBody(body: Buffer): unknown {
  if (body.length === 0) return undefined;
  try { return JSON.parse(body.toString('utf8')) as unknown; } catch { return undefined; }
}

/** True for a non-null, non-array object. */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
