import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { exportJWK, generateKeyPair } from 'jose';
import { ChronError } from './errors.js';
import { checkKeyName, formatVerifierKey, noteKeyId, type NoteSigner, type NoteVerifier } from './signed-note.js';

/** An Ed25519 private key as a JWK (RFC 8037), with the note key name in `kid`. */
export interface SigningJwk { kty: 'OKP'; crv: 'Ed25519'; d: string; x: string; kid?: string }

/**
 * Writes a new Ed25519 private key as JWK JSON to `file` (mode 0600, parent created) unless the
 * file exists. `name` (the note key name; use the log origin) is stored as the JWK `kid`.
 * Generation uses jose; the key never appears in logs or messages.
 */
export async function generateSigningKey(file: string, name: string): Promise<void> {
  checkKeyName(name);
  await mkdir(dirname(file), { recursive: true });
  const { privateKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
  const jwk = { ...(await exportJWK(privateKey)), kid: name };
  try {
    await writeFile(file, `${JSON.stringify(jwk, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw new ChronError('ERR_CHRON_KEY', `cannot write signing key file ${file}`, { cause: err });
  }
}

/** Reads and checks a private JWK file. Throws ERR_CHRON_KEY (never echoing the key). */
export async function readSigningJwk(file: string): Promise<SigningJwk> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(file, 'utf8'));
  } catch (err) {
    throw new ChronError('ERR_CHRON_KEY', `signing key file ${file} must be readable JWK JSON`, { cause: err });
  }
  const j = parsed as Partial<SigningJwk>;
  if (j.kty !== 'OKP' || j.crv !== 'Ed25519' || typeof j.d !== 'string' || typeof j.x !== 'string') {
    throw new ChronError('ERR_CHRON_KEY', `signing key file ${file} must hold an Ed25519 private JWK ("kty":"OKP","crv":"Ed25519", "d", "x")`);
  }
  return { kty: 'OKP', crv: 'Ed25519', d: j.d, x: j.x, ...(typeof j.kid === 'string' ? { kid: j.kid } : {}) };
}

/**
 * Builds a note signer from a private JWK. The key name is `jwk.kid` when present, else
 * `fallbackName` (the origin). Checks that `x` matches `d`.
 */
export function signerFromJwk(jwk: SigningJwk, fallbackName: string): NoteSigner {
  const name = jwk.kid ?? fallbackName;
  checkKeyName(name);
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey({ key: { kty: jwk.kty, crv: jwk.crv, d: jwk.d, x: jwk.x }, format: 'jwk' });
  } catch (err) {
    throw new ChronError('ERR_CHRON_KEY', 'signing key must be a valid Ed25519 JWK', { cause: err });
  }
  const pub = rawPublicKey(privateKey);
  if (pub.toString('base64url') !== jwk.x) throw new ChronError('ERR_CHRON_KEY', 'signing key "x" does not match "d"');
  return { name, keyId: noteKeyId(name, pub), privateKey, vkey: formatVerifierKey(name, pub) };
}

/**
 * Builds a signer from a Go sumdb/note private key string `PRIVATE+KEY+<name>+<hex id>+<base64(0x01||seed)>`
 * (interop and the published test vectors). Throws ERR_CHRON_KEY.
 */
export function signerFromNoteKey(skey: string): NoteSigner {
  const m = /^PRIVATE\+KEY\+([^+\s]+)\+([0-9a-f]{8})\+([A-Za-z0-9+/=]+)$/.exec(skey);
  const raw = m === null ? undefined : Buffer.from(m[3] as string, 'base64');
  if (m === null || raw === undefined || raw.length !== 33 || raw[0] !== 0x01) throw new ChronError('ERR_CHRON_KEY', 'note private key must be PRIVATE+KEY+<name>+<id>+<base64(0x01||seed)>');
  const privateKey = createPrivateKey({ key: Buffer.concat([PKCS8_ED25519_PREFIX, raw.subarray(1)]), format: 'der', type: 'pkcs8' });
  const jwk: SigningJwk = { kty: 'OKP', crv: 'Ed25519', d: raw.subarray(1).toString('base64url'), x: rawPublicKey(privateKey).toString('base64url'), kid: m[1] as string };
  const signer = signerFromJwk(jwk, jwk.kid as string);
  if (signer.keyId.toString(16).padStart(8, '0') !== m[2]) throw new ChronError('ERR_CHRON_KEY', 'note private key id does not match the key');
  return signer;
}

/**
 * Parses a verifier key `<name>+<hex id>+<base64(0x01||pubkey)>` and checks that the id is the
 * one C2SP signed-note computes for that name and key. Throws ERR_CHRON_KEY.
 */
export function parseVerifierKey(vkey: string): NoteVerifier {
  const m = /^([^+\s]+)\+([0-9a-f]{8})\+([A-Za-z0-9+/]+={0,2})$/.exec(vkey.trim());
  const raw = m === null ? undefined : Buffer.from(m[3] as string, 'base64');
  if (m === null || raw === undefined || raw.length !== 33 || raw[0] !== 0x01) {
    throw new ChronError('ERR_CHRON_KEY', 'verifier key must be <name>+<8 hex>+<base64(0x01||32-byte Ed25519 key)>');
  }
  const name = m[1] as string;
  const pub = raw.subarray(1);
  const keyId = noteKeyId(name, pub);
  if (keyId.toString(16).padStart(8, '0') !== m[2]) throw new ChronError('ERR_CHRON_KEY', `verifier key id ${m[2]} does not match its name and key`);
  const publicKey = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: pub.toString('base64url') }, format: 'jwk' });
  return { name, keyId, publicKey, vkey: vkey.trim() };
}

/** Parses a vkey file: one verifier key per non-empty line, `#` comments allowed. */
export function parseVerifierKeys(text: string): NoteVerifier[] {
  const keys = text.split('\n').map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#')).map(parseVerifierKey);
  if (keys.length === 0) throw new ChronError('ERR_CHRON_KEY', 'vkey file must hold at least one verifier key');
  return keys;
}

function rawPublicKey(privateKey: KeyObject): Buffer {
  const x = createPublicKey(privateKey).export({ format: 'jwk' }).x;
  if (typeof x !== 'string') throw new ChronError('ERR_CHRON_KEY', 'signing key must be Ed25519');
  return Buffer.from(x, 'base64url');
}

const PKCS8_ED25519_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');
