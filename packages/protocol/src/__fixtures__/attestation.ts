// Test support for the protocol package's unit tests — never imported by non-test code. It uses
// node:crypto on purpose: the services' Ed25519 primitive is what the pure code must agree with.
import crypto from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import {
  ATTESTATION_PAYLOAD_TYPE,
  INTENT_PAYLOAD_TYPE,
  INTENT_TYPE,
  buildStatement,
  canonicalBytes,
  encodeStatement,
  executionFingerprint,
  keyIdOf,
  loadTrustStore,
  newExecutionId,
  sha256Hex,
  signEnvelope,
  toDsse,
  utf8,
} from '../index.js';
import type {
  Digest,
  Ed25519Verifier,
  IntentBody,
  KeyId,
  KeyRole,
  PolicyRef,
  Predicate,
  RawEnvelope,
  Signer,
  Statement,
  TrustStore,
  TrustStoreDocument,
  TrustedKey,
} from '../index.js';

/** DER prefix of a PKCS#8 Ed25519 private key; the 32-byte seed follows (RFC 8410 §7). */
export const PKCS8_ED25519_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');
/** DER prefix of an SPKI Ed25519 public key; the raw 32-byte key follows (RFC 8410 §4). */
export const SPKI_ED25519_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

/** Reads a JSON file under the repository's `test/vectors/`. */
export function readVector<T>(name: string): T {
  return JSON.parse(
    readFileSync(new URL(`../../../../test/vectors/${name}`, import.meta.url), 'utf8'),
  ) as T;
}

export function hex(text: string): Uint8Array {
  return new Uint8Array(Buffer.from(text, 'hex'));
}

export function nodePrivateKey(seed: Uint8Array): KeyObject {
  return crypto.createPrivateKey({
    key: Buffer.concat([PKCS8_ED25519_PREFIX, seed]),
    format: 'der',
    type: 'pkcs8',
  });
}

export function nodePublicKey(raw: Uint8Array): KeyObject {
  return crypto.createPublicKey({
    key: Buffer.concat([SPKI_ED25519_PREFIX, raw]),
    format: 'der',
    type: 'spki',
  });
}

/** The raw 32-byte public key of a node KeyObject (public or private). */
export function rawPublicKeyOf(key: KeyObject): Uint8Array {
  const spki = crypto.createPublicKey(key).export({ format: 'der', type: 'spki' });
  return new Uint8Array(spki.subarray(SPKI_ED25519_PREFIX.length));
}

export function nodeSign(message: Uint8Array, key: KeyObject): Uint8Array {
  return new Uint8Array(crypto.sign(null, message, key));
}

