import type { JsonValue } from '../encoding/canonical.js';
import { digestOf } from '../encoding/digest.js';
import type { DsseEnvelope, RawEnvelope } from '../encoding/dsse.js';
import { fromDsse, toDsse } from '../encoding/dsse.js';
import type { Ed25519Verifier } from '../encoding/ed25519.js';
import { ProtocolError, VerificationError } from '../errors.js';
import type { VerificationErrorCode } from '../errors.js';
import type { Digest } from '../records/ids.js';
import { asArray, asObject, asString } from '../encoding/shape.js';
import type { TrustStore, TrustedKey } from '../trust/store.js';
import { loadTrustStore } from '../trust/store.js';
import { knownRuntimeHashes, verifyRelease } from '../records/release.js';
import type { BundledInclusion, InclusionProof, VerifiedCheckpoint } from '../log/inclusion.js';
import {
  InclusionError,
  parseInclusionProof,
  verifyAttestationInclusion,
  verifyLedgerCheckpoint,
} from '../log/inclusion.js';
import { MAX_NOTE_LENGTH } from '../log/checkpoint.js';
import { verifyAttestation, verifyEnvelopeSignature } from './attestation.js';
import type { VerifiedAttestation } from './attestation.js';

export const BUNDLE_MEDIA_TYPE = 'application/vnd.lineage.bundle.v1+json';

/** A policy document carried by content hash. */
export interface BundledPolicy {
  hash: Digest;
  document: JsonValue;
}

/** A self-contained evidence bundle: verifiable offline with only what is inside (and, optionally, a trust store). */
export interface EvidenceBundle {
  mediaType: typeof BUNDLE_MEDIA_TYPE;
  execution_id: string;
  /** The execution's attestation first, then its ancestors'. */
  attestations: DsseEnvelope[];
  keys: TrustedKey[];
  policies: BundledPolicy[];
  /** Signed release manifests vouching for governance runtimes; optional. */
  releases?: DsseEnvelope[];
  /** The attestations topic whose partitions the checkpoints sign; present with `proofs`. */
  ledger?: string;
  /** Signed checkpoint notes (C2SP), each once; proofs point at them by index. */
  checkpoints?: string[];
  /** Merkle inclusion proofs of attestations against `checkpoints`; at most one per attestation. */
  proofs?: InclusionProof[];
}

export type BundleErrorCode =
  | 'BUNDLE_MALFORMED'
  | 'BUNDLE_TARGET_MISSING'
  | 'ANCESTOR_MISSING'
  | 'ANCESTOR_NOT_ALLOWED'
  | 'POLICY_MISSING'
  | 'POLICY_HASH_MISMATCH'
  | 'KEY_MISMATCH'
  | 'INTENT_SIGNATURE_INVALID'
  | 'RELEASE_INVALID'
  | 'CHECKPOINT_INVALID'
  | 'INCLUSION_PROOF_INVALID';

/** A bundle that does not prove what it claims; `executionId` names the offending execution. */
export class BundleError extends ProtocolError<BundleErrorCode | VerificationErrorCode> {
  constructor(
    code: BundleErrorCode | VerificationErrorCode,
    message: string,
    readonly executionId: string | null,
    options?: { cause?: unknown },
  ) {
    super(code, message, options);
  }
}

/** A verified attestation, and whether the bundle proves it is on the ledger. */
export interface IncludedAttestation extends VerifiedAttestation {
  /** True when a bundled inclusion proof against a signed checkpoint verified for it. */
  included: boolean;
}

/** What a verified bundle proves. */
export interface VerifiedBundle {
  /** The attestation that settles the execution: its override if it has one, else its decision. */
  target: IncludedAttestation;
  /** The decision of the execution (for an overridden one, the `pending_override`). */
  decision: IncludedAttestation;
  attestations: IncludedAttestation[];
  /** True when every attestation's runtime hash is vouched for by a bundled release. */
  runtimeVerified: boolean;
  /**
   * True when every attestation is proven included in a signed checkpoint of its ledger partition.
   * A bundle without proofs (older bundles, or a ledger not yet checkpointed) is valid but false.
   */
  included: boolean;
}

/**
 * Assembles a bundle from envelopes (target first), the keys that signed them and their intents
 * (and the checkpoints), the policies, releases, and inclusion proofs (see `bundleInclusion`; left
 * out when it holds no proof).
 */
