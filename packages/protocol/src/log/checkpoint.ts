import { sha256 } from '@noble/hashes/sha2.js';
import { bytesEqual, concatBytes, fromBase64, toBase64, utf8 } from '../encoding/bytes.js';
import type { Ed25519Verifier, Signer } from '../encoding/ed25519.js';
import { CheckpointError } from '../errors.js';

/** The tree head a checkpoint commits to (c2sp.org/tlog-checkpoint). */
export interface Checkpoint {
  /** Log identity, e.g. `lineage.dev/attestations/<topic>/<partition>`. */
  origin: string;
  /** Number of leaves in the tree. */
  size: number;
  /** RFC 6962 root hash, 32 bytes. */
  root: Uint8Array;
  /** Opaque extension lines, if any (not recommended by the spec). */
  extensions?: readonly string[];
}

/** One signature line of a signed note. */
export interface NoteSignature {
  /** Key name. */
  name: string;
  /** 4-byte key ID. */
  keyId: Uint8Array;
  /** The signature bytes after the key ID. */
  signature: Uint8Array;
}

/** A signed note split into its text (ending in a newline) and its signature lines. */
export interface SignedNote {
  text: string;
  signatures: NoteSignature[];
}

/** The key a verifier trusts for a note, and the Ed25519 primitive to check it with. */
export interface NoteVerifierKey {
  name: string;
  /** Raw 32-byte Ed25519 public key. */
  publicKey: Uint8Array;
  ed25519: Ed25519Verifier;
}

/** Signature type byte of Ed25519 in c2sp.org/signed-note. */
const ED25519_TYPE = 0x01;
/** The spec requires accepting at least 16; more than this is treated as malformed. */
export const MAX_NOTE_SIGNATURES = 100;
/** Upper bound on a note's length in characters, checked before any parsing. */
export const MAX_NOTE_LENGTH = 1 << 20;

const SIG_PREFIX = '\u2014 ';
// ASCII control characters other than newline, and lone surrogates (with /u, pairs are one code
// point, so only unpaired halves match: they are not encodable as UTF-8).
const FORBIDDEN = /[\u0000-\u0009\u000b-\u001f]|[\ud800-\udfff]/u;
const BAD_NAME = /[\s+]/u;
const DECIMAL = /^(0|[1-9][0-9]*)$/;

function noteError(message: string): CheckpointError {
  return new CheckpointError('MALFORMED_NOTE', message);
}

/** Whether `name` is a valid signed-note key name: non-empty, no spaces, plus signs or controls. */
export function isKeyName(name: unknown): name is string {
  return (
    typeof name === 'string' && name.length > 0 && !BAD_NAME.test(name) && !FORBIDDEN.test(name)
  );
}

/**
 * The 4-byte key ID of an Ed25519 note key: SHA-256(name || 0x0A || 0x01 || public key)[:4]
 * (c2sp.org/signed-note).
 */
export function noteKeyId(name: string, publicKey: Uint8Array): Uint8Array {
  return sha256(concatBytes(utf8(name), new Uint8Array([0x0a, ED25519_TYPE]), publicKey)).slice(
    0,
    4,
  );
}

/**
 * The checkpoint note text: origin, decimal size and base64 root, one per line, then any extension
 * lines, each ending in a newline.
 * @throws CheckpointError MALFORMED_CHECKPOINT for an empty or multi-line origin, a size that is not a
 * non-negative safe integer, a root that is not 32 bytes, or an empty or multi-line extension.
 */
export function formatCheckpoint(checkpoint: Checkpoint): string {
  const { origin, size, root, extensions = [] } = checkpoint;
  const bad = (message: string) => new CheckpointError('MALFORMED_CHECKPOINT', message);
  if (
    typeof origin !== 'string' ||
    origin.length === 0 ||
    origin.includes('\n') ||
    FORBIDDEN.test(origin)
  ) {
    throw bad('origin must be a non-empty single line');
  }
  if (!Number.isSafeInteger(size) || size < 0) throw bad('size must be a non-negative integer');
  if (!(root instanceof Uint8Array) || root.length !== 32) throw bad('root must be 32 bytes');
  for (const line of extensions) {
    if (
      typeof line !== 'string' ||
      line.length === 0 ||
      line.includes('\n') ||
      FORBIDDEN.test(line)
    ) {
      throw bad('extension lines must be non-empty single lines');
    }
  }
  return [origin, String(size), toBase64(root), ...extensions].map((l) => `${l}\n`).join('');
}

/**
 * Parses checkpoint note text (the body of a signed note). Does not check any signature.
 * @throws CheckpointError MALFORMED_CHECKPOINT.
 */
export function parseCheckpoint(body: string): Checkpoint {
  const bad = (message: string) => new CheckpointError('MALFORMED_CHECKPOINT', message);
  // Attacker-controlled: check the type before using string methods.
  if (typeof body !== 'string' || !body.endsWith('\n'))
    throw bad('checkpoint must end in a newline');
  const lines = body.slice(0, -1).split('\n');
  // At least origin, size and root, and no line may be empty.
  if (lines.length < 3) throw bad('checkpoint needs origin, size and root lines');
  if (lines.some((l) => l.length === 0)) throw bad('checkpoint lines must be non-empty');
  const [origin, sizeText, rootText, ...extensions] = lines as [
    string,
    string,
    string,
    ...string[],
  ];
  // The size is canonical decimal (no leading zeros) and a safe integer.
  if (!DECIMAL.test(sizeText) || !Number.isSafeInteger(Number(sizeText))) {
    throw bad('tree size is not a canonical decimal');
  }
  // The root is canonical base64 of exactly 32 bytes.
  let root: Uint8Array;
  try {
    root = fromBase64(rootText);
  } catch (cause) {
    throw new CheckpointError('MALFORMED_CHECKPOINT', 'root hash is not base64', { cause });
  }
  if (root.length !== 32) throw bad('root hash is not 32 bytes');
  return extensions.length > 0
    ? { origin, size: Number(sizeText), root, extensions }
    : { origin, size: Number(sizeText), root };
}

