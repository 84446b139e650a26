/**
 * Fixture of the `claiim rules` tests: a config with two upstreams, three agents and an included rule
 * file, written into a temp folder; and an io that collects what a command writes.
 */
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { TestContext } from 'node:test';
import { tempDir } from '../helpers/tmp.js';

const JWK = '{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}';

/** The main config. `github` rules come from rules/github.yaml; `stripe` rules are inline. */
export const CONFIG = `identity:
  issuers:
    - issuer: https://idp.test
      audience: gw
      algorithms: [EdDSA]
      key_files: [issuer.jwk]
aiorgs:
  - id: engineering
  - id: finance
upstreams:
  - name: github
    mount: /github
    target: https://api.github.com
    aiorgs: [engineering]
    path_case: insensitive
    credential: { header: authorization, format: "Bearer {secret}", env: RULES_CLI_TEST_GH_TOKEN }
  - name: stripe
    mount: /stripe
    target: https://api.stripe.com
    aiorgs: [finance]
    credential: { header: authorization, format: "Bearer {secret}", env: RULES_CLI_TEST_STRIPE_KEY }
agents:
  - id: code-review
    aiorg: engineering
    anchor: eng-lead@acme.example
  - id: devops
    aiorg: engineering
    anchor: ops-lead@acme.example
  - id: billing
    aiorg: finance
    anchor: cfo@acme.example
groups:
  engineers: [code-review, devops]
policies:
  - agents: [engineers]
    upstream: github
    include: [rules/github.yaml]
  - agents: [billing]
    upstream: stripe
    rules:
      - id: small-charges
        effect: allow
        match: { methods: [POST], path: /v1/charges, form: { amount: { lte: 10000 } } }
      - { id: read-charges, effect: allow, match: { methods: [GET], path: "/v1/charges/*" } }
`;

/** rules/github.yaml. */
export const GITHUB_RULES = `rules:
  - id: read-app
    effect: allow
    match: { methods: [GET], path: "/repos/acme/app/**" }
  - id: comment-only
    effect: allow
    match: { methods: [POST], path: "/repos/{owner}/{repo}/pulls/{n}/reviews", json: { event: COMMENT } }
  - id: no-merge
    effect: deny
    match: { path: "/repos/{owner}/{repo}/pulls/{n}/merge" }
  - id: issues-by-label
    effect: allow
    match: { methods: [GET], path: "/repos/acme/issues", query: { labels: bug } }
`;

/** rules/github.test.yaml: passing cases (agent and upstream inferred from the policy). */
export const GITHUB_CASES = `- name: read the app repo
  request: { method: GET, path: /repos/acme/app/pulls/7 }
  expect: { effect: allow, rule: read-app }
- name: merge is denied
  request: { method: PUT, path: /repos/ACME/app/pulls/7/merge }
  expect: { effect: deny, rule: no-merge, reason: denied_by_rule }
- request: { method: POST, path: /repos/acme/app/pulls/7/reviews, raw_json: '{"event":"COMMENT","event":"APPROVE"}' }
  expect: { refused: body_duplicate_key }
`;

/** A written fixture: the folder, the config path, and `write` to add or replace files. */
export interface RulesFixture { readonly dir: string; readonly config: string; write(name: string, text: string): string }

/** Writes the fixture into a fresh temp folder (removed after the test). `files` replace or add files. */
export function rulesFixture(t: TestContext, files: Record<string, string> = {}): RulesFixture {
  const tmp = tempDir(t);
  tmp.write('issuer.jwk', JWK);
  const all: Record<string, string> = { 'claiim.yaml': CONFIG, 'rules/github.yaml': GITHUB_RULES, 'rules/github.test.yaml': GITHUB_CASES, ...files };
  const write = (name: string, text: string): string => {
    mkdirSync(dirname(join(tmp.dir, name)), { recursive: true });
    return tmp.write(name, text);
  };
  for (const [n, v] of Object.entries(all)) write(n, v);
  return { dir: tmp.dir, config: `${tmp.dir}/claiim.yaml`, write };
}

/** An io that keeps what a command writes. */
export function captureIo(): { stdout: { write(s: string): boolean }; stderr: { write(s: string): boolean }; out(): string; err(): string } {
  let out = '';
  let err = '';
  return { stdout: { write: (s) => { out += s; return true; } }, stderr: { write: (s) => { err += s; return true; } }, out: () => out, err: () => err };
}