export function buildBundle(
  executionId: string,
  envelopes: readonly RawEnvelope[],
  keys: readonly TrustedKey[],
  policies: readonly JsonValue[],
  releases: readonly RawEnvelope[] = [],
  inclusion?: BundledInclusion,
): EvidenceBundle {
  return {
    mediaType: BUNDLE_MEDIA_TYPE,
    execution_id: executionId,
    attestations: envelopes.map(toDsse),
    keys: [...keys],
    policies: policies.map((document) => ({ hash: digestOf(document), document })),
    ...(releases.length > 0 ? { releases: releases.map(toDsse) } : {}),
    ...(inclusion && inclusion.proofs.length > 0
      ? {
          ledger: inclusion.ledger,
          checkpoints: [...inclusion.checkpoints],
          proofs: [...inclusion.proofs],
        }
      : {}),
  };
}

/** True when a JSON value looks like a bundle rather than a single envelope. */
export function isBundle(value: unknown): boolean {
  return (
    typeof value === 'object' &&
    value !== null &&
    (value as { mediaType?: unknown }).mediaType === BUNDLE_MEDIA_TYPE
  );
}

/**
 * Verifies an evidence bundle offline: every attestation's signature under the bundle's keys (or,
 * when given, a trust store that every bundled key must agree with), that the target execution is
 * there, that every parent link of every attestation is present and was allowed, and that each
 * pinned policy hash has a bundled document that hashes to it, and that every allowed execution's
 * embedded intent is signed by the agent it names. Then, for each bundled inclusion proof: its
 * checkpoint is signed by a trusted `governance` key (note key name `checkpointKeyName(keyid)`) and
 * its origin is the proof's partition of the bundle's `ledger`, its index is the attestation's
 * sequence and inside the tree, and its audit path leads from the attestation's leaf to the root.
 * A bundle without proofs is valid, with `included: false`.
 * @throws BundleError with the code of the first failing check and the execution it concerns.
 */
