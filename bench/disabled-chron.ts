/**
 * "Chron disabled" — a bench-only Chron that records nothing, used to attribute how much of the
 * gateway's cost is the durable log (issue 9: for attribution only, never a product mode; it is not
 * reachable from any config key or CLI flag, only from bench/gateway-host.ts).
 * `append` hands out gapless indices without serialising, hashing or storing anything; reads answer
 * "nothing stored"; checkpoints and proofs reject with ERR_CHRON_WRITE, as on a log that cannot sign.
 */
import { ChronError, type AppendResult, type Chron, type ConsistencyProof, type InclusionProof, type StoredCheckpoint, type StoredEntry, type WriterStats } from '../chron/index.js';

/** Returned as `leafHash`: nothing was hashed, because nothing was recorded. */
export const NOT_RECORDED = '';

/** Builds a Chron that only counts appends. `origin` is reported as given. */
export function disabledChron(origin: string): Chron {
  let size = 0;
  const refuse = (): never => { throw new ChronError('ERR_CHRON_WRITE', 'chron is disabled in this benchmark run'); };
  return {
    origin,
    storeFormat: '2',
    append: (): Promise<AppendResult> => Promise.resolve({ index: size++, leafHash: NOT_RECORDED }),
    appendAll: (records): Promise<AppendResult[]> => Promise.resolve(records.map(() => ({ index: size++, leafHash: NOT_RECORDED }))),
    checkpoint: (): Promise<string> => Promise.reject(new ChronError('ERR_CHRON_WRITE', 'chron is disabled in this benchmark run')),
    treeSize: () => size,
    latestCheckpoint: () => undefined,
    checkpoints: (): StoredCheckpoint[] => [],
    proveInclusion: (): Promise<InclusionProof> => Promise.reject(new ChronError('ERR_CHRON_WRITE', 'chron is disabled in this benchmark run')),
    proveConsistency: (): ConsistencyProof => refuse(),
    entry: (): StoredEntry | undefined => undefined,
    find: (): StoredEntry[] => [],
    indexOfId: () => undefined,
    vkeys: () => [],
    stats: (): WriterStats => ({ appends: size, transactions: 0 }),
    fault: () => undefined,
    close: () => Promise.resolve(),
  };
}
