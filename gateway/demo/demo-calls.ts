/** One printed demo call: which agent, what it should do, and the curl line. */
export interface DemoCall { readonly agent: string; readonly expect: string; readonly status: number; readonly method: string; readonly path: string; readonly body?: string; readonly curl: string }

const CALLS: readonly Omit<DemoCall, 'curl'>[] = [
  { agent: 'code-review', expect: 'ALLOW (200) read a pull request', status: 200, method: 'GET', path: '/github/repos/acme/app/pulls/7' },
  { agent: 'code-review', expect: 'DENY (403, rule gh-no-merge) merge it', status: 403, method: 'PUT', path: '/github/repos/acme/app/pulls/7/merge', body: '{"merge_method":"squash"}' },
  { agent: 'devops', expect: 'ALLOW (200) list staging deployments', status: 200, method: 'GET', path: '/deploy/apis/apps/v1/namespaces/staging/deployments' },
  { agent: 'devops', expect: 'DENY (403, rule k8s-no-delete) delete a production deployment', status: 403, method: 'DELETE', path: '/deploy/apis/apps/v1/namespaces/production/deployments/web' },
  { agent: 'support', expect: 'ALLOW (200) read a ticket', status: 200, method: 'GET', path: '/zendesk/api/v2/tickets/42.json' },
  { agent: 'support', expect: 'DENY (403, default_deny) create a ticket', status: 403, method: 'POST', path: '/zendesk/api/v2/tickets', body: '{"ticket":{"subject":"hi","comment":{"body":"hello"}}}' },
  { agent: 'finance-reporting', expect: 'ALLOW (200) read the balance', status: 200, method: 'GET', path: '/stripe/v1/balance' },
  { agent: 'finance-reporting', expect: 'DENY (403, aiorg_boundary) reach GitHub across the finance wall', status: 403, method: 'GET', path: '/github/repos/acme/app/pulls/7' },
  { agent: 'privileged-infra', expect: 'ALLOW (200) read a workspace', status: 200, method: 'GET', path: '/terraform/api/v2/workspaces/ws-prod' },
  { agent: 'privileged-infra', expect: 'DENY (403, approval_required) apply a run without an approved change order', status: 403, method: 'POST', path: '/terraform/api/v2/runs/run-1/actions/apply' },
];

/** The demo's curl lines against `baseUrl`, each with the token of its agent. Also used by the demo test. */
export function demoCalls(baseUrl: string, tokens: Readonly<Record<string, string>>, caFile?: string): DemoCall[] {
  return CALLS.map((c) => {
    const parts = ['curl -sS -i', caFile ? `--cacert '${caFile}'` : '', c.method === 'GET' ? '' : `-X ${c.method}`, `-H 'Authorization: Bearer ${tokens[c.agent] ?? ''}'`];
    if (c.body) parts.push(`-H 'Content-Type: application/json' -d '${c.body}'`);
    parts.push(`'${baseUrl}${c.path}'`);
    return { ...c, curl: parts.filter(Boolean).join(' ') };
  });
}

/** The demo's admin identities for approvals (docs/approvals.md): one operator who asks, two admins who approve. */
export const DEMO_ADMINS = [
  { sub: 'oscar@acme.example', role: 'operator' },
  { sub: 'alice@acme.example', role: 'admin' },
  { sub: 'bob@acme.example', role: 'admin' },
] as const;

/**
 * The two-person approval walk-through, as shell lines to paste in order: the operator asks for a session
 * covering `terraform/tf-apply-run` (rule tf-apply-run of upstream terraform) for privileged-infra (the session id goes into $SID), two admins approve it on
 * the admin listener, then the agent's apply — denied without a session in the calls above — is allowed
 * with `x-claiim-approval-session: $SID`. `adminTokens` are in DEMO_ADMINS order. Also run by the demo test.
 */
export function demoApprovalScript(agentUrl: string, adminUrl: string, agentToken: string, adminTokens: readonly string[], caFile?: string): string[] {
  const json = (token: string, body: string): string => `curl -sS -X POST -H 'Authorization: Bearer ${token}' -H 'Content-Type: application/json' -d '${body}'`;
  const ask = JSON.stringify({ agent: 'privileged-infra', scope: ['terraform/tf-apply-run'], reason: 'CHG-1234: apply the reviewed plan of run-1', ttl_s: 3600, max_uses: 1 });
  const sessionId = 'node -e \'let s="";process.stdin.on("data",(d)=>{s+=d}).on("end",()=>process.stdout.write(JSON.parse(s).session.session_id))\'';
  return [
    `SID=$(${json(adminTokens[0] ?? '', ask)} '${adminUrl}/approvals' | ${sessionId}); echo "session $SID"`,
    `${json(adminTokens[1] ?? '', '{}')} "${adminUrl}/approvals/$SID/approve"; echo`,
    `${json(adminTokens[2] ?? '', '{}')} "${adminUrl}/approvals/$SID/approve"; echo`,
    ['curl -sS -i', caFile ? `--cacert '${caFile}'` : '', `-X POST -H 'Authorization: Bearer ${agentToken}' -H "x-claiim-approval-session: $SID"`,
      `'${agentUrl}/terraform/api/v2/runs/run-1/actions/apply'`].filter(Boolean).join(' '),
  ];
}
