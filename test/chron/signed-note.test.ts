import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openNote, signNote, splitNote } from '../../chron/signed-note.js';
import { parseVerifierKey, signerFromNoteKey } from '../../chron/keys.js';
import { openCheckpoint, signCheckpoint } from '../../chron/checkpoint.js';
import { parseTlogProof, verifyTlogProof } from '../../chron/tlog-proof.js';
import { canonicalBytes } from '../../chron/jcs.js';
import { leafHash, toHex } from '../../chron/merkle-hash.js';
import { hex, vectors } from './fixture.js';

test('parseVerifierKey – every published vkey → key id matches its name and key', () => {
  for (const n of [...vectors.signed_notes, ...vectors.checkpoints]) {
    const v = parseVerifierKey(n.vkey);
    assert.equal(`${v.name}+${v.keyId.toString(16).padStart(8, '0')}`, n.vkey.split('+').slice(0, 2).join('+'), n.id);
  }
});

test('parseVerifierKey – key id altered → ERR_CHRON_KEY', () => {
  const vkey = vectors.signed_notes[0]?.vkey ?? '';
  assert.throws(() => parseVerifierKey(vkey.replace('+c74f20a3+', '+c74f20a4+')), { code: 'ERR_CHRON_KEY' });
});

test('openNote – every published signed note → verifies with its vkey', () => {
  for (const n of vectors.signed_notes) {
    const opened = openNote(n.signed_note, [parseVerifierKey(n.vkey)]);
    assert.equal(opened.text, n.text, n.id);
  }
});

test('signNote – published test private key → the published signature byte for byte', () => {
  for (const n of vectors.signed_notes.filter((x) => x.test_private_key !== undefined)) {
    const signer = signerFromNoteKey(n.test_private_key as string);
    assert.equal(signer.vkey, n.vkey);
    assert.equal(signNote(n.text, [signer]), n.signed_note, n.id);
  }
});

test('openNote – text altered by one byte → ERR_CHRON_SIGNATURE', () => {
  const n = vectors.signed_notes[0];
  assert.ok(n);
  assert.throws(() => openNote(n.signed_note.replace('cryptography', 'cryptographY'), [parseVerifierKey(n.vkey)]), { code: 'ERR_CHRON_SIGNATURE' });
});

test('openNote – signed only by an unknown key → ERR_CHRON_SIGNATURE', () => {
  const [a, b] = vectors.signed_notes;
  assert.ok(a && b);
  assert.throws(() => openNote(a.signed_note, [parseVerifierKey(b.vkey)]), { code: 'ERR_CHRON_SIGNATURE' });
});

test('openNote – control character or missing blank line → ERR_CHRON_NOTE', () => {
  assert.throws(() => splitNote('a\tb\n\n\u2014 x AAAAAAA=\n'), { code: 'ERR_CHRON_NOTE' });
  assert.throws(() => splitNote('a\n\u2014 x AAAAAAA=\n'), { code: 'ERR_CHRON_NOTE' });
});

test('signCheckpoint – fixture checkpoint with the test key → published signed checkpoint, and it opens', () => {
  const c = vectors.checkpoints[0];
  assert.ok(c);
  const signer = signerFromNoteKey(c.test_private_key);
  assert.equal(signCheckpoint({ origin: c.origin, treeSize: c.tree_size, rootHash: hex(c.root_hex) }, [signer]), c.signed_checkpoint);
  const cp = openCheckpoint(c.signed_checkpoint, [parseVerifierKey(c.vkey)], c.origin);
  assert.equal(cp.treeSize, c.tree_size);
  assert.equal(toHex(cp.rootHash), c.root_hex);
});

test('openCheckpoint – expected origin differs → ERR_CHRON_ORIGIN', () => {
  const c = vectors.checkpoints[0];
  assert.ok(c);
  assert.throws(() => openCheckpoint(c.signed_checkpoint, [parseVerifierKey(c.vkey)], 'claiim.local/other'), { code: 'ERR_CHRON_ORIGIN' });
});

test('verifyTlogProof – fixture tlog-proof for leaf 5 → verifies; for leaf 4 → ERR_CHRON_PROOF', () => {
  const c = vectors.checkpoints[0];
  assert.ok(c);
  const leaf5 = hex(vectors.leaves[5]?.leaf_hash_hex ?? '');
  const r = verifyTlogProof(c.tlog_proof, leaf5, [parseVerifierKey(c.vkey)], c.origin);
  assert.equal(r.index, 5);
  assert.equal(parseTlogProof(c.tlog_proof).proof.length, 3);
  const leaf4 = hex(vectors.leaves[4]?.leaf_hash_hex ?? '');
  assert.throws(() => verifyTlogProof(c.tlog_proof, leaf4, [parseVerifierKey(c.vkey)], c.origin), { code: 'ERR_CHRON_PROOF' });
});

test('canonicalBytes – RFC 8785 vectors → exact canonical UTF-8 bytes (and leaf hash when given)', () => {
  for (const j of vectors.jcs) {
    const bytes = canonicalBytes(JSON.parse(j.input_json));
    assert.equal(bytes.toString('hex'), j.canonical_utf8_hex, j.id);
    if (j.leaf_hash_hex !== undefined) assert.equal(toHex(leafHash(bytes)), j.leaf_hash_hex, j.id);
  }
});

test('canonicalBytes – undefined, function, NaN, Date, bigint → ERR_CHRON_RECORD', () => {
  for (const bad of [{ a: undefined }, { a: () => 1 }, { a: NaN }, { a: new Date(0) }, { a: 1n }]) {
    assert.throws(() => canonicalBytes(bad), { code: 'ERR_CHRON_RECORD' });
  }
});

test('chron/README.md – every ChronError code is documented', async () => {
  const { readFileSync } = await import('node:fs');
  const { CHRON_ERROR_CODES } = await import('../../chron/errors.js');
  const readme = readFileSync(new URL('../../../chron/README.md', import.meta.url), 'utf8');
  for (const code of CHRON_ERROR_CODES) assert.ok(readme.includes(`\`${code}\``), code);
});
