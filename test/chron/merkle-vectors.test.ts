import { test } from 'node:test';
import { createHash } from 'node:crypto';
import assert from 'node:assert/strict';
import { leafHash, leafHashOfInput, nodeHash, emptyRoot, toHex } from '../../chron/merkle-hash.js';
import { verifyConsistency, verifyInclusion } from '../../chron/merkle-verify.js';
import { consistencyProof, inclusionProof, treeRoot, type SubtreeReader } from '../../chron/merkle-proofs.js';
import { Frontier } from '../../chron/frontier.js';
import { isChronError } from '../../chron/errors.js';
import { hex, leafData, vectors } from './fixture.js';

/** An in-memory SubtreeReader over the fixture's published complete subtree hashes. */
const published: SubtreeReader = (level, index) => {
  const h = vectors.complete_subtree_hashes.levels[level]?.[index];
  if (h === undefined) throw new Error(`no subtree ${level}/${index}`);
  return hex(h);
};

test('leafHash – each published leaf → published leaf hash', () => {
  for (const l of vectors.leaves) assert.equal(toHex(leafHash(hex(l.data_hex))), l.leaf_hash_hex, `leaf ${l.index}`);
});

test('leafHashOfInput – 0x00 || each published leaf, hashed in place → published leaf hash; input without the 0x00 prefix → throws', () => {
  for (const l of vectors.leaves) {
    const data = hex(l.data_hex);
    const input = new Uint8Array(data.byteLength + 1);
    input.set(data, 1);
    assert.equal(toHex(leafHashOfInput(input)), l.leaf_hash_hex, `leaf ${l.index}`);
    if (data.byteLength > 0) assert.throws(() => leafHashOfInput(Uint8Array.of(0x01, ...data)), RangeError);
  }
  assert.throws(() => leafHashOfInput(new Uint8Array(0)), RangeError);
});

test('nodeHash – results stay intact across calls (its input buffer is reused); inputs of another length are hashed as given', () => {
  const a = Buffer.alloc(32, 0xaa);
  const b = Buffer.alloc(32, 0xbb);
  const ab = nodeHash(a, b);
  const ba = nodeHash(b, a);
  assert.equal(toHex(ab), createHash('sha256').update(Buffer.concat([Buffer.of(1), a, b])).digest('hex'));
  assert.equal(toHex(ba), createHash('sha256').update(Buffer.concat([Buffer.of(1), b, a])).digest('hex'));
  const short = Buffer.alloc(5, 0xcc);
  assert.equal(toHex(nodeHash(short, a)), createHash('sha256').update(Buffer.concat([Buffer.of(1), short, a])).digest('hex'));
});

test('treeRoot – every published tree size → published root', () => {
  for (const r of vectors.roots) {
    assert.equal(toHex(r.tree_size === 0 ? emptyRoot() : treeRoot(published, r.tree_size)), r.root_hex, `size ${r.tree_size}`);
  }
});

test('Frontier – appending the published leaves → every root and subtree hash matches', () => {
  const f = Frontier.empty();
  const seen = new Map<string, string>();
  assert.equal(toHex(f.root()), vectors.roots.find((r) => r.tree_size === 0)?.root_hex);
  for (const d of leafData()) {
    for (const s of f.append(leafHash(d))) seen.set(`${s.level}/${s.index}`, toHex(s.hash));
    const want = vectors.roots.find((r) => r.tree_size === f.size);
    if (want !== undefined) assert.equal(toHex(f.root()), want.root_hex, `size ${f.size}`);
  }
  vectors.complete_subtree_hashes.levels.forEach((level, l) => {
    if (l === 0) return;
    level.forEach((h, i) => assert.equal(seen.get(`${l}/${i}`), h, `subtree ${l}/${i}`));
  });
});

test('inclusionProof – published inclusion vectors → same proof, and it verifies', () => {
  for (const v of vectors.inclusion_proofs) {
    const p = inclusionProof(published, v.leaf_index, v.tree_size);
    assert.deepEqual(p.map(toHex), v.proof_hex, v.id);
    verifyInclusion(v.leaf_index, v.tree_size, hex(v.leaf_hash_hex), p, hex(v.root_hex));
  }
});