/**
 * Splits a signed note (c2sp.org/signed-note) into its text and signature lines. Checks syntax only.
 * @throws CheckpointError MALFORMED_NOTE for anything not in the format: control characters, a
 * missing blank line, a bad signature line or key name, too many signatures.
 */
export function parseSignedNote(note: string): SignedNote {
  // Attacker-controlled: check type and size before anything else.
  if (typeof note !== 'string') throw noteError('note is not a string');
  if (note.length > MAX_NOTE_LENGTH) throw noteError('note is too large');
  // No control characters other than newline, and nothing that is not valid UTF-8.
  if (FORBIDDEN.test(note)) throw noteError('note contains control characters or invalid UTF-16');
  // The text is separated from the signatures by the last blank line.
  const split = note.lastIndexOf('\n\n');
  if (split < 0) throw noteError('note has no blank line before its signatures');
  const text = note.slice(0, split + 1);
  const block = note.slice(split + 2);
  // The signature block is one or more complete lines.
  if (block.length === 0 || !block.endsWith('\n')) throw noteError('note has no signature lines');
  const lines = block.slice(0, -1).split('\n');
  if (lines.length > MAX_NOTE_SIGNATURES) throw noteError('note has too many signatures');
  const signatures = lines.map((line): NoteSignature => {
    // Each line is: em dash, space, key name, space, base64(key ID || signature).
    if (!line.startsWith(SIG_PREFIX))
      throw noteError('signature line does not start with an em dash');
    const rest = line.slice(SIG_PREFIX.length);
    const space = rest.indexOf(' ');
    const name = rest.slice(0, space);
    if (space < 0 || !isKeyName(name)) throw noteError('signature line has no valid key name');
    let raw: Uint8Array;
    try {
      raw = fromBase64(rest.slice(space + 1));
    } catch (cause) {
      throw new CheckpointError('MALFORMED_NOTE', 'signature is not base64', { cause });
    }
    // A key ID and at least one signature byte.
    if (raw.length < 5) throw noteError('signature is too short');
    return { name, keyId: raw.slice(0, 4), signature: raw.slice(4) };
  });
  return { text, signatures };
}

/**
 * Verifies a signed note against one trusted Ed25519 key and returns its text. Signatures by other
 * keys are ignored, as the spec requires.
 * @throws CheckpointError MALFORMED_NOTE; UNKNOWN_KEY when no signature has the key's name and ID;
 * SIGNATURE_INVALID when a signature by the key does not verify.
 */
export function verifyNote(note: string, key: NoteVerifierKey): string {
  const { text, signatures } = parseSignedNote(note);
  // The trusted key must be a well-formed Ed25519 key with a valid name.
  if (
    !isKeyName(key.name) ||
    !(key.publicKey instanceof Uint8Array) ||
    key.publicKey.length !== 32
  ) {
    throw new CheckpointError('UNKNOWN_KEY', 'trusted key has an invalid name or public key');
  }
  const keyId = noteKeyId(key.name, key.publicKey);
  // Only signatures whose name and key ID both match the trusted key count.
  const ours = signatures.filter((s) => s.name === key.name && bytesEqual(s.keyId, keyId));
  if (ours.length === 0) throw new CheckpointError('UNKNOWN_KEY', `no signature by ${key.name}`);
  const message = utf8(text);
  for (const s of ours) {
    // Every signature by the trusted key must be a valid Ed25519 signature of the note text.
    if (s.signature.length !== 64 || !key.ed25519.verify(s.signature, message, key.publicKey)) {
      throw new CheckpointError('SIGNATURE_INVALID', `signature by ${key.name} does not verify`);
    }
  }
  return text;
}

/**
 * Signs note text (for a checkpoint, the output of {@link formatCheckpoint}) and returns the signed
 * note: the text, a blank line, and one Ed25519 signature line by `name`.
 * @throws CheckpointError MALFORMED_NOTE for text that is empty, does not end in a newline or holds
 * control characters, or an invalid key name or public key.
 */
export function signCheckpoint(
  body: string,
  name: string,
  signer: Signer,
  publicKey: Uint8Array,
): string {
  // The text must be non-empty, end in a newline and be free of control characters.
  if (
    typeof body !== 'string' ||
    body.length === 0 ||
    !body.endsWith('\n') ||
    FORBIDDEN.test(body)
  ) {
    throw noteError('note text must be non-empty and end in a newline');
  }
  // The key name must be non-empty without spaces or plus signs, and the key 32 bytes.
  if (!isKeyName(name)) throw noteError('invalid key name');
  if (!(publicKey instanceof Uint8Array) || publicKey.length !== 32) {
    throw noteError('public key must be 32 bytes');
  }
  const signature = signer.sign(utf8(body));
  const line = `${SIG_PREFIX}${name} ${toBase64(concatBytes(noteKeyId(name, publicKey), signature))}\n`;
  return `${body}\n${line}`;
}

/**
 * Verifies a signed checkpoint against the log's trusted key and returns the tree head it commits to.
 * The caller checks that the origin is the log it expects.
 * @throws CheckpointError MALFORMED_NOTE, UNKNOWN_KEY, SIGNATURE_INVALID, MALFORMED_CHECKPOINT.
 */
export function verifyCheckpoint(note: string, key: NoteVerifierKey): Checkpoint {
  // The note must carry a valid signature by the trusted key.
  const text = verifyNote(note, key);
  // The signed text must be a well-formed checkpoint.
  return parseCheckpoint(text);
}
