// The named checks `verifyBundle` runs, in its order; each throws a BundleError naming the execution.
import type { JsonValue } from '../encoding/canonical.js';
import { digestOf } from '../encoding/digest.js';
import type { RawEnvelope } from '../encoding/dsse.js';
import { fromDsse } from '../encoding/dsse.js';
import type { Ed25519Verifier } from '../encoding/ed25519.js';
import { asArray } from '../encoding/shape.js';
import { BundleError, ProtocolError, VerificationError } from '../errors.js';
import { knownRuntimeHashes, verifyRelease } from '../records/release.js';
import type { TrustStore } from '../trust/store.js';
import type { VerifiedAttestation, VerifyContext } from './attestation.js';
import { verifyAttestation, verifyEnvelopeSignature } from './attestation.js';

/** The trust material of a check: the store the signatures are checked against, and Ed25519. */
export interface TrustContext {
  trust: TrustStore;
  ed25519: Ed25519Verifier;
}

/**
 * The trust store a bundle verifies under: the outside one when given, and then every bundled key
 * must be the very key it names there; else the bundle's own keys.
 * @throws BundleError KEY_MISMATCH.
 */
export function trustFor(bundled: TrustStore, outside: TrustStore | undefined): TrustStore {
  if (!outside) return bundled;
  for (const k of bundled.document.keys) {
    const known = outside.get(k.keyid);
    if (!known || known.key.public_key !== k.public_key) {
      throw new BundleError(
        'KEY_MISMATCH',
        `bundled key ${k.keyid} is not in the trust store`,
        null,
      );
    }
  }
  return outside;
}

/**
 * Verifies the bundled releases (absent is none) and returns the runtime hashes they vouch for.
 * @throws BundleError BUNDLE_MALFORMED or RELEASE_INVALID.
 */
export function verifyReleases(value: unknown, ctx: TrustContext): Set<string> {
  const fail = (what: string) => new BundleError('BUNDLE_MALFORMED', what, null);
  const releases = value === undefined ? [] : asArray(value, 'releases', fail, 100);
  return knownRuntimeHashes(
    releases.map((r) => {
      try {
        return verifyRelease(fromDsse(r), ctx);
      } catch (error) {
        if (!(error instanceof ProtocolError)) throw error;
        throw new BundleError('RELEASE_INVALID', `release: ${error.message}`, null, {
          cause: error,
        });
      }
    }),
  );
}

/**
 * Verifies every bundled attestation on its own; returns them in bundle order with their payloads
 * by digest (the leaves inclusion proofs are checked against).
 * @throws BundleError with the VerificationError's code.
 */
export function verifyAttestations(
  envelopes: readonly unknown[],
  ctx: VerifyContext,
): { verified: VerifiedAttestation[]; payloads: Map<string, Uint8Array> } {
  const payloads = new Map<string, Uint8Array>();
  const verified = envelopes.map((e) => {
    try {
      const env = fromDsse(e);
      const v = verifyAttestation(env, ctx);
      payloads.set(v.digest, env.payload);
      return v;
    } catch (error) {
      if (error instanceof VerificationError) {
        throw new BundleError(error.code, error.message, executionIdOf(e), { cause: error });
      }
      throw error;
    }
  });
  return { verified, payloads };
}

/**
 * The decision of the target execution, and what settles it: its override if the bundle holds one,
 * else the decision itself.
 * @throws BundleError BUNDLE_TARGET_MISSING.
 */
export function settledExecution(
  verified: readonly VerifiedAttestation[],
  target: string,
): { decision: VerifiedAttestation; head: VerifiedAttestation } {
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
  return { decision, head };
}

/**
 * Walks the lineage down from `head`: every ancestor link must be in the bundle, an allowed
 * execution may only descend from allowed ones, and an override must have its pending decision.
 * @throws BundleError ANCESTOR_MISSING or ANCESTOR_NOT_ALLOWED.
 */
export function checkAncestry(
  head: VerifiedAttestation,
  byDigest: ReadonlyMap<string, VerifiedAttestation>,
): void {
  const pending = [head];
  const seen = new Set<string>([head.digest]);
  const visit = (v: VerifiedAttestation) => {
    if (seen.has(v.digest)) return;
    seen.add(v.digest);
    pending.push(v);
  };
  while (pending.length > 0) {
    const v = pending.pop()!;
    // An override must have the pending decision it answers beside it.
    if (v.predicate.kind === 'override' && v.predicate.override)
      visit(answeredDecision(v, byDigest));
    // Every parent must be present, and allowed when the child was.
    for (const parent of parentsOf(v, byDigest)) visit(parent);
  }
}

// The pending decision an override answers, from the bundle.
function answeredDecision(
  v: VerifiedAttestation,
  byDigest: ReadonlyMap<string, VerifiedAttestation>,
): VerifiedAttestation {
  const answered = byDigest.get(v.predicate.override!.pending);
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
  return answered;
}

// The parent attestations of `v` from the bundle, in predicate order.
function parentsOf(
  v: VerifiedAttestation,
  byDigest: ReadonlyMap<string, VerifiedAttestation>,
): VerifiedAttestation[] {
  return v.predicate.parents.map((ref) => {
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
    return parent;
  });
}

/**
 * Checks that every allowed execution's embedded intent is signed by the agent it names.
 * @throws BundleError INTENT_SIGNATURE_INVALID.
 */
export function checkIntentSignatures(
  verified: readonly VerifiedAttestation[],
  ctx: TrustContext,
): void {
  for (const { predicate } of verified) {
    if (predicate.decision !== 'allow' || predicate.intent === null) continue;
    try {
      const intent = fromDsse(predicate.intent);
      const signer = verifyEnvelopeSignature(intent, 'agent', ctx.trust, ctx.ed25519);
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
}

/**
 * Checks that every pinned policy is bundled and that its document hashes to the pin.
 * @throws BundleError POLICY_MISSING or POLICY_HASH_MISMATCH.
 */
export function checkPolicies(
  verified: readonly VerifiedAttestation[],
  policies: ReadonlyMap<string, JsonValue>,
): void {
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
}

// Best effort, unverified: only used to name the execution in an error message.
function executionIdOf(envelope: unknown): string | null {
  try {
    return unverifiedExecutionId(fromDsse(envelope));
  } catch {
    return null;
  }
}

function unverifiedExecutionId(env: RawEnvelope): string | null {
  const text = new TextDecoder().decode(env.payload);
  const m = /"execution_id":"([^"]{1,128})"/.exec(text);
  return m ? m[1]! : null;
}
