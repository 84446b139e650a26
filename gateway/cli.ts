import { parseArgs } from 'node:util';
import { chronCommand } from '../chron/index.js';
import { approvalsCommand } from './approvals/index.js';
import { rulesCommand } from './rules-cli/index.js';
import { reportCommand } from './report/command.js';
import { loadConfig } from './config/load.js';
import { runDemo } from './demo/demo.js';
import { startGateway } from './gateway.js';
import { devTokenCommand } from './identity/index.js';
import { createLogger } from './log.js';

/** Streams a command writes to; injected so tests can run commands in-process. */
export interface CliIo { readonly stdout: NodeJS.WritableStream; readonly stderr: NodeJS.WritableStream }

const MAIN_HELP = `claiim — the policy gateway between AI agents and their tool APIs

Usage: claiim <command> [options]

Commands:
  start --config FILE       run the gateway (agent listener + admin listener)
  check --config FILE       load and validate a config, print every problem, exit 0 if valid
  demo                      run the embedded demo: five agents, fake upstreams, printed curl lines
  dev-token --key FILE --sub AGENT [--skill NAME@VER] [--ttl 1h] [--iss URL] [--aud AUD]
                            mint a token from a local private key (tests and the demo only)
  chron <export|verify|prove|verify-proof|checkpoint|show> …
                            export, verify and inspect the Chron audit log
  report --export DIR --vkey FILE --out report.html
                            verify an export offline and write the auditor's HTML report
  rules <check|test|explain|replay> …
                            validate, test, explain and replay policies (CI-friendly)
  approvals <request|approve|reject|revoke|list|show> …
                            two-person approval sessions, through the admin API

Run "claiim <command> --help" for the options of one command.
Exit codes: 0 ok, 1 runtime failure or failed verification, 2 bad usage or invalid config.
`;

const HELP: Record<string, string> = {
  start: `Usage: claiim start --config FILE

Loads FILE once (parse, validate, defaults, freeze). If any problem is found, prints every one of them as
file:line:column and exits 2 without starting anything. Otherwise starts the agent listener and the admin
listener, logging one JSON line per request to stdout. SIGINT/SIGTERM stop it cleanly (in-flight requests
finish, Chron is flushed and a final checkpoint signed).

Options:
  --config FILE   the gateway configuration (YAML, see docs/config.md)
  --help          show this help
`,
  check: `Usage: claiim check --config FILE

Loads and validates FILE exactly as "start" does (including included rule files, env/file credentials and
key files) and prints every problem as file:line:column: CODE message. Exit 0 when valid, 2 otherwise.

Options:
  --config FILE   the gateway configuration (YAML, see docs/config.md)
  --help          show this help
`,
  demo: `Usage: claiim demo [--data DIR] [--port N] [--admin-port N] [--no-tls]

Runs the embedded default: in-process fake GitHub, deploy (Kubernetes-style), Stripe, Zendesk and
Terraform APIs; the five agents of the mission; dev keys generated on first run into DIR/keys; dev TLS
certificates made on first run by certs/make-dev-certs.sh into certs/generated/; the Chron database in
DIR/chron.db; then prints ready-to-paste curl lines (one ALLOW and one DENY per agent).
Ctrl-C stops it cleanly.

Options:
  --data DIR        where keys, the generated config and the Chron database live (default: ./data)
  --port N          agent listener port (default 8443)
  --admin-port N    admin listener port (default 9443)
  --no-tls          serve the agent listener over plain HTTP (no dev certificates needed)
  --help            show this help
`,
};

/** Runs one CLI invocation and returns its exit code. `start` and `demo` resolve only when the gateway stops. */
export async function main(argv: readonly string[], io: CliIo): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') { io.stdout.write(MAIN_HELP); return command === undefined ? 2 : 0; }
  switch (command) {
    case 'start': return start(rest, io, true);
    case 'check': return start(rest, io, false);
    case 'demo': return demo(rest, io);
    case 'dev-token': return devTokenCommand(rest, io);
    case 'chron': return chronCommand(rest, io);
    case 'approvals': return approvalsCommand(rest, io);
    case 'rules': return rulesCommand(rest, io);
    case 'report': return reportCommand(rest, io);
    default:
      io.stderr.write(`claiim: unknown command "${command}"\n\n${MAIN_HELP}`);
      return 2;
  }
}

function parse(name: string, argv: readonly string[], options: Record<string, { type: 'string' | 'boolean' }>, io: CliIo): Record<string, string | boolean | undefined> | number {
  try {
    const { values } = parseArgs({ args: [...argv], options: { ...options, help: { type: 'boolean' } }, strict: true, allowPositionals: false });
    if (values.help) { io.stdout.write(HELP[name] ?? MAIN_HELP); return 0; }
    return values as Record<string, string | boolean | undefined>;
  } catch (err) {
    io.stderr.write(`claiim ${name}: ${(err as Error).message}\n\n${HELP[name] ?? ''}`);
    return 2;
  }
}

async function start(argv: readonly string[], io: CliIo, run: boolean): Promise<number> {
  const name = run ? 'start' : 'check';
  const opts = parse(name, argv, { config: { type: 'string' } }, io);
  if (typeof opts === 'number') return opts;
  if (typeof opts.config !== 'string') { io.stderr.write(`claiim ${name}: --config FILE is required\n`); return 2; }
  const loaded = loadConfig(opts.config);
  if (!loaded.ok) {
    io.stderr.write(`claiim: ${loaded.problems.length} problem(s) in the configuration:\n`);
    for (const p of loaded.problems) io.stderr.write(`  ${p.file}:${p.line}:${p.col}: ${p.code} ${p.message}\n`);
    return 2;
  }
  if (!run) { io.stdout.write(`${loaded.config.file}: valid (policy digest ${loaded.policySet.digest})\n`); return 0; }
  const log = createLogger();
  const gw = await startGateway(loaded.config, loaded.policySet, loaded.secrets, log, { sources: loaded.sources });
  process.on('SIGHUP', () => { void gw.reload(); });
  log.info({
    msg: 'started', agent_listener: gw.agentUrl, admin_listener: gw.adminUrl, policy_digest: loaded.policySet.digest,
    chron_store_format: gw.chron.storeFormat, chron_tree_size: gw.chron.treeSize(),
  });
  await untilSignal(() => gw.close());
  return 0;
}

async function demo(argv: readonly string[], io: CliIo): Promise<number> {
  const opts = parse('demo', argv, { data: { type: 'string' }, port: { type: 'string' }, 'admin-port': { type: 'string' }, 'no-tls': { type: 'boolean' } }, io);
  if (typeof opts === 'number') return opts;
  const port = Number(opts.port ?? 8443);
  const adminPort = Number(opts['admin-port'] ?? 9443);
  if (!Number.isInteger(port) || !Number.isInteger(adminPort) || port < 0 || adminPort < 0 || port > 65535 || adminPort > 65535) { io.stderr.write('claiim demo: --port and --admin-port must be integers 0–65535\n'); return 2; }
  const running = await runDemo({ dataDir: typeof opts.data === 'string' ? opts.data : 'data', port, adminPort, tls: opts['no-tls'] !== true, io });
  if (typeof running === 'number') return running;
  await untilSignal(() => running.close());
  return 0;
}

/** Waits for SIGINT/SIGTERM, then runs `stop` once; a second signal exits at once. */
function untilSignal(stop: () => Promise<void>): Promise<void> {
  return new Promise((resolve) => {
    let stopping = false;
    const onSignal = (): void => {
      if (stopping) process.exit(1);
      stopping = true;
      void stop().then(resolve, () => process.exit(1));
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
}
