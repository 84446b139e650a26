import { createHash } from 'node:crypto';
import type { AuthSuccess } from './types.js';

/**
 * A bounded LRU of verified tokens, so a token seen again skips signature verification and claim
 * checks (issue 9 measures the saving). Keys are SHA-256 digests of the token, so the cache never
 * holds a token. Only successes are cached. An entry lives until `validUntilMs` — the first instant
 * at which a fresh verification would reject the token (its "exp" plus clock tolerance, or the
 * max-token-age bound), and for a remote JWKS only while the key set that verified it is still current —
 * so a cached answer is always the answer a fresh verification would give.
 */
export class TokenCache {
  readonly #max: number;
  readonly #entries = new Map<string, { readonly result: AuthSuccess; readonly validUntilMs: number; readonly current: (() => boolean) | undefined }>();

  /** Precondition: `maxEntries` is a non-negative integer; 0 disables caching. */
  constructor(maxEntries: number) {
    this.#max = maxEntries;
  }

  /** The cache key of a token: its SHA-256, hex. */
  static keyOf(token: string): string {
    return createHash('sha256').update(token, 'latin1').digest('hex');
  }

  /** The cached success for `key` if still valid at `nowMs` (and marks it recently used); drops an outlived entry. */
  get(key: string, nowMs: number): AuthSuccess | undefined {
    const e = this.#entries.get(key);
    if (!e) return undefined;
    this.#entries.delete(key);
    if (nowMs >= e.validUntilMs || (e.current !== undefined && !e.current())) return undefined;
    this.#entries.set(key, e);
    return e.result;
  }

  /**
   * Stores a verified success valid until `validUntilMs` and, if given, while `current()` holds (the key set
   * that verified it is still the one in use), evicting the least recently used entry when full.
   */
  set(key: string, result: AuthSuccess, validUntilMs: number, current?: () => boolean): void {
    if (this.#max === 0) return;
    this.#entries.delete(key);
    while (this.#entries.size >= this.#max) {
      const oldest = this.#entries.keys().next();
      if (oldest.done === true) break;
      this.#entries.delete(oldest.value);
    }
    this.#entries.set(key, { result, validUntilMs, current });
  }

  /** Number of cached tokens. */
  get size(): number {
    return this.#entries.size;
  }
}
