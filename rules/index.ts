/**
 * The policy engine's public surface (docs/rules.md). Pure: compile once at config load, then
 * `evaluate` per request with no I/O. Never imports gateway/ or chron/.
 */
export type {
  Effect, HttpMethod, Scalar, TestSpec, TestObjectSpec, GraphqlFieldSpec, GraphqlSpec, SkillSpec, MatchSpec, RuleSpec,
  PolicySpec, UpstreamRulesOptions, CompileProblem, RuleProblemCode, BodyKind, BodyValue, BodyFacts, GraphqlOperationType,
  GraphqlRootField, GraphqlOperation, GraphqlFacts, RequestFacts, ApprovedRules, DecisionReason, Decision, PolicySet,
} from './types.js';
export { HTTP_METHODS, RULE_PROBLEM_CODES, DECISION_REASONS } from './types.js';
export { compilePolicySet, type CompileResult } from './compile.js';
export { parseBody, queryShadowsBody, BODY_REJECT_REASONS, type BodyRejectReason } from './parse-body.js';
export { parseJson } from './json-parse.js';
export { DIGEST_FORM } from './digest.js';
export { runPolicyCase, runPolicyCases, policyCaseSchema, type PolicyCase, type PolicyCaseRequest, type PolicyCaseExpect, type PolicyCaseResult } from './policy-cases.js';
export type { Explanation, RuleExplanation } from './explain.js';
