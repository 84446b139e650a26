/**
 * `claiim rules replay`: reads the decision entries of a Chron database read-only, decides each again
 * with a candidate policy (replay-entry.ts) and lists the decisions that would change, the entries that
 * cannot be replayed (and what they would need), and a summary (issue 5 item 6).
 */
import { isChronError, openChronReadonly, type Chron } from '../../chron/index.js';
import { DEFAULT_CONFIG, EXIT, flag, loadForRules, parseCommand, reportLoadFailure, writeJson, type RulesIo } from './common.js';
import { REPLAY_HELP } from './help.js';
import { replayCandidate, replayEntry, type RecordedDecision, type Unrecorded } from './replay-entry.js';

const PAGE = 1000;

interface Row { readonly index: number; readonly time: string | null; readonly agent: string; readonly method: string; readonly upstream: string; readonly path: string }
interface Changed extends Row { readonly before: { effect: string; rule: string; reason: string }; readonly after: { effect: string; rule: string; reason: string } }
interface Unreplayable extends Row { readonly reads: readonly Unrecorded[] }

/**
 * Runs `claiim rules replay --chron DB [--config FILE] [--require-secrets] [--json]`.
 * Exit 0 when no replayed decision changes, 1 when some would, 2 for an invalid config, a database that
 * cannot be opened, or bad usage.
 */
export async function replayCommand(argv: readonly string[], io: RulesIo, env: NodeJS.ProcessEnv): Promise<number> {
  const p = parseCommand('replay', REPLAY_HELP, argv, io, {
    chron: { type: 'string' }, config: { type: 'string' }, 'require-secrets': { type: 'boolean' }, json: { type: 'boolean' },
  }, false);
  if (typeof p === 'number') return p;
  const db = flag(p, 'chron');
  if (db === undefined || db === '') { io.stderr.write(`claiim rules replay: --chron DB is required\n\n${REPLAY_HELP}`); return EXIT.usage; }
  const load = loadForRules(flag(p, 'config') ?? DEFAULT_CONFIG, env, p.values['require-secrets'] !== true);
  if (!load.ok) return reportLoadFailure('replay', load, io);
  let chron: Chron;
  try {
    chron = openChronReadonly(db);
  } catch (err) {
    if (!isChronError(err)) throw err;
    io.stderr.write(`${db}:0:0: ERR_RULES_CHRON ${err.code}: ${err.message}\n`);
    return EXIT.usage;
  }
  const candidate = replayCandidate(load.loaded.config, load.loaded.policySet);
  const changed: Changed[] = [];
  const unreplayable: Unreplayable[] = [];
  let replayed = 0;
  let skipped = 0;
  let decisions = 0;
  try {
    for (let from = 0; ; from += PAGE) {
      const page = chron.find({ from, to: from + PAGE, limit: PAGE });
      for (const e of page) {
        const rec = JSON.parse(e.data.toString('utf8')) as RecordedDecision;
        if (rec.type !== 'chron.decision/v1') continue;
        decisions++;
        const out = replayEntry(candidate, rec);
        const row: Row = { index: e.index, time: rec.time ?? null, agent: rec.agent ?? '', method: rec.method ?? '', upstream: rec.upstream ?? '', path: rec.path ?? '' };
        if (out.kind === 'skipped') skipped++;
        else if (out.kind === 'not_replayable') unreplayable.push({ ...row, reads: out.reads });
        else {
          replayed++;
          if (out.changed) changed.push({ ...row, before: { effect: rec.effect ?? '', rule: rec.rule_id ?? '', reason: rec.reason ?? '' }, after: { effect: out.after.effect, rule: out.after.ruleId, reason: out.after.reason } });
        }
      }
      if (from + PAGE >= chron.treeSize()) break;
    }
  } finally {
    await chron.close();
  }
  const summary = { decisions, replayed, changed: changed.length, not_replayable: unreplayable.length, skipped_before_policy: skipped, policy_digest: load.loaded.policySet.digest };
  if (p.values.json === true) writeJson(io, { summary, changed, not_replayable: unreplayable });
  else {
    const where = (r: Row): string => `#${r.index} ${r.time ?? '-'} ${r.agent} ${r.method} ${r.upstream} ${r.path}`;
    for (const c of changed) io.stdout.write(`CHANGED ${where(c)}: ${c.before.effect} (${c.before.rule}) → ${c.after.effect} (${c.after.rule}, ${c.after.reason})\n`);
    for (const u of unreplayable) io.stdout.write(`NOT REPLAYABLE ${where(u)}: reads ${u.reads.join(', ')}\n`);
    io.stdout.write(`${decisions} decision(s): ${replayed} replayed, ${changed.length} changed, ${unreplayable.length} not replayable, ${skipped} refused before policy (skipped)\n`);
  }
  return changed.length > 0 ? EXIT.failed : EXIT.ok;
}
