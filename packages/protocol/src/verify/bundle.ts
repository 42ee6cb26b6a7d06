import type { JsonValue } from '../encoding/canonical.js';
import { digestOf } from '../encoding/digest.js';
import type { DsseEnvelope, RawEnvelope } from '../encoding/dsse.js';
import { toDsse } from '../encoding/dsse.js';
import type { Ed25519Verifier } from '../encoding/ed25519.js';
import { asArray, asObject, asString } from '../encoding/shape.js';
import { BundleError } from '../errors.js';
import type { BundledInclusion, InclusionProof } from '../log/inclusion.js';
import type { PinnedConsistency } from '../log/pinned.js';
import type { Digest } from '../records/ids.js';
import type { TrustStore, TrustedKey } from '../trust/store.js';
import { loadTrustStore } from '../trust/store.js';
import type { VerifiedAttestation } from './attestation.js';
import {
  checkAncestry,
  checkIntentSignatures,
  checkPolicies,
  settledExecution,
  trustFor,
  verifyAttestations,
  verifyReleases,
} from './bundle-checks.js';
import { verifyProofs } from './bundle-proofs.js';

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
  /**
   * Consistency proofs between checkpoints the exporter was asked to pin (by partition and size)
   * and the bundled `checkpoints` of their partitions; present when pins were given.
   */
  consistency?: PinnedConsistency[];
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
  /**
   * The partitions whose pinned checkpoint (`pins` of {@link verifyBundle}) the bundle's checkpoints
   * were proven consistent with; pins of partitions the bundle has no checkpoint of are not here.
   */
  pinned: number[];
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
          ...(inclusion.consistency.length > 0 && { consistency: [...inclusion.consistency] }),
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
 * A bundle without proofs is valid, with `included: false`. Each checkpoint in `pins` (signed notes
 * the verifier holds, e.g. the last it saw of a partition) must, when the bundle has checkpoints of
 * its partition, be consistent with each of them by a bundled consistency proof.
 * @throws BundleError with the code of the first failing check and the execution it concerns.
 */
export function verifyBundle(
  value: unknown,
  ctx: { ed25519: Ed25519Verifier; trust?: TrustStore; pins?: readonly string[] },
): VerifiedBundle {
  const { ed25519 } = ctx;
  // The bundle must have the documented shape.
  const bundle = readBundle(value);
  // With an outside trust store, every bundled key must be the very key it names there.
  const trust = trustFor(bundle.keys, ctx.trust);
  // Every bundled release must be signed by a trusted release key; together they name the known runtimes.
  const knownRuntimes = verifyReleases(bundle.fields.releases, { trust, ed25519 });
  // Every attestation must verify on its own.
  const { verified, payloads } = verifyAttestations(bundle.envelopes, {
    trust,
    ed25519,
    knownRuntimes,
  });
  const byDigest = new Map(verified.map((v) => [v.digest, v]));
  // The execution the bundle is for must be decided in it; an override of it settles it.
  const { decision, head } = settledExecution(verified, bundle.target);
  // Every ancestor link must be present, and an allowed execution may only descend from allowed ones.
  checkAncestry(head, byDigest);
  // An allowed execution's embedded intent must carry a valid signature by the agent it names.
  checkIntentSignatures(verified, { trust, ed25519 });
  // Each pinned policy must be bundled, and the document must hash to the pinned hash.
  checkPolicies(verified, bundle.policies);
  // Each inclusion proof must lead from its attestation to a checkpoint signed for its partition.
  // Each checkpoint the verifier pinned must be consistent with the bundle's of its partition.
  const { proven, pinned } = verifyProofs(
    bundle.fields,
    byDigest,
    payloads,
    { trust, ed25519 },
    ctx.pins,
  );
  return { ...verdict(verified, { decision, head }, proven), pinned };
}

/** The parts of a bundle read before any signature is checked. */
interface BundleParts {
  /** The bundle object itself, for the optional fields read later (releases, inclusion proofs). */
  fields: Record<string, unknown>;
  target: string;
  envelopes: unknown[];
  policies: Map<string, JsonValue>;
  keys: TrustStore;
}

// Attacker-controlled: every field is shape-checked, and a malformed one is BUNDLE_MALFORMED.
function readBundle(value: unknown): BundleParts {
  const fail = (what: string) => new BundleError('BUNDLE_MALFORMED', what, null);
  const o = asObject(value, 'bundle', fail);
  if (o.mediaType !== BUNDLE_MEDIA_TYPE) throw fail(`mediaType is not ${BUNDLE_MEDIA_TYPE}`);
  const target = asString(o.execution_id, 'execution_id', fail, 256);
  const envelopes = asArray(o.attestations, 'attestations', fail, 100_000);
  const policies = new Map<string, JsonValue>();
  for (const p of asArray(o.policies, 'policies', fail, 10_000)) {
    const po = asObject(p, 'policy', fail);
    policies.set(asString(po.hash, 'policy.hash', fail, 64), po.document as JsonValue);
  }
  let keys: TrustStore;
  try {
    keys = loadTrustStore({ version: 1, keys: o.keys });
  } catch (e) {
    throw new BundleError('BUNDLE_MALFORMED', `keys: ${(e as Error).message}`, null, { cause: e });
  }
  return { fields: o, target, envelopes, policies, keys };
}

// Marks each attestation with whether a proof included it, and names the target and its decision.
function verdict(
  verified: readonly VerifiedAttestation[],
  settled: { decision: VerifiedAttestation; head: VerifiedAttestation },
  proven: ReadonlySet<string>,
): Omit<VerifiedBundle, 'pinned'> {
  const mark = (v: VerifiedAttestation): IncludedAttestation => ({
    ...v,
    included: proven.has(v.digest),
  });
  const attestations = verified.map(mark);
  const byDigest = new Map(attestations.map((v) => [v.digest, v]));
  return {
    target: byDigest.get(settled.head.digest) ?? mark(settled.head),
    decision: byDigest.get(settled.decision.digest) ?? mark(settled.decision),
    attestations,
    runtimeVerified: verified.every((v) => v.runtimeVerified),
    included: attestations.every((v) => v.included),
  };
}
