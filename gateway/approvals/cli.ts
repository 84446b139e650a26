import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

/** Streams a command writes to (injected so tests run it in-process). */
export interface ApprovalsIo { readonly stdout: { write(s: string): unknown }; readonly stderr: { write(s: string): unknown } }

const COMMON = `Connection (every subcommand):
  --admin URL         the gateway's admin listener, e.g. http://127.0.0.1:9443 (or env CLAIIM_ADMIN_URL)
  --token-file FILE   file holding the admin JWT (preferred: a token on the command line shows in ps)
  --token JWT         the admin JWT (or env CLAIIM_ADMIN_TOKEN)
  --json              print the API's JSON answer instead of text
  --help              show this help
`;

/** Help text of `claiim approvals` and of each subcommand. */
export const APPROVALS_HELP: Record<string, string> = {
  '': `Usage: claiim approvals <request|approve|reject|revoke|list|show> [options]

Two-person approval sessions (docs/approvals.md), through the gateway's admin API.
  request   open a session for one agent: --agent, --scope UPSTREAM/RULE, --reason [--change-ref] [--ttl] [--max-uses]
  approve   approve a session (an admin of the agent's aiorg, not the requester; two distinct admins activate it)
  reject    reject a pending session (one reject ends it)
  revoke    end a pending or active session now
  list      list sessions [--agent A] [--state pending|active|exhausted|rejected|revoked|expired]
  show      one session with every step and its Chron index

Run "claiim approvals <subcommand> --help" for its options.
Exit codes: 0 ok, 1 the gateway refused or could not be reached, 2 bad usage.
`,
  request: `Usage: claiim approvals request --agent AGENT --scope UPSTREAM/RULE[,UPSTREAM/RULE…] --reason TEXT [--change-ref REF] [--ttl 2h] [--max-uses N]

Opens a pending session. --scope names rules marked "requires: approval" for the agent, each as
UPSTREAM/RULE (repeatable or comma-separated); a bare RULE is accepted when only one upstream of the
agent has it, and is recorded as UPSTREAM/RULE. --ttl is how long the session lives from now (s, m or
h suffix; capped by the gateway's approvals.max_ttl_s). Prints the session id the agent sends as
x-claiim-approval-session.

${COMMON}`,
  approve: `Usage: claiim approvals approve SESSION_ID [--note TEXT]\n\nCounts your approval; the second distinct admin activates the session.\n\n${COMMON}`,
  reject: `Usage: claiim approvals reject SESSION_ID [--note TEXT]\n\nRejects a pending session; it can never become active.\n\n${COMMON}`,
  revoke: `Usage: claiim approvals revoke SESSION_ID [--note TEXT]\n\nEnds a pending or active session at once; the next request relying on it is denied.\n\n${COMMON}`,
  list: `Usage: claiim approvals list [--agent AGENT] [--state STATE]\n\nLists the sessions of the aiorgs your token names.\n\n${COMMON}`,
  show: `Usage: claiim approvals show SESSION_ID\n\nShows one session and each lifecycle step with its Chron index.\n\n${COMMON}`,
};

const CONNECTION = { admin: { type: 'string' }, token: { type: 'string' }, 'token-file': { type: 'string' }, json: { type: 'boolean' }, help: { type: 'boolean' } } as const;
const OPTIONS = {
  request: { ...CONNECTION, agent: { type: 'string' }, scope: { type: 'string', multiple: true }, reason: { type: 'string' }, 'change-ref': { type: 'string' }, ttl: { type: 'string' }, 'max-uses': { type: 'string' } },
  approve: { ...CONNECTION, note: { type: 'string' } },
  reject: { ...CONNECTION, note: { type: 'string' } },
  revoke: { ...CONNECTION, note: { type: 'string' } },
  list: { ...CONNECTION, agent: { type: 'string' }, state: { type: 'string' } },
  show: CONNECTION,
} as const;

class Usage extends Error {}

/**
 * `claiim approvals …`: talks to the admin API over HTTP (global fetch) with an admin JWT.
 * Resolves to the exit code: 0 ok, 1 refused by the gateway or unreachable, 2 bad usage.
 * Never prints the token.
 */
