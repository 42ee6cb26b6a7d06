import { fromBase64 } from '../encoding/bytes.js';
import { sha256Hex } from '../encoding/digest.js';
import { isStrongPublicKey } from '../encoding/ed25519.js';
import { VerificationError } from '../errors.js';
import type { KeyId } from '../records/ids.js';
import {
  asArray,
  asNullableString,
  asObject,
  asString,
  asTimestamp,
  onlyKeys,
} from '../encoding/shape.js';

/**
 * What a key may sign. A `witness` key cosigns checkpoints (c2sp.org/tlog-cosignature); its entry's
 * `name` is its cosigner key name.
 */
export type KeyRole = 'governance' | 'agent' | 'principal' | 'approver' | 'release' | 'witness';
export const KEY_ROLES: readonly KeyRole[] = [
  'governance',
  'agent',
  'principal',
  'approver',
  'release',
  'witness',
];

/** One public key in a trust store (the JSON form, also embedded in evidence bundles). */
export interface TrustedKey {
  keyid: KeyId;
  name: string | null;
  /** Who answers for the key (a person or service); keys sharing an owner cannot approve each other. */
  owner?: string | null;
  /** Raw 32-byte Ed25519 public key, standard base64. */
  public_key: string;
  roles: KeyRole[];
  valid_from: string;
  valid_until: string | null;
  revoked_at: string | null;
}

/**
 * Which witnesses must have cosigned a checkpoint for it to count: at least `quorum` of the
 * `witnesses` (key ids of `witness` keys, whose entry `name` is their cosigner key name).
 */
export interface WitnessPolicy {
  quorum: number;
  witnesses: KeyId[];
}

/** The trust store file: `application/vnd.lineage.truststore.v1+json`. */
export interface TrustStoreDocument {
  version: 1;
  keys: TrustedKey[];
  /** When present, checkpoints are trusted only with a quorum of these witnesses' cosignatures. */
  witness_policy?: WitnessPolicy;
}

/** A trust store parsed once and indexed by key id. */
export interface TrustStore {
  readonly document: TrustStoreDocument;
  readonly witnessPolicy: WitnessPolicy | null;
  get(keyid: string): { key: TrustedKey; publicKey: Uint8Array } | undefined;
}

/** The key id of a raw Ed25519 public key: SHA-256 hex of its 32 bytes. */
export function keyIdOf(publicKey: Uint8Array): KeyId {
  return sha256Hex(publicKey) as string as KeyId;
}

/**
 * Validates and indexes a trust store document from untrusted JSON. Every key id must equal the
 * SHA-256 of its key, so a key cannot be registered under another key's id.
 * @throws VerificationError TRUST_STORE_MALFORMED.
 */