export function verifyBundle(
  value: unknown,
  ctx: { ed25519: Ed25519Verifier; trust?: TrustStore },
): VerifiedBundle {
  const fail = (what: string) => new BundleError('BUNDLE_MALFORMED', what, null);
  // The bundle must have the documented shape.
  const o = asObject(value, 'bundle', fail);
  if (o.mediaType !== BUNDLE_MEDIA_TYPE) throw fail(`mediaType is not ${BUNDLE_MEDIA_TYPE}`);
  const target = asString(o.execution_id, 'execution_id', fail, 256);
  const envelopes = asArray(o.attestations, 'attestations', fail, 100_000);
  const policies = new Map<string, JsonValue>();
  for (const p of asArray(o.policies, 'policies', fail, 10_000)) {
    const po = asObject(p, 'policy', fail);
    policies.set(asString(po.hash, 'policy.hash', fail, 64), po.document as JsonValue);
  }
  let bundledTrust: TrustStore;
  try {
    bundledTrust = loadTrustStore({ version: 1, keys: o.keys });
  } catch (e) {
    throw new BundleError('BUNDLE_MALFORMED', `keys: ${(e as Error).message}`, null, { cause: e });
  }
  // With an outside trust store, every bundled key must be the very key it names there.
  if (ctx.trust) {
    for (const k of bundledTrust.document.keys) {
      const known = ctx.trust.get(k.keyid);
      if (!known || known.key.public_key !== k.public_key) {
        throw new BundleError(
          'KEY_MISMATCH',
          `bundled key ${k.keyid} is not in the trust store`,
          null,
        );
      }
    }
  }
  const trust = ctx.trust ?? bundledTrust;

  // Every bundled release must be signed by a trusted release key; together they name the known runtimes.
  const releases = o.releases === undefined ? [] : asArray(o.releases, 'releases', fail, 100);
  const knownRuntimes = knownRuntimeHashes(
    releases.map((r) => {
      try {
        return verifyRelease(fromDsse(r), { trust, ed25519: ctx.ed25519 });
      } catch (error) {
        if (!(error instanceof ProtocolError)) throw error;
        throw new BundleError('RELEASE_INVALID', `release: ${error.message}`, null, {
          cause: error,
        });
      }
    }),
  );

  // Every attestation must verify on its own.
  const payloads = new Map<string, Uint8Array>();
  const verified: VerifiedAttestation[] = envelopes.map((e) => {
    let env: RawEnvelope;
    try {
      env = fromDsse(e);
      const v = verifyAttestation(env, { trust, ed25519: ctx.ed25519, knownRuntimes });
      payloads.set(v.digest, env.payload);
      return v;
    } catch (error) {
      if (error instanceof VerificationError) {
        throw new BundleError(error.code, error.message, executionIdOf(e), { cause: error });
      }
      throw error;
    }
  });
  const byDigest = new Map(verified.map((v) => [v.digest, v]));

  // The execution the bundle is for must be decided in it; an override of it settles it.
  const decision = verified.find(
    (v) => v.predicate.execution_id === target && v.predicate.kind === 'decision',
  );
  if (!decision)
    throw new BundleError(
      'BUNDLE_TARGET_MISSING',
      `no decision for ${target} in the bundle`,
      target,
    );
  const head =
    verified.find(
      (v) => v.predicate.kind === 'override' && v.predicate.override?.pending === decision.digest,
    ) ?? decision;

  // Every ancestor link must be present, and an allowed execution may only descend from allowed
  // ones; an override must have its pending decision beside it.
  const pending = [head];
  const seen = new Set<string>([head.digest]);
  while (pending.length > 0) {
    const v = pending.pop()!;
    const ref = v.predicate.override;
    if (v.predicate.kind === 'override' && ref) {
      const answered = byDigest.get(ref.pending);
      if (
        !answered ||
        answered.predicate.execution_id !== v.predicate.execution_id ||
        answered.predicate.decision !== 'pending_override'
      ) {
        throw new BundleError(
          'ANCESTOR_MISSING',
          `the pending decision ${v.predicate.execution_id} overrides is not in the bundle`,
          v.predicate.execution_id,
        );
      }
      if (!seen.has(answered.digest)) {
        seen.add(answered.digest);
        pending.push(answered);
      }
    }
    for (const ref of v.predicate.parents) {
      const parent = byDigest.get(ref.attestation);
      if (!parent || parent.predicate.execution_id !== ref.execution_id) {
        throw new BundleError(
          'ANCESTOR_MISSING',
          `parent ${ref.execution_id} of ${v.predicate.execution_id} is not in the bundle`,
          v.predicate.execution_id,
        );
      }
      if (v.predicate.decision === 'allow' && parent.predicate.decision !== 'allow') {
        throw new BundleError(
          'ANCESTOR_NOT_ALLOWED',
          `parent ${ref.execution_id} was not allowed`,
          ref.execution_id,
        );
      }
      if (!seen.has(parent.digest)) {
        seen.add(parent.digest);
        pending.push(parent);
      }
    }
  }

  // An allowed execution's embedded intent must carry a valid signature by the agent it names.
  for (const v of verified) {
    const { predicate } = v;
    if (predicate.decision !== 'allow' || predicate.intent === null) continue;
    try {
      const intent = fromDsse(predicate.intent);
      const signer = verifyEnvelopeSignature(intent, 'agent', trust, ctx.ed25519);
      if (signer.keyid !== predicate.agent)
        throw new VerificationError('KEY_ROLE_MISMATCH', 'intent signed by another agent');
    } catch (error) {
      if (!(error instanceof VerificationError)) throw error;
      throw new BundleError(
        'INTENT_SIGNATURE_INVALID',
        `the intent of ${predicate.execution_id}: ${error.message}`,
        predicate.execution_id,
        { cause: error },
      );
    }
  }

  // Each pinned policy must be bundled, and the document must hash to the pinned hash.
  for (const v of verified) {
    const doc = policies.get(v.predicate.policy.hash);
    if (doc === undefined)
      throw new BundleError(
        'POLICY_MISSING',
        `policy ${v.predicate.policy.hash} is not bundled`,
        v.predicate.execution_id,
      );
    let hash: string;
    try {
      hash = digestOf(doc);
    } catch {
      hash = '';
    }
    if (hash !== v.predicate.policy.hash) {
      throw new BundleError(
        'POLICY_HASH_MISMATCH',
        `bundled policy does not hash to ${v.predicate.policy.hash}`,
        v.predicate.execution_id,
      );
    }
  }

  const proven = verifyProofs(o, byDigest, payloads, { trust, ed25519: ctx.ed25519 });
  const mark = (v: VerifiedAttestation): IncludedAttestation => ({
    ...v,
    included: proven.has(v.digest),
  });
  const attestations = verified.map(mark);
  const byDigestMarked = new Map(attestations.map((v) => [v.digest, v]));
  return {
    target: byDigestMarked.get(head.digest) ?? mark(head),
    decision: byDigestMarked.get(decision.digest) ?? mark(decision),
    attestations,
    runtimeVerified: verified.every((v) => v.runtimeVerified),
    included: attestations.every((v) => v.included),
  };
}

