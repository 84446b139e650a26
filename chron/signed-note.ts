import { createHash, sign as edSign, verify as edVerify, type KeyObject } from 'node:crypto';
import { ChronError } from './errors.js';

/** A key that can sign notes (C2SP signed-note, Ed25519 signature type 0x01). */
export interface NoteSigner {
  readonly name: string;
  /** uint32 key ID = SHA-256(name || 0x0A || 0x01 || pubkey)[:4], big-endian. */
  readonly keyId: number;
  readonly privateKey: KeyObject;
  /** The published verifier key, `<name>+<hex key id>+<base64(0x01||pubkey)>`. */
  readonly vkey: string;
}

/** A trusted key that verifies notes; built from a vkey with parseVerifierKey. */
export interface NoteVerifier {
  readonly name: string;
  readonly keyId: number;
  readonly publicKey: KeyObject;
  readonly vkey: string;
}

/** A signed note whose text was verified by at least one trusted key. */
export interface OpenedNote {
  /** The note text, ending in a newline, excluding the blank separator line. */
  readonly text: string;
  /** Names+ids (`name+hexid`) of the trusted keys whose signatures verified. */
  readonly verifiedBy: readonly string[];
}

/** Computes the C2SP signed-note key ID for an Ed25519 public key (32 raw bytes). */
export function noteKeyId(name: string, publicKey: Uint8Array): number {
  const h = createHash('sha256').update(name, 'utf8').update(Buffer.from([0x0a, ED25519_TYPE])).update(publicKey).digest();
  return h.readUInt32BE(0);
}

/** Formats the verifier key line `<name>+<8 hex>+<base64(0x01||pubkey)>` (Go sumdb/note vkey format). */
export function formatVerifierKey(name: string, publicKey: Uint8Array): string {
  checkKeyName(name);
  const id = noteKeyId(name, publicKey).toString(16).padStart(8, '0');
  return `${name}+${id}+${Buffer.concat([Buffer.from([ED25519_TYPE]), publicKey]).toString('base64')}`;
}

/**
 * Signs `text` (which must end in "\n") with every signer, returning the signed note:
 * text, a blank line, then one `— <name> base64(keyid||sig)` line per signer (C2SP signed-note).
 */
export function signNote(text: string, signers: readonly NoteSigner[]): string {
  checkText(text);
  if (signers.length === 0) throw new ChronError('ERR_CHRON_KEY', 'at least one signing key is required');
  const lines = signers.map((s) => {
    const id = Buffer.alloc(4);
    id.writeUInt32BE(s.keyId);
    const sig = edSign(null, Buffer.from(text, 'utf8'), s.privateKey);
    return `${EM_DASH} ${s.name} ${Buffer.concat([id, sig]).toString('base64')}\n`;
  });
  return `${text}\n${lines.join('')}`;
}

/**
 * Opens a signed note against trusted verifiers (C2SP signed-note "Signatures"): signatures
 * from unknown keys are ignored; a known key whose signature fails rejects the whole note;
 * at least one known key must verify. Throws ERR_CHRON_NOTE (malformed) or ERR_CHRON_SIGNATURE.
 */
export function openNote(note: string, verifiers: readonly NoteVerifier[]): OpenedNote {
  const { text, signatures } = splitNote(note);
  const verifiedBy: string[] = [];
  for (const s of signatures) {
    const v = verifiers.find((k) => k.name === s.name && k.keyId === s.keyId);
    if (v === undefined) continue;
    const label = `${v.name}+${v.keyId.toString(16).padStart(8, '0')}`;
    if (!edVerify(null, Buffer.from(text, 'utf8'), v.publicKey, s.signature)) {
      throw new ChronError('ERR_CHRON_SIGNATURE', `signature by ${label} does not verify`);
    }
    verifiedBy.push(label);
  }
  if (verifiedBy.length === 0) throw new ChronError('ERR_CHRON_SIGNATURE', 'no signature from a trusted key');
  return { text, verifiedBy };
}

/** Parsed signature line of a note (unverified). */
export interface NoteSignature { readonly name: string; readonly keyId: number; readonly signature: Buffer }

/** Splits a signed note at its last blank line into text and parsed signature lines. Throws ERR_CHRON_NOTE. */
export function splitNote(note: string): { text: string; signatures: NoteSignature[] } {
  if (note.length > MAX_NOTE_BYTES) throw new ChronError('ERR_CHRON_NOTE', `note must be at most ${MAX_NOTE_BYTES} bytes`);
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u0009\u000b-\u001f]/.test(note) || note.includes('\ufffd')) {
    throw new ChronError('ERR_CHRON_NOTE', 'note must be valid UTF-8 without control characters other than newline');
  }
  if (!note.endsWith('\n')) throw new ChronError('ERR_CHRON_NOTE', 'note must end with a newline');
  const sep = note.lastIndexOf('\n\n');
  if (sep < 0) throw new ChronError('ERR_CHRON_NOTE', 'note must have a blank line before its signatures');
  const text = note.slice(0, sep + 1);
  const sigLines = note.slice(sep + 2, -1).split('\n');
  const signatures = sigLines.map((line) => {
    const m = /^\u2014 ([^ +]+) ([A-Za-z0-9+/]+={0,2})$/u.exec(line);
    if (m === null) throw new ChronError('ERR_CHRON_NOTE', 'signature line must be "\u2014 <name> <base64>"');
    const raw = Buffer.from(m[2] as string, 'base64');
    if (raw.length < 5 || raw.toString('base64') !== m[2]) throw new ChronError('ERR_CHRON_NOTE', 'signature must be base64 of key id and signature');
    return { name: m[1] as string, keyId: raw.readUInt32BE(0), signature: raw.subarray(4) };
  });
  if (signatures.length > MAX_SIGNATURES) throw new ChronError('ERR_CHRON_NOTE', `note must carry at most ${MAX_SIGNATURES} signatures`);
  return { text, signatures };
}

/** Throws ERR_CHRON_KEY unless `name` is a valid note key name (non-empty, no spaces, no '+'). */
export function checkKeyName(name: string): void {
  if (name.length === 0 || /[\s+]/u.test(name)) {
    throw new ChronError('ERR_CHRON_KEY', 'key name must be non-empty without spaces or "+"');
  }
}

function checkText(text: string): void {
  if (!text.endsWith('\n')) throw new ChronError('ERR_CHRON_NOTE', 'note text must end with a newline');
}

const ED25519_TYPE = 0x01;
const EM_DASH = '\u2014';
const MAX_SIGNATURES = 100;
const MAX_NOTE_BYTES = 1 << 20;