export function loadTrustStore(value: unknown): TrustStore {
  // Attacker-controlled: every field is shape-checked (TRUST_STORE_MALFORMED).
  const fail = (what: string) => new VerificationError('TRUST_STORE_MALFORMED', what);
  const o = asObject(value, 'trust store', fail);
  if (o.version !== 1) throw fail('trust store version is not 1');
  const index = new Map<string, { key: TrustedKey; publicKey: Uint8Array }>();
  const keys = asArray(o.keys, 'keys', fail).map((k, i) => {
    const ko = asObject(k, `keys[${i}]`, fail);
    onlyKeys(
      ko,
      ['keyid', 'name', 'owner', 'public_key', 'roles', 'valid_from', 'valid_until', 'revoked_at'],
      `keys[${i}]`,
      fail,
    );
    const b64 = asString(ko.public_key, 'public_key', fail, 64);
    let raw: Uint8Array;
    try {
      raw = fromBase64(b64);
    } catch {
      throw fail(`keys[${i}].public_key is not base64`);
    }
    if (raw.length !== 32) throw fail(`keys[${i}].public_key is not 32 bytes`);
    if (!isStrongPublicKey(raw)) throw fail(`keys[${i}].public_key is not a usable Ed25519 key`);
    const keyid = asString(ko.keyid, 'keyid', fail, 64);
    if (keyid !== keyIdOf(raw)) throw fail(`keys[${i}].keyid is not the SHA-256 of its key`);
    const roles = asArray(ko.roles, 'roles', fail, KEY_ROLES.length).map((r) => {
      if (!KEY_ROLES.includes(r as KeyRole)) throw fail(`keys[${i}] has unknown role`);
      return r as KeyRole;
    });
    if (new Set(roles).size !== roles.length) throw fail(`keys[${i}] repeats a role`);
    const key: TrustedKey = {
      keyid: keyid as KeyId,
      name: ko.name === undefined ? null : asNullableString(ko.name, 'name', fail, 200),
      ...(ko.owner == null ? {} : { owner: asString(ko.owner, 'owner', fail, 200) }),
      public_key: b64,
      roles,
      valid_from: asTimestamp(ko.valid_from, 'valid_from', fail),
      valid_until: ko.valid_until == null ? null : asTimestamp(ko.valid_until, 'valid_until', fail),
      revoked_at: ko.revoked_at == null ? null : asTimestamp(ko.revoked_at, 'revoked_at', fail),
    };
    if (index.has(keyid)) throw fail(`duplicate keyid ${keyid}`);
    index.set(keyid, { key, publicKey: raw });
    return key;
  });
  const policy = o.witness_policy == null ? null : readWitnessPolicy(o.witness_policy, index, fail);
  const document: TrustStoreDocument = {
    version: 1,
    keys,
    ...(policy ? { witness_policy: policy } : {}),
  };
  return { document, witnessPolicy: policy, get: (keyid) => index.get(keyid) };
}

// A quorum between 1 and the number of listed witnesses, each a named `witness` key of the store.
function readWitnessPolicy(
  value: unknown,
  index: ReadonlyMap<string, { key: TrustedKey }>,
  fail: (what: string) => VerificationError,
): WitnessPolicy {
  const o = asObject(value, 'witness_policy', fail);
  onlyKeys(o, ['quorum', 'witnesses'], 'witness_policy', fail);
  const witnesses = asArray(o.witnesses, 'witness_policy.witnesses', fail, 100).map((w) => {
    const keyid = asString(w, 'witness key id', fail, 64);
    const entry = index.get(keyid);
    if (!entry?.key.roles.includes('witness') || !entry.key.name)
      throw fail(`witness ${keyid} is not a named witness key of the trust store`);
    return keyid as KeyId;
  });
  if (new Set(witnesses).size !== witnesses.length) throw fail('witness_policy repeats a witness');
  const quorum = o.quorum;
  if (
    !Number.isSafeInteger(quorum) ||
    (quorum as number) < 1 ||
    (quorum as number) > witnesses.length
  )
    throw fail('witness_policy.quorum must be between 1 and the number of witnesses');
  return { quorum: quorum as number, witnesses };
}

/** Why a key may not be used at an instant, or null when it may. */
export function keyUnusableAt(key: TrustedKey, at: string): 'expired' | 'revoked' | null {
  const t = Date.parse(at);
  if (key.revoked_at !== null && t >= Date.parse(key.revoked_at)) return 'revoked';
  if (t < Date.parse(key.valid_from)) return 'expired';
  if (key.valid_until !== null && t >= Date.parse(key.valid_until)) return 'expired';
  return null;
}

/**
 * Finds the trusted key for `keyid` that holds `role`.
 * @throws VerificationError KEY_UNKNOWN or KEY_ROLE_MISMATCH.
 */
export function requireKey(
  trust: TrustStore,
  keyid: string,
  role: KeyRole,
): { key: TrustedKey; publicKey: Uint8Array } {
  const entry = trust.get(keyid);
  if (!entry) throw new VerificationError('KEY_UNKNOWN', `key ${keyid} is not in the trust store`);
  if (!entry.key.roles.includes(role)) {
    throw new VerificationError('KEY_ROLE_MISMATCH', `key ${keyid} does not hold role ${role}`);
  }
  return entry;
}
