import { bytesEqual, fromBase64 } from '../encoding/bytes.js';
import type { Ed25519Verifier } from '../encoding/ed25519.js';
import { CheckpointError, InclusionError } from '../errors.js';
import type { TrustedKey, TrustStore } from '../trust/store.js';
import { keyUnusableAt } from '../trust/store.js';
import type { Checkpoint, NoteSignature } from './checkpoint.js';
import { noteKeyId, parseSignedNote, verifyCheckpoint } from './checkpoint.js';
import { cosignatureKeyId, verifyCosignature } from './cosignature.js';
import { checkpointKeyName, checkpointOrigin } from './ledgerlog.js';

/** A checkpoint that verified, the key that signed it, and under which rule. */
export interface VerifiedCheckpoint extends Checkpoint {
  /** Key id of the governance key whose signature verified. */
  signer: string;
  /** 1: key name `lineage-<keyid>`, no time; 2: key name = origin, signed time. */
  rule: 1 | 2;
  /** POSIX time the log signed it (rule 2), or null. */
  time: number | null;
}

/** What a ledger checkpoint is checked with. */
export interface CheckpointContext {
  trust: TrustStore;
  ed25519: Ed25519Verifier;
}

const KEY_NAME_PREFIX = checkpointKeyName('');

/**
 * The key ids of `keys` that a note's signature lines claim to be by: rule-1 names, and any line
 * whose key ID is that key's note or cosignature key ID under the line's name. Unverified: for
 * choosing which keys to bundle.
 * @throws CheckpointError MALFORMED_NOTE when the note is not a signed note.
 */
export function checkpointSigners(note: string, keys: readonly TrustedKey[] = []): string[] {
  const lines = parseSignedNote(note).signatures;
  const named = lines
    .map((s) => s.name)
    .filter((name) => name.startsWith(KEY_NAME_PREFIX))
    .map((name) => name.slice(KEY_NAME_PREFIX.length));
  const byKeyId = keys
    .filter((k) => lines.some((s) => signsAs(s, k)))
    .map((k) => k.keyid as string);
  return [...new Set([...named, ...byKeyId])];
}

function signsAs(line: NoteSignature, key: TrustedKey): boolean {
  const raw = publicKeyOf(key);
  return (
    raw !== null &&
    (bytesEqual(line.keyId, noteKeyId(line.name, raw)) ||
      bytesEqual(line.keyId, cosignatureKeyId(line.name, raw)))
  );
}

function publicKeyOf(key: TrustedKey): Uint8Array | null {
  try {
    return fromBase64(key.public_key);
  } catch {
    return null;
  }
}

/**
 * Verifies a signed checkpoint of attestation partition `partition` of `ledger`. Rule 2: a valid
 * note signature by a trust-store `governance` key under the key name = origin, and that key's
 * `cosignature/v1` line whose time falls in the key's validity window. Rule 1 (earlier notes): a
 * valid signature under {@link checkpointKeyName} of the key's id; such a note carries no time, so
 * no validity window applies. Either way the origin must be that partition's.
 * @throws InclusionError CHECKPOINT_INVALID.
 */
export function verifyLedgerCheckpoint(
  note: string,
  ledger: string,
  partition: number,
  ctx: CheckpointContext,
): VerifiedCheckpoint {
  const origin = checkpointOrigin(ledger, partition);
  let lines: NoteSignature[];
  try {
    lines = parseSignedNote(note).signatures;
  } catch (error) {
    throw invalidCheckpoint(error);
  }
  const rule2 = ctx.trust.document.keys.filter(
    (k) => k.roles.includes('governance') && lines.some((s) => s.name === origin && signsAs(s, k)),
  );
  if (rule2.length > 0) return verifyRule2(note, origin, rule2[0]!, ctx);
  return verifyRule1(note, origin, lines, ctx);
}

/**
 * Counts the valid `cosignature/v1` lines by the trust store's policy witnesses (each under its
 * entry's name, made while its key was valid) and requires the policy's quorum. Evidence (bundles)
 * is checked with it; the log audit checks the log alone.
 * @throws InclusionError COSIGNATURE_INVALID, WITNESS_QUORUM_MISSING.
 */
