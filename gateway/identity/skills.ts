import semver from 'semver';
import { IdentityError } from './errors.js';
import { deny, type AgentSkillRange, type AuthFailure, type IdentityAgent } from './types.js';

/** A skill name: lower-case letters, digits, ".", "_", "-", starting with a letter or digit (as in config). */
const SKILL_NAME = /^[a-z0-9][a-z0-9._-]{0,127}$/;

/** An agent's skills with each range parsed once. */
export interface CompiledAgent { readonly id: string; readonly skills: readonly { readonly name: string; readonly range: semver.Range }[] }

/** The skill a verified token carries, or no skill, or the deny. */
export type SkillResult = { readonly ok: true; readonly skill?: { readonly name: string; readonly version: string } } | AuthFailure;

/**
 * Parses every agent's skill ranges once (npm semver syntax). Throws ERR_IDENTITY_AGENT on a duplicate
 * agent id or a range semver cannot parse.
 */
export function compileAgents(agents: readonly IdentityAgent[]): ReadonlyMap<string, CompiledAgent> {
  const out = new Map<string, CompiledAgent>();
  for (const a of agents) {
    if (out.has(a.id)) throw new IdentityError('ERR_IDENTITY_AGENT', `agent "${a.id}" is registered twice`);
    out.set(a.id, Object.freeze({ id: a.id, skills: Object.freeze(a.skills.map((s) => compileRange(a.id, s))) }));
  }
  return out;
}

function compileRange(agent: string, s: AgentSkillRange): { name: string; range: semver.Range } {
  try {
    return { name: s.name, range: new semver.Range(s.range) };
  } catch (cause) {
    throw new IdentityError('ERR_IDENTITY_AGENT', `agent "${agent}": skill "${s.name}" range "${s.range}" is not a semver range`, { cause });
  }
}

/**
 * Checks the verified "skill" claim against the agent's allowed skills.
 * Absent claim: allowed only if the agent configures no skills, else `skill_missing`.
 * Present: must be a string `name@version` with a name as in config and a version that is a valid
 * semver in canonical form ("1.4.2", "2.0.0-rc.1"; not "v1.4.2", not "1.4") else `skill_invalid`;
 * the version must satisfy one of the agent's ranges for that name, else `skill_not_allowed`.
 * Pre-release versions match only ranges that name a pre-release of the same tuple (semver default).
 */
export function checkSkill(agent: CompiledAgent, claim: unknown): SkillResult {
  if (claim === undefined) return agent.skills.length > 0 ? deny('skill_missing') : { ok: true };
  if (typeof claim !== 'string') return deny('skill_invalid');
  const at = claim.indexOf('@');
  if (at <= 0) return deny('skill_invalid');
  const name = claim.slice(0, at);
  const version = claim.slice(at + 1);
  const parsed = semver.parse(version);
  if (!SKILL_NAME.test(name) || parsed === null || parsed.version !== version) return deny('skill_invalid');
  const allowed = agent.skills.some((s) => s.name === name && s.range.test(parsed));
  return allowed ? { ok: true, skill: { name, version } } : deny('skill_not_allowed');
}
