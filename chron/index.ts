/**
 * Chron — the append-only, verifiable audit log of CLAIIM (chron/README.md).
 * The gateway codes against this module only; `chron/` never imports `gateway/` or `rules/`.
 */
export { openChron, openChronReadonly } from './chron.js';
export type { Chron, ChronFault, ChronOptions, AppendOptions, AppendResult, WriterStats, InclusionProof, ConsistencyProof } from './chron.js';
export { ChronError, CHRON_ERROR_CODES, isChronError } from './errors.js';
export type { ChronErrorCode } from './errors.js';
export { generateSigningKey, parseVerifierKey, parseVerifierKeys, signerFromJwk, readSigningJwk } from './keys.js';
export { openCheckpoint, parseCheckpointBody, signCheckpoint } from './checkpoint.js';
export type { CheckpointBody, VerifiedCheckpoint } from './checkpoint.js';
export { verifyInclusion, verifyConsistency } from './merkle-verify.js';
export { leafHash, nodeHash, perfectSubtrees, toHex } from './merkle-hash.js';
export { inclusionProof } from './merkle-proofs.js';
export type { SubtreeReader } from './merkle-proofs.js';
export { verifyExport } from './verify-export.js';
export type { VerifyExportOptions, VerifyExportResult } from './verify-export.js';
export { loadVerifiers, originOf } from './cli-verify.js';
export { parseTlogProof, verifyTlogProof, formatTlogProof } from './tlog-proof.js';
export { canonicalBytes } from './jcs.js';
export type { StoredEntry, StoredCheckpoint, EntryFilter } from './store-reader.js';
export type { StoreFormat } from './store-schema.js';
export { chronCommand, CHRON_HELP } from './cli.js';
export type { CliIo } from './cli.js';
