import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { REASONS, statusOf } from '../../gateway/reasons.js';

const docs = readFileSync(new URL('../../../docs/reasons.md', import.meta.url), 'utf8');

test('reasons – every reason in the table is documented in docs/reasons.md with its status', () => {
  for (const [reason, { status }] of Object.entries(REASONS)) {
    assert.ok(docs.includes(`| \`${reason}\` | ${status} |`), `docs/reasons.md lacks ${reason} (${status})`);
  }
});

test('reasons – statusOf maps known reasons and fails closed (403) on unknown ones', () => {
  assert.equal(statusOf('unknown_mount'), 404);
  assert.equal(statusOf('chron_unavailable'), 503);
  assert.equal(statusOf('something_new'), 403);
});
