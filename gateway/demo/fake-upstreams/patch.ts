import { isRecord } from './route.js';

/** Why a patch could not be applied; the fake answers it as the API's own 422/400. */
export class PatchError extends Error {
  readonly code = 'ERR_FAKE_PATCH';
  constructor(message: string) { super(message); this.name = 'PatchError'; }
}

/**
 * RFC 7386 JSON Merge Patch: objects merge recursively, `null` removes a member, anything else replaces.
 * Returns a new value; `target` is not modified.
 */
export function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isRecord(patch)) return structuredClone(patch);
  const out: Record<string, unknown> = isRecord(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[safeKey(k)];
    else out[safeKey(k)] = mergePatch(out[k], v);
  }
  return out;
}

/**
 * Kubernetes strategic merge patch, the subset the demo needs: like RFC 7386, except that a list whose
 * elements are objects with a `name` (containers, env, ports, volumes) merges element-wise by `name`
 * instead of being replaced. `$patch` directives and `$setElementOrder` are not supported (→ PatchError).
 */
export function strategicMergePatch(target: unknown, patch: unknown): unknown {
  if (Array.isArray(patch) && Array.isArray(target) && patch.every(namedObject) && target.every(namedObject)) {
    const out = target.map((t) => structuredClone(t) as Record<string, unknown>);
    for (const p of patch as Record<string, unknown>[]) {
      const i = out.findIndex((t) => t.name === p.name);
      if (i === -1) out.push(structuredClone(p));
      else out[i] = strategicMergePatch(out[i], p) as Record<string, unknown>;
    }
    return out;
  }
  if (!isRecord(patch)) return structuredClone(patch);
  const out: Record<string, unknown> = isRecord(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (k.startsWith('$')) throw new PatchError(`strategic merge directive ${k} is not supported by the fake`);
    if (v === null) delete out[safeKey(k)];
    else out[safeKey(k)] = strategicMergePatch(out[k], v);
  }
  return out;
}

/** `__proto__` would re-point an object's prototype on assignment: refused everywhere a key is written. */
function safeKey(k: string): string {
  if (k === '__proto__') throw new PatchError('"__proto__" is not an acceptable member name');
  return k;
}

function namedObject(v: unknown): boolean {
  return isRecord(v) && typeof v.name === 'string';
}

/**
 * RFC 6902 JSON Patch (add, remove, replace, move, copy, test) with RFC 6901 pointers.
 * Applies to a deep copy and returns it; throws PatchError on a malformed operation, a missing path or a
 * failed `test`, so the patch is all-or-nothing.
 */
export function jsonPatch(target: unknown, ops: unknown): unknown {
  if (!Array.isArray(ops)) throw new PatchError('json patch must be an array of operations');
  let doc = structuredClone(target);
  for (const op of ops) {
    if (!isRecord(op) || typeof op.op !== 'string' || typeof op.path !== 'string') throw new PatchError('each operation needs "op" and "path"');
    const path = op.path;
    switch (op.op) {
      case 'add': doc = put(doc, path, structuredClone(op.value), 'add'); break;
      case 'replace': get(doc, path); doc = put(doc, path, structuredClone(op.value), 'replace'); break;
      case 'remove': doc = remove(doc, path); break;
      case 'test': if (JSON.stringify(get(doc, path)) !== JSON.stringify(op.value)) throw new PatchError(`test failed at ${path}`); break;
      case 'move': case 'copy': {
        if (typeof op.from !== 'string') throw new PatchError(`"${op.op}" needs "from"`);
        const value = structuredClone(get(doc, op.from));
        if (op.op === 'move') doc = remove(doc, op.from);
        doc = put(doc, path, value, 'add');
        break;
      }
      default: throw new PatchError(`unknown operation "${op.op}"`);
    }
  }
  return doc;
}

function tokens(pointer: string): string[] {
  if (pointer === '') return [];
  if (!pointer.startsWith('/')) throw new PatchError(`invalid pointer ${pointer}`);
  return pointer.slice(1).split('/').map((t) => t.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function get(doc: unknown, pointer: string): unknown {
  let cur = doc;
  for (const t of tokens(pointer)) {
    if (Array.isArray(cur) && /^(0|[1-9]\d*)$/.test(t) && Number(t) < cur.length) cur = cur[Number(t)];
    else if (isRecord(cur) && Object.hasOwn(cur, t)) cur = cur[t];
    else throw new PatchError(`path ${pointer} does not exist`);
  }
  return cur;
}

function parentOf(doc: unknown, pointer: string): { parent: unknown; last: string } {
  const ts = tokens(pointer);
  const last = ts.pop();
  if (last === undefined) throw new PatchError('the root cannot be the target here');
  return { parent: get(doc, ts.map((t) => `/${t.replace(/~/g, '~0').replace(/\//g, '~1')}`).join('')), last };
}

function put(doc: unknown, pointer: string, value: unknown, mode: 'add' | 'replace'): unknown {
  if (pointer === '') return value;
  const { parent, last } = parentOf(doc, pointer);
  if (Array.isArray(parent)) {
    const i = last === '-' ? parent.length : Number(last);
    if (!/^(0|[1-9]\d*|-)$/.test(last) || i > parent.length) throw new PatchError(`index ${last} out of range`);
    if (mode === 'replace') parent[i] = value; else parent.splice(i, 0, value);
  } else if (isRecord(parent)) {
    parent[safeKey(last)] = value;
  } else throw new PatchError(`path ${pointer} has no container`);
  return doc;
}

function remove(doc: unknown, pointer: string): unknown {
  get(doc, pointer);
  const { parent, last } = parentOf(doc, pointer);
  if (Array.isArray(parent)) parent.splice(Number(last), 1);
  else if (isRecord(parent)) delete parent[last];
  return doc;
}