export async function approvalsCommand(argv: readonly string[], io: ApprovalsIo): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === undefined || sub === '--help' || sub === '-h') { io.stdout.write(APPROVALS_HELP[''] ?? ''); return sub === undefined ? 2 : 0; }
  if (!(sub in OPTIONS)) { io.stderr.write(`claiim approvals: unknown subcommand "${sub}"\n\n${APPROVALS_HELP[''] ?? ''}`); return 2; }
  const name = sub as keyof typeof OPTIONS;
  try {
    const { values: v, positionals } = parseArgs({ args: [...rest], options: OPTIONS[name], strict: true, allowPositionals: true }) as { values: Record<string, string | string[] | boolean | undefined>; positionals: string[] };
    if (v.help === true) { io.stdout.write(APPROVALS_HELP[name] ?? ''); return 0; }
    const needsId = name === 'approve' || name === 'reject' || name === 'revoke' || name === 'show';
    if (positionals.length !== (needsId ? 1 : 0)) throw new Usage(needsId ? 'give exactly one SESSION_ID' : 'no positional arguments expected');
    const base = str(v.admin) ?? process.env.CLAIIM_ADMIN_URL;
    if (base === undefined) throw new Usage('--admin URL is required');
    const token = tokenOf(v);
    const id = positionals[0] ?? '';
    const call = async (method: string, path: string, body?: unknown): Promise<number> => {
      let res: Response;
      try {
        res = await fetch(new URL(path, base), { method, headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) }, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
      } catch (err) {
        io.stderr.write(`claiim approvals: cannot reach ${base}: ${(err as Error).message}\n`);
        return 1;
      }
      const data = await res.json().catch(() => ({})) as { error?: { code: string; message: string }; session?: Record<string, unknown>; sessions?: Record<string, unknown>[] };
      if (!res.ok) { io.stderr.write(`claiim approvals ${name}: ${res.status} ${data.error?.code ?? 'error'}: ${data.error?.message ?? ''}\n`); return 1; }
      io.stdout.write(v.json === true ? `${JSON.stringify(data, null, 2)}\n` : data.sessions ? listText(data.sessions) : sessionText(data.session ?? {}));
      return 0;
    };
    const note = str(v.note) !== undefined ? { note: str(v.note) } : {};
    switch (name) {
      case 'request': {
        const scope = ((v.scope as string[] | undefined) ?? []).flatMap((s) => s.split(',')).map((s) => s.trim()).filter(Boolean);
        if (str(v.agent) === undefined || scope.length === 0 || str(v.reason) === undefined) throw new Usage('--agent, --scope and --reason are required');
        const maxUses = str(v['max-uses']);
        if (maxUses !== undefined && !/^[1-9][0-9]{0,6}$/.test(maxUses)) throw new Usage('--max-uses must be a positive integer');
        return call('POST', '/approvals', {
          agent: str(v.agent), scope, reason: str(v.reason),
          ...(str(v['change-ref']) !== undefined ? { change_ref: str(v['change-ref']) } : {}),
          ...(str(v.ttl) !== undefined ? { ttl_s: seconds(str(v.ttl) as string) } : {}),
          ...(maxUses !== undefined ? { max_uses: Number(maxUses) } : {}),
        });
      }
      case 'list': {
        const q = new URLSearchParams();
        if (str(v.agent) !== undefined) q.set('agent', str(v.agent) as string);
        if (str(v.state) !== undefined) q.set('state', str(v.state) as string);
        return call('GET', `/approvals${q.size > 0 ? `?${q.toString()}` : ''}`);
      }
      case 'show': return call('GET', `/approvals/${encodeURIComponent(id)}`);
      default: return call('POST', `/approvals/${encodeURIComponent(id)}/${name}`, note);
    }
  } catch (err) {
    if (err instanceof Usage || (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      io.stderr.write(`claiim approvals ${name}: ${(err as Error).message}\n\n${APPROVALS_HELP[name] ?? ''}`);
      return 2;
    }
    throw err;
  }
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

function tokenOf(v: Record<string, unknown>): string {
  const file = str(v['token-file']);
  if (file !== undefined && str(v.token) !== undefined) throw new Usage('give --token or --token-file, not both');
  let token = str(v.token) ?? process.env.CLAIIM_ADMIN_TOKEN;
  if (file !== undefined) {
    try { token = readFileSync(file, 'utf8').trim(); } catch { throw new Usage(`cannot read --token-file ${file}`); }
  }
  if (token === undefined || token === '') throw new Usage('an admin token is required (--token-file, --token or CLAIIM_ADMIN_TOKEN)');
  if (!/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/.test(token)) throw new Usage('the admin token is not a compact JWT');
  return token;
}

function seconds(text: string): number {
  const m = /^([1-9][0-9]{0,6})([smh]?)$/.exec(text);
  if (!m) throw new Usage('--ttl must look like 900, 900s, 30m or 2h');
  return Number(m[1]) * (m[2] === 'h' ? 3600 : m[2] === 'm' ? 60 : 1);
}

function sessionText(s: Record<string, unknown>): string {
  const lines = [
    `session  ${String(s.session_id)}`,
    `state    ${String(s.state)}`,
    `agent    ${String(s.agent)} (aiorg ${String(s.aiorg)}, anchor ${String(s.anchor)})`,
    `scope    ${(s.scope as string[] | undefined)?.join(', ') ?? ''}`,
    `reason   ${String(s.reason)}${s.change_ref ? ` [${String(s.change_ref)}]` : ''}`,
    `expires  ${String(s.expires_at)}`,
    `uses     ${String(s.uses)}${s.max_uses !== null ? ` of ${String(s.max_uses)}` : ''}`,
    `by       ${String(s.requester)}; approvers: ${(s.approvers as string[] | undefined)?.join(', ') || '(none yet)'}`,
  ];
  for (const st of (s.steps as Record<string, unknown>[] | undefined) ?? []) lines.push(`  #${String(st.chron_index)} ${String(st.time)} ${String(st.event)}${st.actor ? ` by ${String(st.actor)}` : ''}`);
  return `${lines.join('\n')}\n`;
}

function listText(list: Record<string, unknown>[]): string {
  if (list.length === 0) return 'no sessions\n';
  return list.map((s) => `${String(s.session_id)}  ${String(s.state).padEnd(9)} ${String(s.agent)}  ${(s.scope as string[]).join(',')}  expires ${String(s.expires_at)}\n`).join('');
}
