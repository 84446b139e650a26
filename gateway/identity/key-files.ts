import { createPublicKey, X509Certificate, type JsonWebKey as NodeJwk } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { keyFitsAlgorithm } from './algorithms.js';
import { IdentityError } from './errors.js';

/** A public JWK as loaded from a key file: the key's public parameters plus its kid/alg/use/key_ops. */
export type PublicJwk = Readonly<Record<string, unknown>> & { readonly kty: string; readonly kid?: string };

/** Members copied from a JWK file besides the public parameters Node re-derives. */
const KEPT_MEMBERS = ['kid', 'alg', 'use', 'key_ops'] as const;

/**
 * Reads the static verification keys of one issuer, once, at creation.
 * Each file is one of: a PEM SPKI public key ("BEGIN PUBLIC KEY" or PKCS#1 "BEGIN RSA PUBLIC KEY"),
 * a PEM X.509 certificate (its subject public key is used; the chain is not validated), a JWK
 * (RFC 7517 §4), or a JWK Set (RFC 7517 §5). Keys are re-derived through node:crypto so only public
 * parameters survive; a file with a private key ("d", "PRIVATE KEY") or a symmetric key ("oct") is
 * refused — the gateway must never hold an issuer's signing key.
 * Throws ERR_IDENTITY_KEY_FILE (unreadable, unparsable, private, empty) or ERR_IDENTITY_KEY_ALGORITHM
 * (a key that fits none of `algorithms`). Messages name the file, never key material.
 */
export function loadKeyFiles(issuer: string, files: readonly string[], algorithms: readonly string[]): PublicJwk[] {
  const keys: PublicJwk[] = [];
  for (const file of files) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (cause) {
      throw new IdentityError('ERR_IDENTITY_KEY_FILE', `issuer "${issuer}": key file "${file}" cannot be read`, { cause });
    }
    const found = text.trimStart().startsWith('-----BEGIN') ? [fromPem(file, text)] : fromJson(file, text);
    for (const key of found) {
      if (!algorithms.some((alg) => keyFitsAlgorithm(key, alg))) {
        throw new IdentityError('ERR_IDENTITY_KEY_ALGORITHM', `issuer "${issuer}": a ${key.kty} key in "${file}" fits none of the pinned algorithms ${algorithms.join(', ')}`);
      }
      keys.push(key);
    }
  }
  if (keys.length === 0) throw new IdentityError('ERR_IDENTITY_KEY_FILE', `issuer "${issuer}": "key_files" holds no key`);
  return keys;
}

function fromPem(file: string, text: string): PublicJwk {
  if (/PRIVATE KEY-----/.test(text)) throw new IdentityError('ERR_IDENTITY_KEY_FILE', `key file "${file}" holds a private key; give the issuer's public key`);
  try {
    if (/-----BEGIN CERTIFICATE-----/.test(text)) return exportJwk(new X509Certificate(text).publicKey.export({ format: 'jwk' }), {}, file);
    if (/-----BEGIN (RSA )?PUBLIC KEY-----/.test(text)) return exportJwk(createPublicKey(text).export({ format: 'jwk' }), {}, file);
  } catch (cause) {
    throw new IdentityError('ERR_IDENTITY_KEY_FILE', `key file "${file}" is not a valid PEM public key or certificate`, { cause });
  }
  throw new IdentityError('ERR_IDENTITY_KEY_FILE', `key file "${file}": expected a PEM "PUBLIC KEY" or "CERTIFICATE"`);
}

function fromJson(file: string, text: string): PublicJwk[] {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (cause) {
    throw new IdentityError('ERR_IDENTITY_KEY_FILE', `key file "${file}" is neither PEM nor JSON`, { cause });
  }
  if (!isObject(doc)) throw new IdentityError('ERR_IDENTITY_KEY_FILE', `key file "${file}": expected a JWK or a JWK Set object`);
  if ('keys' in doc) {
    if (!Array.isArray(doc.keys)) throw new IdentityError('ERR_IDENTITY_KEY_FILE', `key file "${file}": "keys" must be an array`);
    return doc.keys.map((k: unknown) => fromJwk(file, k));
  }
  return [fromJwk(file, doc)];
}

function fromJwk(file: string, jwk: unknown): PublicJwk {
  if (!isObject(jwk) || typeof jwk.kty !== 'string') throw new IdentityError('ERR_IDENTITY_KEY_FILE', `key file "${file}": every JWK needs a string "kty"`);
  if (jwk.kty === 'oct') throw new IdentityError('ERR_IDENTITY_KEY_FILE', `key file "${file}": symmetric ("oct") keys are not accepted`);
  if ('d' in jwk) throw new IdentityError('ERR_IDENTITY_KEY_FILE', `key file "${file}" holds a private JWK; give the issuer's public key`);
  if (jwk.kid !== undefined && typeof jwk.kid !== 'string') throw new IdentityError('ERR_IDENTITY_KEY_FILE', `key file "${file}": "kid" must be a string`);
  let derived: NodeJwk;
  try {
    derived = createPublicKey({ key: jwk as NodeJwk, format: 'jwk' }).export({ format: 'jwk' });
  } catch (cause) {
    throw new IdentityError('ERR_IDENTITY_KEY_FILE', `key file "${file}": a JWK is not a valid public key`, { cause });
  }
  return exportJwk(derived, jwk, file);
}

function exportJwk(derived: NodeJwk, original: Record<string, unknown>, file: string): PublicJwk {
  if (typeof derived.kty !== 'string') throw new IdentityError('ERR_IDENTITY_KEY_FILE', `key file "${file}": unsupported key type`);
  const out: Record<string, unknown> = { ...derived };
  for (const m of KEPT_MEMBERS) if (original[m] !== undefined) out[m] = original[m];
  return Object.freeze(out) as PublicJwk;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
