import assert from 'node:assert/strict';
import { test } from 'node:test';
import { newId } from '../../gateway/records.js';

const V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

test('newId: an RFC 9562 UUIDv7 whose first 48 bits are the current Unix time in ms', () => {
  const before = Date.now();
  const id = newId();
  const after = Date.now();
  assert.match(id, V7);
  const ms = parseInt(id.replace(/-/g, '').slice(0, 12), 16);
  assert.ok(ms >= before && ms <= after, `timestamp ${ms} outside [${before}, ${after}]`);
});

test('newId: ids are unique, and ids of later milliseconds sort after earlier ones (Chron record_id index stays append-only)', async () => {
  const first = Array.from({ length: 2000 }, newId);
  assert.equal(new Set(first).size, first.length);
  await new Promise((r) => setTimeout(r, 3));
  const later = newId();
  for (const id of first) assert.ok(id < later, `${id} should sort before ${later}`);
});
