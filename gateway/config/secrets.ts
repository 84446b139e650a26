import { readFileSync } from 'node:fs';
import type { UpstreamConfig } from './types.js';
import type { ConfigProblem, YamlSource } from './yaml-source.js';

/**
 * Reads each upstream's injected credential from its env var or file, once, at load.
 * Problems name the variable or file, never a value. A file's single trailing newline is removed.
 * Returns upstream name → header value (format with {secret} filled in); held in memory only.
 */
export function resolveSecrets(src: YamlSource, upstreams: readonly UpstreamConfig[], env: NodeJS.ProcessEnv, problems: ConfigProblem[]): Map<string, string> {
  const out = new Map<string, string>();
  upstreams.forEach((u, i) => {
    const at = src.locate(['upstreams', i, 'credential']);
    let secret: string | undefined;
    if ('env' in u.credential.source) {
      secret = env[u.credential.source.env];
      if (!secret) { problems.push({ ...at, code: 'ERR_CONFIG_SECRET_SOURCE', message: `environment variable ${envNameForMessage(u.credential.source.env)} is not set or empty` }); return; }
    } else {
      try {
        secret = readFileSync(u.credential.source.file, 'utf8').replace(/\r?\n$/, '');
      } catch (err) {
        problems.push({ ...at, code: 'ERR_CONFIG_SECRET_SOURCE', message: `cannot read credential file "${u.credential.source.file}" (${(err as NodeJS.ErrnoException).code ?? 'EIO'})` });
        return;
      }
      if (!secret) { problems.push({ ...at, code: 'ERR_CONFIG_SECRET_SOURCE', message: `credential file "${u.credential.source.file}" is empty` }); return; }
    }
    // A header value with CR/LF or other controls would split the upstream request.
    if (/[\u0000-\u001f\u007f]/.test(secret)) { problems.push({ ...at, code: 'ERR_CONFIG_SECRET_SOURCE', message: 'credential contains control characters' }); return; }
    // A function, not a string: `$$`, `$&`, `$'` in a secret are not replacement patterns.
    const value = secret;
    out.set(u.name, u.credential.format.replace('{secret}', () => value));
  });
  return out;
}

/**
 * The env var name as problems show it: a conventional name (upper case, digits, `_`) as is; anything else
 * may be a secret pasted where its variable's name belongs (`ghp_…` is a valid name), so it is not echoed.
 */
function envNameForMessage(name: string): string {
  return /^[A-Z_][A-Z0-9_]{0,63}$/.test(name) ? name : '(named in credential.env, not shown: not an upper-case variable name — is it the secret itself?)';
}
