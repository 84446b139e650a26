import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Ajv } from 'ajv';
import { APPROVALS_DEFAULTS, approvalsConfigFromRaw, approvalsConfigSchema } from '../../gateway/approvals/index.js';

const validate = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true }).compile(approvalsConfigSchema);
const admins = { issuer: 'https://idp.acme.example/admins', audience: 'claiim-admin', algorithms: ['EdDSA'], key_files: ['keys/admin.jwk'] };

test('approvals config – minimal section → defaults applied, key files resolved, frozen', () => {
  assert.equal(validate({ admins }), true);
  const c = approvalsConfigFromRaw({ admins }, (p) => `/etc/claiim/${p}`);
  assert.equal(c.maxTtlS, APPROVALS_DEFAULTS.maxTtlS);
  assert.equal(c.defaultTtlS, APPROVALS_DEFAULTS.defaultTtlS);
  assert.equal(c.maxUses, undefined);
  assert.deepEqual(c.admins, { issuer: admins.issuer, audience: ['claiim-admin'], algorithms: ['EdDSA'], keyFiles: ['/etc/claiim/keys/admin.jwk'], roleClaim: 'claiim_role', aiorgsClaim: 'claiim_aiorgs' });
  assert.equal(Object.isFrozen(c) && Object.isFrozen(c.admins), true);
});

test('approvals config – unknown keys, HS256, ttl below a minute, missing admins → schema errors', () => {
  for (const bad of [{ admins, max_ttl: 60 }, { admins: { ...admins, algorithms: ['HS256'] } }, { admins, max_ttl_s: 59 }, {}, { admins: { ...admins, key_files: [] } }, { admins: { ...admins, colour: 'x' } }]) {
    assert.equal(validate(bad), false, JSON.stringify(bad));
  }
});

test('approvals config – default_ttl_s above max_ttl_s → ERR_APPROVAL_CONFIG; only a small max → default follows it', () => {
  assert.throws(() => approvalsConfigFromRaw({ admins, max_ttl_s: 600, default_ttl_s: 900 }, (p) => p), { code: 'ERR_APPROVAL_CONFIG' });
  assert.equal(approvalsConfigFromRaw({ admins, max_ttl_s: 600 }, (p) => p).defaultTtlS, 600);
  assert.equal(approvalsConfigFromRaw({ admins, max_uses: 10 }, (p) => p).maxUses, 10);
});