/** The services' Ed25519 primitive: node:crypto with KeyObjects created once per key. */
export function nodeEd25519Verifier(): Ed25519Verifier & { calls: number } {
  const keys = new Map<string, KeyObject>();
  const verifier = {
    calls: 0,
    verify(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean {
      verifier.calls++;
      const id = Buffer.from(publicKey).toString('hex');
      let key = keys.get(id);
      if (!key) {
        key = nodePublicKey(publicKey);
        keys.set(id, key);
      }
      return crypto.verify(null, message, key, signature);
    },
  };
  return verifier;
}

export interface TestKey {
  seed: Uint8Array;
  publicKey: Uint8Array;
  keyid: KeyId;
  privateKey: KeyObject;
  signer: Signer;
}

/** A fresh (or seeded) Ed25519 key with a node:crypto signer. */
export function testKey(seed: Uint8Array = new Uint8Array(crypto.randomBytes(32))): TestKey {
  const privateKey = nodePrivateKey(seed);
  const publicKey = rawPublicKeyOf(privateKey);
  const keyid = keyIdOf(publicKey);
  return {
    seed,
    publicKey,
    keyid,
    privateKey,
    signer: { keyid, sign: (m) => nodeSign(m, privateKey) },
  };
}

/** A trust store entry for a key, valid from 2020 with no end, not revoked unless overridden. */
export function trustedKey(
  key: TestKey,
  roles: KeyRole[],
  overrides: Partial<TrustedKey> = {},
): TrustedKey {
  return {
    keyid: key.keyid,
    name: `test ${roles.join('+')}`,
    public_key: Buffer.from(key.publicKey).toString('base64'),
    roles,
    valid_from: '2020-01-01T00:00:00Z',
    valid_until: null,
    revoked_at: null,
    ...overrides,
  };
}

export function trustStoreDocument(...keys: TrustedKey[]): TrustStoreDocument {
  return { version: 1, keys };
}

export function trustStoreOf(...keys: TrustedKey[]): TrustStore {
  return loadTrustStore(JSON.parse(JSON.stringify(trustStoreDocument(...keys))));
}

export const POLICY: PolicyRef = {
  id: 'default',
  version: 3,
  hash: sha256Hex(utf8('policy document v3')),
};
export const RUNTIME_HASH: Digest = sha256Hex(utf8('governance runtime manifest 1.0.0'));
export const ISSUED_AT = '2024-06-01T12:00:00Z';

/** A valid intent body by `agent`; fields may be overridden (or set to undefined to drop them). */
export function intentBody(
  agent: TestKey,
  overrides: Record<string, unknown> = {},
): Record<string, unknown> {
  const body: IntentBody = {
    _type: INTENT_TYPE,
    execution_id: newExecutionId(Date.parse('2024-06-01T11:59:59Z')),
    agent: agent.keyid,
    action: 'payments.transfer',
    resource: 'account:42',
    inputs: { amount: '100.00', currency: 'EUR', note: 'caf\u00e9 \u20ac \ud83d\ude00' },
    parents: [],
    grant: { principal: 'alice', scope: ['payments.transfer'] },
    runtime: { name: 'agent-runtime', version: '1.2.3', digest: sha256Hex(utf8('agent runtime')) },
    dependencies: [{ kind: 'model', name: 'planner', digest: sha256Hex(utf8('model weights')) }],
    requested_at: '2024-06-01T11:59:59Z',
    trace: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
  };
  const out: Record<string, unknown> = { ...body, ...overrides };
  for (const k of Object.keys(out)) if (out[k] === undefined) delete out[k];
  return out;
}

export interface Attestation {
  envelope: RawEnvelope;
  statement: Statement;
  intentPayload: Uint8Array;
  intentDigest: Digest;
  intentEnvelope: RawEnvelope;
}

export interface AttestationOptions {
  governance: TestKey;
  agent: TestKey;
  /** Overrides applied to the predicate after it is built. */
  predicate?: Partial<Predicate>;
  /** Overrides applied to the intent body. */
  intent?: Record<string, unknown>;
  /** Embed the agent-signed intent (default true). */
  embedIntent?: boolean;
  /** Overrides the statement's subject digest (default: digest of the intent payload). */
  subjectDigest?: Digest;
}

/** A governance attestation over a freshly built, agent-signed intent, exactly as governance makes it. */
export function makeAttestation(opts: AttestationOptions): Attestation {
  const intentPayload = canonicalBytes(intentBody(opts.agent, opts.intent));
  const intentDigest = sha256Hex(intentPayload);
  const intentEnvelope = signEnvelope(INTENT_PAYLOAD_TYPE, intentPayload, opts.agent.signer);
  const intent = JSON.parse(new TextDecoder().decode(intentPayload)) as IntentBody;
  const predicate: Predicate = {
    execution_id: intent.execution_id,
    // Derived from the final subject digest and policy, as governance does.
    execution_fingerprint: executionFingerprint(
      opts.predicate?.execution_id ?? intent.execution_id,
      opts.subjectDigest ?? intentDigest,
      opts.predicate?.policy ?? POLICY,
    ),
    kind: 'decision',
    decision: 'allow',
    reasons: [],
    agent: opts.agent.keyid,
    action: intent.action,
    resource: intent.resource,
    policy: POLICY,
    runtime_hash: RUNTIME_HASH,
    parents: [],
    authorization: {
      grant: sha256Hex(canonicalBytes(intent.grant)),
      inherited_from: [],
      principals: [],
      scope: { actions: ['*'], resources: [''] },
      depth: 0,
    },
    partition: 0,
    sequence: 7,
    prev: sha256Hex(utf8('previous attestation')),
    issued_at: ISSUED_AT,
    issuer: opts.governance.keyid,
    intent: opts.embedIntent === false ? null : toDsse(intentEnvelope),
    override: null,
    ...opts.predicate,
  };
  const statement = buildStatement(predicate, opts.subjectDigest ?? intentDigest);
  const envelope = signEnvelope(
    ATTESTATION_PAYLOAD_TYPE,
    encodeStatement(statement),
    opts.governance.signer,
  );
  return { envelope, statement, intentPayload, intentDigest, intentEnvelope };
}

/** Signs arbitrary payload bytes (e.g. hand-made, non-canonical ones) as an envelope. */
export function signRaw(key: TestKey, payloadType: string, payload: Uint8Array): RawEnvelope {
  return signEnvelope(payloadType, payload, key.signer);
}

/** A copy of bytes with one bit pattern XORed in at `index`. */
export function flipped(bytes: Uint8Array, index: number, mask = 0x01): Uint8Array {
  const out = new Uint8Array(bytes);
  out[index] = out[index]! ^ mask;
  return out;
}

/** `count` evenly spread positions in [0, length), or all of them when there are fewer. */
export function positions(length: number, count: number): number[] {
  if (length <= count) return Array.from({ length }, (_, i) => i);
  return Array.from({ length: count }, (_, i) => Math.floor((i * length) / count));
}

/** What `fn` threw, as `{ type, code }` (error class name and code), for compact assertions. */
export function errorOf(fn: () => unknown): { type: string; code: unknown } {
  try {
    fn();
  } catch (e) {
    const err = e as { constructor?: { name?: string }; code?: unknown };
    return { type: err?.constructor?.name ?? typeof e, code: err?.code };
  }
  return { type: 'nothing thrown', code: undefined };
}
