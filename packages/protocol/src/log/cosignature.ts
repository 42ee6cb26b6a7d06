import { sha256 } from '@noble/hashes/sha2.js';
import { bytesEqual, concatBytes, toBase64, utf8 } from '../encoding/bytes.js';
import type { Ed25519Verifier, Signer } from '../encoding/ed25519.js';
import { CheckpointError } from '../errors.js';
import { parseSignedNote } from './checkpoint.js';

/**
 * Ed25519 cosignatures, c2sp.org/tlog-cosignature v1.0.1 (`cosignature/v1`): a note signature whose
 * bytes are an 8-byte big-endian POSIX timestamp followed by an Ed25519 signature over
 * `cosignature/v1\ntime <t>\n` + the checkpoint text. Witnesses cosign with it; the log also signs
 * each checkpoint with it (beside its plain note signature) so a checkpoint carries a signed time.
 */

/** Key ID algorithm byte of Ed25519 cosignatures. */
const COSIGNATURE_TYPE = 0x04;
const HEADER = 'cosignature/v1\n';
/** The spec caps the timestamp at 2^63 - 1; ours must also be a safe integer. */
const MAX_TIME = Number.MAX_SAFE_INTEGER;

/** A cosigner a verifier trusts: its key name, raw 32-byte Ed25519 key and the primitive. */
export interface CosignerKey {
  name: string;
  publicKey: Uint8Array;
  ed25519: Ed25519Verifier;
}

/** The 4-byte key ID of an Ed25519 cosigner: SHA-256(name || 0x0A || 0x04 || key)[:4]. */
export function cosignatureKeyId(name: string, publicKey: Uint8Array): Uint8Array {
  const prefix = new Uint8Array([0x0a, COSIGNATURE_TYPE]);
  return sha256(concatBytes(utf8(name), prefix, publicKey)).slice(0, 4);
}

/** The message a `cosignature/v1` signs: header line, time line, then the checkpoint text. */
export function cosignedMessage(text: string, time: number): Uint8Array {
  return utf8(`${HEADER}time ${time}\n${text}`);
}

/**
 * A `cosignature/v1` signature line (ending in a newline) over checkpoint `text` at POSIX `time`.
 * @throws CheckpointError MALFORMED_NOTE for a time that is not a positive safe integer.
 */
export function cosignLine(
  text: string,
  name: string,
  signer: Signer,
  publicKey: Uint8Array,
  time: number,
): string {
  if (!Number.isSafeInteger(time) || time <= 0 || time > MAX_TIME)
    throw new CheckpointError('MALFORMED_NOTE', 'cosignature time must be a positive integer');
  const stamp = new Uint8Array(8);
  new DataView(stamp.buffer).setBigUint64(0, BigInt(time));
  const signature = signer.sign(cosignedMessage(text, time));
  const raw = concatBytes(cosignatureKeyId(name, publicKey), stamp, signature);
  return `\u2014 ${name} ${toBase64(raw)}\n`;
}

/**
 * Verifies the `cosignature/v1` lines by one cosigner on a signed note and returns the latest time
 * they carry; lines by other keys are ignored, as the spec requires.
 * @throws CheckpointError MALFORMED_NOTE; UNKNOWN_KEY when the cosigner's name and key ID sign no
 * line; SIGNATURE_INVALID when a line by the cosigner does not verify.
 */
export function verifyCosignature(note: string, key: CosignerKey): number {
  const { text, signatures } = parseSignedNote(note);
  const keyId = cosignatureKeyId(key.name, key.publicKey);
  // Only lines whose name and key ID both match the cosigner count.
  const ours = signatures.filter((s) => s.name === key.name && bytesEqual(s.keyId, keyId));
  if (ours.length === 0) throw new CheckpointError('UNKNOWN_KEY', `no cosignature by ${key.name}`);
  let latest = 0;
  for (const s of ours) {
    // Each is an 8-byte timestamp and a 64-byte Ed25519 signature over the cosigned message.
    if (s.signature.length !== 72)
      throw new CheckpointError('SIGNATURE_INVALID', `cosignature by ${key.name} is not 72 bytes`);
    const time = Number(new DataView(s.signature.buffer, s.signature.byteOffset).getBigUint64(0));
    const ok =
      time > 0 &&
      time <= MAX_TIME &&
      key.ed25519.verify(s.signature.slice(8), cosignedMessage(text, time), key.publicKey);
    if (!ok)
      throw new CheckpointError('SIGNATURE_INVALID', `cosignature by ${key.name} does not verify`);
    latest = Math.max(latest, time);
  }
  return latest;
}

/**
 * Adds signature lines (e.g. a witness's `add-checkpoint` answer) to a signed note, skipping lines
 * it already holds.
 * @throws CheckpointError MALFORMED_NOTE when the result is not a signed note.
 */
export function addSignatureLines(note: string, lines: string): string {
  const have = new Set(note.slice(note.lastIndexOf('\n\n') + 2).split('\n'));
  const added = lines
    .split('\n')
    .filter((l) => l.length > 0 && !have.has(l))
    .map((l) => `${l}\n`)
    .join('');
  const merged = note + added;
  parseSignedNote(merged);
  return merged;
}
