import { openChronReadonly } from './chron.js';
import { type CliIo, integer, optional, required, runSubcommand } from './cli-common.js';
import type { EntryFilter, StoredEntry } from './store-reader.js';
import { toHex } from './merkle-hash.js';

/** Usage of `claiim chron show`. */
export const SHOW_HELP = `Usage: claiim chron show --db FILE [--agent A] [--effect allow|deny] [--rule ID]
                         [--since ISO] [--until ISO] [--from N] [--to M] [--limit N] [--json]

Lists entries (read-only) as a table, or with --json one object per line:
{"index", "leaf_hash", "record"}. Filters match the record's "agent" (or "agent.id"),
"effect" (case-insensitive), "rule_id" and "time" (ISO-8601, since inclusive, until exclusive).

Options:
  --db FILE      Chron SQLite database
  --limit N      at most N entries (default 100)
  --json         JSON lines instead of a table
  -h, --help     this text
`;

/** `claiim chron show`: exit 0 with the matching entries. */
export function showCommand(argv: readonly string[], io: CliIo): Promise<number> {
  return runSubcommand('show', SHOW_HELP, argv, io, {
    db: { type: 'string' }, agent: { type: 'string' }, effect: { type: 'string' }, rule: { type: 'string' },
    since: { type: 'string' }, until: { type: 'string' }, from: { type: 'string' }, to: { type: 'string' },
    limit: { type: 'string' }, json: { type: 'boolean' },
  }, async (p) => {
    const log = openChronReadonly(required(p, 'db'));
    try {
      const f: EntryFilter = { limit: integer(p, 'limit') ?? 100 };
      for (const k of ['agent', 'effect', 'rule', 'since', 'until'] as const) {
        const v = optional(p, k);
        if (v !== undefined) f[k] = v;
      }
      const from = integer(p, 'from');
      const to = integer(p, 'to');
      if (from !== undefined) f.from = from;
      if (to !== undefined) f.to = to;
      const rows = log.find(f);
      if (p.values.json === true) {
        for (const e of rows) io.stdout.write(`${JSON.stringify({ index: e.index, leaf_hash: toHex(e.leafHash), record: JSON.parse(e.data.toString('utf8')) as unknown })}\n`);
      } else {
        io.stdout.write(table(rows));
      }
      return 0;
    } finally {
      await log.close();
    }
  });
}

function table(rows: StoredEntry[]): string {
  const head = ['INDEX', 'TIME', 'TYPE', 'AGENT', 'EFFECT', 'RULE', 'REASON'];
  const body = rows.map((e) => {
    const r = JSON.parse(e.data.toString('utf8')) as Record<string, unknown>;
    const agent = typeof r.agent === 'object' && r.agent !== null ? (r.agent as Record<string, unknown>).id : r.agent;
    return [String(e.index), r.time, r.type, agent, r.effect, r.rule_id, r.reason].map((v) => (typeof v === 'string' || typeof v === 'number' ? String(v) : '-'));
  });
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => (b[i] as string).length)));
  const fmt = (cells: string[]): string => `${cells.map((c, i) => c.padEnd(widths[i] as number)).join('  ').trimEnd()}\n`;
  return [head, ...body].map(fmt).join('');
}
