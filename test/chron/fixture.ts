import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** Shape of test/fixtures/merkle-vectors.json (a copy of shared/chron/merkle-vectors.json). */
export interface MerkleVectors {
  leaves: { index: number; data_hex: string; leaf_hash_hex: string }[];
  roots: { tree_size: number; root_hex: string }[];
  complete_subtree_hashes: { levels: string[][] };
  inclusion_proofs: { id: string; leaf_index: number; tree_size: number; leaf_hash_hex: string; root_hex: string; proof_hex: string[] }[];
  consistency_proofs: { id: string; size1: number; size2: number; root1_hex: string; root2_hex: string; proof_hex: string[] }[];
  rfc6962_section_2_1_3_example: {
    nodes: Record<string, { range: [number, number]; hash_hex: string }>;
    audit_paths: { leaf_index: number; path: string[] }[];
    consistency_proofs: { size1: number; proof: string[] }[];
  };
  probes: {
    inclusion: { id: string; leaf_index: number; tree_size: number; leaf_hash_hex: string; root_hex: string; proof_hex: string[]; expected_valid: boolean }[];
    consistency: { id: string; size1: number; size2: number; root1_hex: string; root2_hex: string; proof_hex: string[]; expected_valid: boolean }[];
  };
  signed_notes: { id: string; text: string; signed_note: string; vkey: string; test_private_key?: string }[];
  checkpoints: { id: string; origin: string; tree_size: number; root_hex: string; body: string; vkey: string; test_private_key: string; signed_checkpoint: string; tlog_proof: string }[];
  jcs: { id: string; input_json: string; canonical: string; canonical_utf8_hex: string; leaf_hash_hex?: string }[];
}

/** The fixture, read from the source tree (tests run from dist/test/chron). */
export const vectors: MerkleVectors = JSON.parse(
  readFileSync(fileURLToPath(new URL('../../../test/fixtures/merkle-vectors.json', import.meta.url)), 'utf8'),
) as MerkleVectors;

/** Hex → bytes. */
export const hex = (s: string): Buffer => Buffer.from(s, 'hex');

/** The 8 published leaves as a SubtreeReader-backed in-memory tree for proof generation tests. */
export function leafData(): Buffer[] {
  return vectors.leaves.map((l) => hex(l.data_hex));
}
