/**
 * Public types of the policy engine: the rule specification the config loader hands in,
 * the request facts the gateway hands to `evaluate`, and the decision that comes back.
 * Semantics are stated in docs/rules.md; this file only names the shapes.
 */
import type { Explanation } from './explain.js';

/** A rule's effect. */
export type Effect = 'allow' | 'deny';

/** Methods a rule can name. The gateway refuses every other method before policy. */
export type HttpMethod = 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'OPTIONS';

/** Every method, in a fixed order (used to expand `methods: '*'`). */
export const HTTP_METHODS: readonly HttpMethod[] = Object.freeze(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

/**
 * A literal in a condition, as the YAML loader produced it. A `bigint` is accepted so that a loader
 * that reads integers as BigInt keeps them exact; a JS `number` that is an unsafe integer is rejected.
 */
export type Scalar = string | number | bigint | boolean | null;

/**
 * A test on one value (docs/rules.md "Tests"). A bare scalar means `{equals: scalar}`, a bare list
 * means `{in: list}`. Keys of an object are ANDed. `any`/`all` choose the quantifier over several
 * values; without them an allow rule needs all values to pass and a deny rule one (fail closed).
 */
export type TestSpec = Scalar | readonly Scalar[] | TestObjectSpec;

/** The object form of a test. */
export interface TestObjectSpec {
  equals?: Scalar; in?: readonly Scalar[]; not_in?: readonly Scalar[];
  exists?: boolean; missing?: boolean;
  gt?: number | bigint | string; gte?: number | bigint | string; lt?: number | bigint | string; lte?: number | bigint | string;
  glob?: string; regex?: string;
  any?: TestSpec; all?: TestSpec;
}

/** One root-field test of a GraphQL condition: operation type, root field name, arguments. */
export interface GraphqlFieldSpec {
  operation?: GraphqlOperationType | readonly GraphqlOperationType[];
  field?: string | readonly string[];
  args?: Readonly<Record<string, TestSpec>>;
}

/** A GraphQL condition: a field test with an explicit (`any`/`all`) or effect-default quantifier. */
export type GraphqlSpec = GraphqlFieldSpec | { any: GraphqlFieldSpec } | { all: GraphqlFieldSpec };

/** The skill condition: the JWT `skill` claim's name and a semver range its version must satisfy. */
export interface SkillSpec { name?: string | readonly string[]; version?: string }

/** What a rule matches (docs/rules.md "Match"). Every present key must hold. */
export interface MatchSpec {
  methods?: readonly HttpMethod[] | '*';
  /** Template: literal segments, `{name}` and `*` (one segment), a trailing `/**` (zero or more). */
  path: string;
  query?: Readonly<Record<string, TestSpec>>;
  headers?: Readonly<Record<string, TestSpec>>;
  /** JSON body fields by path (`ticket.comment.public`, `tickets[*].id`). */
  json?: Readonly<Record<string, TestSpec>>;
  /** Form-encoded body fields, Stripe bracket syntax (`metadata[order]`, `items[*][price]`). */
  form?: Readonly<Record<string, TestSpec>>;
  graphql?: GraphqlSpec;
  skill?: SkillSpec;
}

/** One rule as configured. */
export interface RuleSpec {
  id: string;
  effect: Effect;
  description?: string;
  match: MatchSpec;
  /** Default `enforce`. A shadow rule is evaluated and reported but never changes the outcome. */
  mode?: 'enforce' | 'shadow';
  /** An allow rule that matches only when `facts.approvedRuleIds` holds its id under its upstream. */
  requires?: 'approval';
}

/** The rules bound to some agents for one upstream. */
export interface PolicySpec { agents: readonly string[]; upstream: string; rules: readonly RuleSpec[] }

/** Per-upstream matching options. */
export interface UpstreamRulesOptions { name: string; pathCase?: 'sensitive' | 'insensitive' }

/** A configuration problem; `path` is relative to the rule (or to the policy when `rule` is absent). */
export interface CompileProblem {
  code: RuleProblemCode;
  policy: number;
  rule?: number;
  path: readonly (string | number)[];
  message: string;
}

/** Stable codes of compile problems (each is documented in docs/rules.md). */
export const RULE_PROBLEM_CODES = Object.freeze([
  'ERR_RULE_INVALID', 'ERR_RULE_UNKNOWN_KEY', 'ERR_RULE_DUPLICATE_ID', 'ERR_RULE_UPSTREAM_UNKNOWN',
  'ERR_RULE_PATH_INVALID', 'ERR_RULE_METHOD_INVALID', 'ERR_RULE_FIELD_PATH_INVALID', 'ERR_RULE_TEST_INVALID',
  'ERR_RULE_NUMBER_UNSAFE', 'ERR_RULE_REGEX_INVALID', 'ERR_RULE_SEMVER_INVALID', 'ERR_RULE_APPROVAL_ON_DENY',
  'ERR_RULE_BODY_KIND_CONFLICT',
] as const);
export type RuleProblemCode = typeof RULE_PROBLEM_CODES[number];

/** Which strict parse a body gets. */
export type BodyKind = 'json' | 'form' | 'graphql';

/** GraphQL operation types. */
export type GraphqlOperationType = 'query' | 'mutation' | 'subscription';

/**
 * A parsed body value. Numbers keep their exact source text (`num`), objects are Maps (no prototype
 * keys), so nothing is lost or invented between the bytes and the rules.
 */
export type BodyValue =
  | { readonly t: 'null' }
  | { readonly t: 'bool'; readonly v: boolean }
  | { readonly t: 'num'; readonly v: string }
  | { readonly t: 'str'; readonly v: string }
  | { readonly t: 'arr'; readonly v: readonly BodyValue[] }
  | { readonly t: 'obj'; readonly v: ReadonlyMap<string, BodyValue> };

/** One executed root field of a GraphQL operation, aliases resolved and variables substituted. */
export interface GraphqlRootField { readonly name: string; readonly alias?: string; readonly args: ReadonlyMap<string, BodyValue> }

/** One GraphQL operation that would execute. */
export interface GraphqlOperation { readonly type: GraphqlOperationType; readonly name?: string; readonly fields: readonly GraphqlRootField[] }

/** The operations a GraphQL request (single or batched) would execute. */
export interface GraphqlFacts { readonly operations: readonly GraphqlOperation[] }

/** The strict parse of a request body. `value` is undefined for an empty body. */
export interface BodyFacts {
  readonly kind: BodyKind;
  readonly value: BodyValue | undefined;
  /** Present for kind `graphql` with a non-empty body. */
  readonly graphql?: GraphqlFacts;
}

/** What the gateway knows about a request when it asks for a decision. */
export interface RequestFacts {
  agent: string;
  upstream: string;
  method: HttpMethod;
  /** Canonical path (already normalised by the gateway), starts with '/'; the mount prefix removed. */
  path: string;
  /** Decoded query pairs, in order. */
  query: readonly (readonly [string, string])[];
  /** Lower-case names, every value. */
  headers: Readonly<Record<string, readonly string[]>>;
  skill?: { name: string; version: string };
  /** Present only when `bodyNeed` said so and the body parsed. */
  body?: BodyFacts;
  /** The rules an approval session lifts `requires: approval` for; only `approvedRuleIds.get(upstream)` counts here. */
  approvedRuleIds?: ApprovedRules;
}

/**
 * Rules whose `requires: approval` is lifted, as upstream name → ids of that upstream's rules. Keyed by
 * upstream because a rule id is unique only per (agent, upstream) (ERR_RULE_DUPLICATE_ID): an id alone
 * does not name one rule, and approving `prod-change` of one upstream must not unlock `prod-change` of another.
 */
export type ApprovedRules = ReadonlyMap<string, ReadonlySet<string>>;

/** Stable reason strings of a decision (docs/rules.md "Decisions"). */
export const DECISION_REASONS = Object.freeze([
  'allowed_by_rule', 'allowed_by_approval', 'denied_by_rule', 'no_matching_rule', 'approval_required',
  'graphql_missing_query', 'graphql_mutation_via_get', 'graphql_duplicate_parameter', 'graphql_invalid',
  'graphql_operation_ambiguous', 'graphql_unknown_operation', 'graphql_persisted_query_unknown', 'graphql_persisted_query_mismatch',
] as const);
export type DecisionReason = typeof DECISION_REASONS[number];

/** A decision: a value, never an exception. `ruleId` is a rule id or `default_deny`. */
export interface Decision {
  effect: Effect;
  ruleId: string;
  reason: DecisionReason;
  /** Template parameters of the deciding rule (`{owner}` → value as sent). Empty for `default_deny`. */
  params: Readonly<Record<string, string>>;
  /** Every shadow rule that matched, in declaration order; never affects `effect`. */
  shadow: readonly { ruleId: string; effect: Effect }[];
}

/** A compiled, frozen, indexed rule set. */
export interface PolicySet {
  /** sha256 hex of the JCS (RFC 8785) form of the normalised rule set. */
  readonly digest: string;
  /**
   * Which body parse the rules of this (agent, upstream) need, or undefined if none reads the body.
   * With `method` and `path`, only the rules whose method and path template match are considered
   * (pass them: an upstream can mix JSON rules and a GraphQL endpoint).
   */
  bodyNeed(agent: string, upstream: string, method?: HttpMethod, path?: string): BodyKind | undefined;
  /** Pure; deny wins; default deny. Never throws. */
  evaluate(facts: RequestFacts): Decision;
  /** The decision plus every rule whose path matched and why it did or did not match (`claiim rules explain`). */
  explain(facts: RequestFacts): Explanation;
}