/** Verifies the bundle's inclusion proofs; returns the digests of the attestations they prove. */
function verifyProofs(
  o: Record<string, unknown>,
  byDigest: ReadonlyMap<string, VerifiedAttestation>,
  payloads: ReadonlyMap<string, Uint8Array>,
  ctx: { trust: TrustStore; ed25519: Ed25519Verifier },
): Set<string> {
  const proven = new Set<string>();
  if (o.proofs === undefined && o.checkpoints === undefined && o.ledger === undefined)
    return proven;
  const fail = (what: string) => new BundleError('BUNDLE_MALFORMED', what, null);
  // Proofs need the ledger's name and the checkpoint notes they point at.
  const ledger = asString(o.ledger, 'ledger', fail, 1024);
  const notes = asArray(o.checkpoints, 'checkpoints', fail, 100_000).map((n) =>
    asString(n, 'checkpoint', fail, MAX_NOTE_LENGTH),
  );
  const raw = asArray(o.proofs, 'proofs', fail, 100_000);
  const checked = new Map<string, VerifiedCheckpoint>();
  for (const value of raw) {
    let proof: InclusionProof | undefined;
    let executionId: string | null = null;
    try {
      proof = parseInclusionProof(value);
      // The proof must be for an attestation of the bundle, and the only one for it.
      const v = byDigest.get(proof.attestation);
      if (!v)
        throw new InclusionError(
          'INCLUSION_PROOF_INVALID',
          `proof for ${proof.attestation}, which is not in the bundle`,
        );
      executionId = v.predicate.execution_id;
      if (proven.has(v.digest)) throw fail(`two proofs for attestation ${v.digest}`);
      // The proof must be for the attestation's own partition and sequence.
      if (proof.partition !== v.predicate.partition || proof.index !== v.predicate.sequence)
        throw new InclusionError(
          'INCLUSION_PROOF_INVALID',
          `proof is for ${proof.partition}/${proof.index}, the attestation is at ` +
            `${v.predicate.partition}/${v.predicate.sequence}`,
        );
      // The proof must point at a bundled checkpoint.
      const note = notes[proof.checkpoint];
      if (note === undefined)
        throw new InclusionError(
          'INCLUSION_PROOF_INVALID',
          `checkpoint ${proof.checkpoint} is not in the bundle`,
        );
      // The checkpoint must be signed by a trusted governance key for this partition of the ledger.
      const memo = `${proof.checkpoint}/${proof.partition}`;
      let checkpoint = checked.get(memo);
      if (!checkpoint) {
        checkpoint = verifyLedgerCheckpoint(note, ledger, proof.partition, ctx);
        checked.set(memo, checkpoint);
      }
      // The attestation's leaf must be in the checkpoint's tree at its own position.
      verifyAttestationInclusion(payloads.get(v.digest)!, v.predicate, proof, checkpoint);
      proven.add(v.digest);
    } catch (error) {
      if (error instanceof InclusionError)
        throw new BundleError(error.code, error.message, executionId, { cause: error });
      throw error;
    }
  }
  return proven;
}

function executionIdOf(envelope: unknown): string | null {
  try {
    return verifyFreeExecutionId(fromDsse(envelope));
  } catch {
    return null;
  }
}

// Best effort, unverified: only used to name the execution in an error message.
function verifyFreeExecutionId(env: RawEnvelope): string | null {
  const text = new TextDecoder().decode(env.payload);
  const m = /"execution_id":"([^"]{1,128})"/.exec(text);
  return m ? m[1]! : null;
}
