import test from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { runPolicyCases } from '../../rules/index.js';
import { compilePack, packCases, PACKS, PACKS_DIR } from './packs.js';

for (const pack of PACKS) {
  test(`pack ${pack.name} – every rules.test.yaml case → passes`, () => {
    const set = compilePack(pack);
    const cases = packCases(pack.name);
    assert.ok(cases.length >= 8, 'a pack ships a real set of cases');
    const failed = runPolicyCases(set, cases).filter((r) => !r.passed).map((r) => `${r.name}: ${r.failures.join('; ')}`);
    assert.deepEqual(failed, []);
  });

  test(`pack ${pack.name} – cases cover both effects and name only the pack's agent and upstream`, () => {
    const cases = packCases(pack.name);
    assert.ok(cases.some((c) => c.expect.effect === 'allow'));
    assert.ok(cases.some((c) => c.expect.effect === 'deny'));
    for (const c of cases) assert.deepEqual([c.agent, c.upstream], [pack.agent, pack.upstream]);
    assert.ok(existsSync(`${PACKS_DIR}${pack.name}/README.md`), 'README.md beside the rules');
  });
}