test('consistencyProof – published consistency vectors → same proof, and it verifies', () => {
  for (const v of vectors.consistency_proofs) {
    const p = consistencyProof(published, v.size1, v.size2);
    assert.deepEqual(p.map(toHex), v.proof_hex, v.id);
    verifyConsistency(v.size1, v.size2, hex(v.root1_hex), hex(v.root2_hex), p);
  }
});

test('RFC 6962 §2.1.3 example – symbolic audit paths and consistency proofs → generated exactly', () => {
  const ex = vectors.rfc6962_section_2_1_3_example;
  const node = (name: string): string => {
    const n = ex.nodes[name];
    assert.ok(n, name);
    return n.hash_hex;
  };
  for (const a of ex.audit_paths) assert.deepEqual(inclusionProof(published, a.leaf_index, 7).map(toHex), a.path.map(node), `path ${a.leaf_index}`);
  for (const c of ex.consistency_proofs) assert.deepEqual(consistencyProof(published, c.size1, 7).map(toHex), c.proof.map(node), `proof ${c.size1}`);
  assert.equal(toHex(nodeHash(hex(node('g')), hex(node('h')))), node('k'));
});

const outcome = (f: () => void): boolean | string => {
  try {
    f();
    return true;
  } catch (err) {
    if (!isChronError(err)) return `non-Chron error: ${String(err)}`;
    return false;
  }
};

test('verifyInclusion – every transparency-dev probe → expected verdict', () => {
  assert.ok(vectors.probes.inclusion.length > 90);
  for (const p of vectors.probes.inclusion) {
    const got = outcome(() => verifyInclusion(p.leaf_index, p.tree_size, hex(p.leaf_hash_hex), p.proof_hex.map(hex), hex(p.root_hex)));
    assert.equal(got, p.expected_valid, p.id);
  }
});

test('verifyConsistency – every transparency-dev probe → expected verdict', () => {
  assert.ok(vectors.probes.consistency.length > 90);
  for (const p of vectors.probes.consistency) {
    const got = outcome(() => verifyConsistency(p.size1, p.size2, hex(p.root1_hex), hex(p.root2_hex), p.proof_hex.map(hex)));
    assert.equal(got, p.expected_valid, p.id);
  }
});

test('verifyInclusion – tree size above 2^53-1 → ERR_CHRON_RANGE', () => {
  assert.throws(() => verifyInclusion(0, 2 ** 53, hex(vectors.leaves[0]?.leaf_hash_hex ?? ''), [], hex(vectors.roots[1]?.root_hex ?? '')), { code: 'ERR_CHRON_RANGE' });
  assert.throws(() => verifyConsistency(1, 2 ** 53 + 2, Buffer.alloc(32), Buffer.alloc(32), [Buffer.alloc(32)]), { code: 'ERR_CHRON_RANGE' });
});

test('verifyInclusion – large tree, last leaf, proof built from a frontier → verifies; flipped bit → ERR_CHRON_PROOF', () => {
  const f = Frontier.empty();
  const store = new Map<string, Uint8Array>();
  const n = 1000;
  for (let i = 0; i < n; i++) {
    const h = leafHash(Buffer.from(`e${i}`));
    store.set(`0/${i}`, h);
    for (const s of f.append(h)) store.set(`${s.level}/${s.index}`, s.hash);
  }
  const read: SubtreeReader = (l, i) => store.get(`${l}/${i}`) ?? assert.fail(`missing ${l}/${i}`);
  assert.deepEqual(treeRoot(read, n), f.root());
  for (const idx of [0, 511, 512, 998, 999]) verifyInclusion(idx, n, read(0, idx), inclusionProof(read, idx, n), f.root());
  for (const m of [1, 2, 3, 500, 512, 513, 999]) verifyConsistency(m, n, treeRoot(read, m), f.root(), consistencyProof(read, m, n));
  const bad = inclusionProof(read, 700, n);
  const b = bad[2] as Buffer;
  b.writeUInt8(b.readUInt8(0) ^ 1, 0);
  assert.throws(() => verifyInclusion(700, n, read(0, 700), bad, f.root()), { code: 'ERR_CHRON_PROOF' });
});
