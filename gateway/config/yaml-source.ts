import { readFileSync } from 'node:fs';
import type { RuleProblemCode } from '../../rules/index.js';
import { isMap, isPair, isScalar, LineCounter, parseDocument, type Document } from 'yaml';

/** Where a config problem is: file, 1-based line and column. */
export interface SourcePosition { file: string; line: number; col: number }

/** One problem found while loading configuration, reported with its position. */
export interface ConfigProblem extends SourcePosition { code: ConfigProblemCode; message: string }

/** Closed set of config problem codes; callers (and tests) branch on these. */
export type ConfigProblemCode =
  | 'ERR_CONFIG_READ'
  | 'ERR_CONFIG_YAML'
  | 'ERR_CONFIG_SCHEMA'
  | 'ERR_CONFIG_UNKNOWN_KEY'
  | 'ERR_CONFIG_LITERAL_SECRET'
  | 'ERR_CONFIG_DUPLICATE'
  | 'ERR_CONFIG_REFERENCE'
  | 'ERR_CONFIG_SECRET_SOURCE'
  | 'ERR_CONFIG_KEY_FILE'
  | 'ERR_CONFIG_VALUE'
  | 'ERR_RULES_TEST_SCHEMA'
  | 'ERR_RULES_TEST_REFERENCE'
  | 'ERR_RULES_TEST_AMBIGUOUS'
  | 'ERR_RULES_TEST_FAILED'
  | RuleProblemCode;

/** A parsed YAML file whose values can be traced back to file:line:column. */
export interface YamlSource {
  readonly file: string;
  readonly value: unknown;
  /** Position of the node at `path` (or of its nearest existing ancestor); `keyOf` points at the key instead of the value. */
  locate(path: readonly (string | number)[], keyOf?: string): SourcePosition;
}

/**
 * Reads and parses one YAML file (YAML 1.2 core schema, duplicate keys are errors, no custom tags).
 * The only importer of the `yaml` package. Syntax errors and an unreadable file become problems, never throws.
 */
export function readYamlSource(file: string): { ok: true; source: YamlSource } | { ok: false; problems: ConfigProblem[] } {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'EIO';
    return { ok: false, problems: [{ file, line: 0, col: 0, code: 'ERR_CONFIG_READ', message: `cannot read file (${code})` }] };
  }
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, uniqueKeys: true, prettyErrors: false, schema: 'core', merge: false });
  const at = (offset: number): SourcePosition => {
    const p = lineCounter.linePos(offset);
    return { file, line: p.line, col: p.col };
  };
  if (doc.errors.length > 0) {
    return {
      ok: false,
      problems: doc.errors.map((e) => ({ ...at(e.pos[0]), code: 'ERR_CONFIG_YAML' as const, message: e.message.split('\n')[0] ?? 'invalid YAML' })),
    };
  }
  const value: unknown = doc.toJS({ maxAliasCount: 100 });
  return { ok: true, source: { file, value, locate: (path, keyOf) => locateIn(doc, path, keyOf, at) } };
}

function locateIn(doc: Document, path: readonly (string | number)[], keyOf: string | undefined, at: (o: number) => SourcePosition): SourcePosition {
  for (let n = path.length; n >= 0; n--) {
    const node = n === 0 ? doc.contents : doc.getIn(path.slice(0, n), true);
    if (node === undefined || node === null) continue;
    if (keyOf !== undefined && n === path.length && isMap(node)) {
      const pair = node.items.find((p) => isPair(p) && isScalar(p.key) && p.key.value === keyOf);
      const keyNode = pair && isScalar(pair.key) ? pair.key : undefined;
      if (keyNode?.range) return at(keyNode.range[0]);
    }
    const range = (node as { range?: [number, number, number] }).range;
    if (range) return at(range[0]);
  }
  return at(0);
}