export function checkWitnessQuorum(note: string, ctx: CheckpointContext): number {
  const policy = ctx.trust.witnessPolicy;
  if (!policy) return 0;
  let count = 0;
  for (const keyid of policy.witnesses) {
    const { key, publicKey } = ctx.trust.get(keyid)!;
    let time: number;
    try {
      time = verifyCosignature(note, { name: key.name!, publicKey, ed25519: ctx.ed25519 });
    } catch (error) {
      if (error instanceof CheckpointError && error.code === 'UNKNOWN_KEY') continue;
      if (error instanceof CheckpointError)
        throw new InclusionError('COSIGNATURE_INVALID', `witness ${keyid}: ${error.message}`);
      throw error;
    }
    if (keyUnusableAt(key, new Date(time * 1000).toISOString()) === null) count++;
  }
  if (count < policy.quorum)
    throw new InclusionError(
      'WITNESS_QUORUM_MISSING',
      `${count} of the ${policy.quorum} witness cosignatures the policy requires`,
    );
  return count;
}

// Rule 2: name = origin, plain signature and the timestamped cosignature by the same key.
function verifyRule2(
  note: string,
  origin: string,
  key: TrustedKey,
  ctx: CheckpointContext,
): VerifiedCheckpoint {
  const publicKey = ctx.trust.get(key.keyid)!.publicKey;
  const signer = { name: origin, publicKey, ed25519: ctx.ed25519 };
  let checkpoint: Checkpoint;
  let time: number;
  try {
    // The note signature must verify and the text be a checkpoint of this partition's log.
    checkpoint = verifyCheckpoint(note, signer);
    // The log's own cosignature must verify; it carries the signing time.
    time = verifyCosignature(note, signer);
  } catch (error) {
    throw invalidCheckpoint(error);
  }
  checkOrigin(checkpoint, origin);
  // The key must have been valid when it signed.
  const unusable = keyUnusableAt(key, new Date(time * 1000).toISOString());
  if (unusable !== null)
    throw new InclusionError('CHECKPOINT_INVALID', `key ${key.keyid} was ${unusable} at ${time}`);
  return { ...checkpoint, signer: key.keyid, rule: 2, time };
}

// Rule 1: the key is named `lineage-<keyid>`; any trusted governance key among them may sign.
function verifyRule1(
  note: string,
  origin: string,
  lines: readonly NoteSignature[],
  ctx: CheckpointContext,
): VerifiedCheckpoint {
  let problem: unknown = new InclusionError(
    'CHECKPOINT_INVALID',
    'checkpoint is not signed by a trusted governance key',
  );
  const keyids = lines.filter((s) => s.name.startsWith(KEY_NAME_PREFIX)).map((s) => s.name);
  for (const name of new Set(keyids)) {
    const keyid = name.slice(KEY_NAME_PREFIX.length);
    // The signer must be in the trust store with role governance.
    const entry = ctx.trust.get(keyid);
    if (!entry || !entry.key.roles.includes('governance')) continue;
    let checkpoint: Checkpoint;
    try {
      // Its signature must verify over the note text, which must be a well-formed checkpoint.
      checkpoint = verifyCheckpoint(note, {
        name,
        publicKey: entry.publicKey,
        ed25519: ctx.ed25519,
      });
    } catch (error) {
      problem = error;
      continue;
    }
    checkOrigin(checkpoint, origin);
    return { ...checkpoint, signer: keyid, rule: 1, time: null };
  }
  throw invalidCheckpoint(problem);
}

// The origin must name this partition of this ledger.
function checkOrigin(checkpoint: Checkpoint, origin: string): void {
  if (checkpoint.origin !== origin)
    throw new InclusionError(
      'CHECKPOINT_INVALID',
      `checkpoint origin ${checkpoint.origin} is not ${origin}`,
    );
}

function invalidCheckpoint(error: unknown): InclusionError {
  if (error instanceof InclusionError) return error;
  if (error instanceof CheckpointError)
    return new InclusionError('CHECKPOINT_INVALID', `checkpoint: ${error.message}`, {
      cause: error,
    });
  throw error;
}
