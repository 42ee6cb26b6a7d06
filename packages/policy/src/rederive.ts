import {
  IntentError,
  VerificationError,
  canonicalize,
  fromDsse,
  parseIntent,
  sha256Hex,
  verifyAttestation,
} from '@lineage/protocol';
import type {
  AttestationKind,
  Authorization,
  Ed25519Verifier,
  OverrideRef,
  RawEnvelope,
  TrustStore,
  VerifiedAttestation,
} from '@lineage/protocol';
import { decide } from './decide.js';
import { resolveOverride } from './override.js';
import type { PendingState, ResolutionOutcome } from './override.js';
import { loadPinned } from './pinned.js';
import { replayRejection, replayVerdict } from './replay.js';

/** Why a recorded attestation does not re-derive. */
export type RederiveCode =
  /** The attestation itself does not verify under the trust store. */
  | 'ATTESTATION_INVALID'
  /** No stored document for the pinned policy hash. */
  | 'POLICY_MISSING'
  /** The stored document does not hash to the pinned hash (or is not a policy at all). */
  | 'POLICY_HASH_MISMATCH'
  /** The attestation embeds no intent (it was too large), so there is nothing to re-decide. */
  | 'INTENT_MISSING'
  /** A parent attestation the intent names is not on the ledger, and the outcome differs. */
  | 'PARENT_UNAVAILABLE'
  /** A replay rejection whose execution id has no earlier, different decision on the ledger. */
  | 'REPLAY_UNFOUNDED'
  /** Re-deciding gives another decision, reasons or authorization than recorded. */
  | 'DECISION_MISMATCH';

/** What a re-derivation produced (or the attestation recorded), for a mismatch report. */
export interface DerivedOutcome {
  kind: string;
  decision: string;
  reasons: string[];
  authorization: Authorization | null;
}

/** The result of re-deriving one attestation. */
export type RederiveResult =
  | { ok: true; kind: string; executionId: string }
  | {
      ok: false;
      code: RederiveCode;
      kind: string;
      executionId: string;
      detail: string;
      /** For DECISION_MISMATCH and PARENT_UNAVAILABLE: what re-deriving gives vs what is recorded. */
      expected?: DerivedOutcome;
      recorded?: DerivedOutcome;
    };

/** The ledger facts and material a re-derivation may consult; every lookup is synchronous. */
export interface RederiveContext {
  trust: TrustStore;
  ed25519: Ed25519Verifier;
  /** An attestation envelope on the ledger, by attestation digest. */
  attestation(digest: string): RawEnvelope | undefined;
  /** The stored policy document with this hash, as stored (it is re-hashed here). */
  policyDocument(hash: string): unknown;
  /**
   * Whether an `override` of the pending attestation with this digest was appended before `at` (in
   * ledger order: same partition chain, lower sequence).
   */
  overriddenBefore(pendingDigest: string, at: VerifiedAttestation): boolean;
  /**
   * The intent digest of the decision of this execution id appended before `at`, if the ledger has
   * one.
   */
  decidedBefore(executionId: string, at: VerifiedAttestation): string | undefined;
  /**
   * The parent attestations the decided intent record carried (from the intents topic), by routing
   * id and intent digest. When given, they are what the decision is re-derived with — exactly what
   * governance saw, forged or foreign parents included; when absent, the ledger's copies are used.
   */
  carried?(executionId: string, intentDigest: string): readonly RawEnvelope[] | undefined;
  /**
   * The intent envelope of the decided intent record (from the intents topic), by routing id and
   * intent digest: used when the attestation could not embed it (an oversized intent).
   */
  recordedIntent?(executionId: string, intentDigest: string): RawEnvelope | undefined;
  /** When the broker appended the decided intent record (RFC 3339), for the clock-skew bound. */
  receivedAt?(executionId: string, intentDigest: string): string | undefined;
  /**
   * The pending attestation the resolution record carried (from the overrides topic), by routing id
   * and resolution digest: what governance resolved against. When absent, the ledger's copy of the
   * pending attestation the resolution names is used.
   */
  carriedPending?(executionId: string, resolutionDigest: string): RawEnvelope | undefined;
}

/**
 * Re-derives one recorded attestation under its pinned policy and the trust store, with the same
 * pure functions governance decided with: `decide()` for a decision, `resolveOverride()` for an
 * override or override rejection, and the replay rule for a replay rejection. Pure and
 * synchronous; never throws on malformed ledger content.
 * @returns `{ok: true}` when the recorded outcome re-derives identically, else a typed mismatch.
 */
export function rederive(envelope: RawEnvelope, ctx: RederiveContext): RederiveResult {
  let v: VerifiedAttestation;
  // The recorded attestation must itself verify: only signed outcomes are re-derived.
  try {
    v = verifyAttestation(envelope, { trust: ctx.trust, ed25519: ctx.ed25519 });
  } catch (e) {
    if (!(e instanceof VerificationError)) throw e;
    return {
      ok: false,
      code: 'ATTESTATION_INVALID',
      kind: 'unknown',
      executionId: '',
      detail: `${e.code}: ${e.message}`,
    };
  }
  // Each kind re-derives by the rule that produced it.
  return BY_KIND[v.predicate.kind](v, ctx);
}

/** How each kind of attestation is re-derived. */
const BY_KIND: Record<
  AttestationKind,
  (v: VerifiedAttestation, ctx: RederiveContext) => RederiveResult
> = {
  decision: rederiveDecision,
  // An override and an override rejection are the two answers to one resolution: both re-resolve it.
  override: rederiveResolution,
  override_rejection: rederiveResolution,
  replay_rejection: rederiveReplayRejection,
};

/** A decision: re-decide the embedded intent under the pinned policy. */
function rederiveDecision(v: VerifiedAttestation, ctx: RederiveContext): RederiveResult {
  const p = v.predicate;
  // The pinned policy must be stored, intact.
  const loaded = loadPinned(p.policy.hash, ctx.policyDocument(p.policy.hash));
  if ('code' in loaded)
    return failure(v, loaded.code, `policy ${p.policy.id}@${p.policy.version} ${p.policy.hash}`);
  // The intent must be embedded or recorded.
  const subjectDigest = v.statement.subject[0].digest.sha256;
  const intent = decidedIntent(v, ctx);
  if (typeof intent === 'string') return failure(v, 'INTENT_MISSING', intent);
  // The parents the intent record carried; failing that, the ledger's copies of those it names.
  const named = parentDigests(intent);
  const recorded = ctx.carried?.(p.execution_id, subjectDigest);
  const parents = recorded ?? named.map((d) => ctx.attestation(d)).filter((e) => e !== undefined);
  const outcome = decide(
    {
      executionId: p.execution_id,
      envelope: intent,
      parentAttestations: parents,
      receivedAt: ctx.receivedAt?.(p.execution_id, subjectDigest),
    },
    { policy: loaded.policy, trust: ctx.trust, ed25519: ctx.ed25519 },
  );
  // Re-deciding must give the recorded decision, reasons and authorization, for the same intent.
  if (
    outcome.decision === p.decision &&
    same(outcome.reasons, p.reasons) &&
    same(outcome.authorization, p.authorization) &&
    outcome.intentDigest === subjectDigest
  )
    return ok(v);
  const expected: DerivedOutcome = {
    kind: 'decision',
    decision: outcome.decision,
    reasons: outcome.reasons,
    authorization: outcome.authorization,
  };
  const unavailable = recorded === undefined && parents.length < named.length;
  return unavailable
    ? failure(
        v,
        'PARENT_UNAVAILABLE',
        `${named.length - parents.length} parent attestation(s) not on the ledger`,
        expected,
      )
    : failure(
        v,
        'DECISION_MISMATCH',
        `re-deciding gives ${outcome.decision} ${outcome.reasons.join(' ')}`,
        expected,
      );
}

/** An override or override rejection: re-resolve the embedded resolution as governance saw it. */
function rederiveResolution(v: VerifiedAttestation, ctx: RederiveContext): RederiveResult {
  const p = v.predicate;
  const resolution = embeddedResolution(p.override!);
  const pending =
    ctx.carriedPending?.(p.execution_id, sha256Hex(resolution.payload)) ??
    ctx.attestation(p.override!.pending);
  // The pending decision's own pinned policy decides who may resolve it: it must be stored, intact.
  const unpinned = pendingPolicyMissing(pending, ctx);
  if (unpinned !== null) return failure(v, unpinned.code, unpinned.detail);
  const outcome = reresolve(v, resolution, pending, ctx);
  const expected: DerivedOutcome = {
    kind: outcome.kind,
    decision: outcome.kind === 'override' ? outcome.decision : p.decision,
    reasons: outcome.reasons,
    authorization: null,
  };
  // Re-resolving must give the recorded kind, decision and reasons.
  if (
    outcome.kind !== p.kind ||
    expected.decision !== p.decision ||
    !same(outcome.reasons, p.reasons)
  )
    return failure(
      v,
      'DECISION_MISMATCH',
      `re-resolving gives ${outcome.kind} ${outcome.reasons.join(' ')}`,
      expected,
    );
  return ok(v);
}

/** A replay rejection: the replay rule must reject its intent given the ledger before it. */
function rederiveReplayRejection(v: VerifiedAttestation, ctx: RederiveContext): RederiveResult {
  const p = v.predicate;
  // It stands when an earlier decision consumed the id for a different intent.
  const earlier = ctx.decidedBefore(p.execution_id, v);
  const verdict = replayVerdict({
    answered: earlier === v.statement.subject[0].digest.sha256,
    consumed: earlier !== undefined,
  });
  if (verdict !== 'reject')
    return failure(
      v,
      'REPLAY_UNFOUNDED',
      `no earlier decision of ${p.execution_id} for another intent`,
    );
  // It records what the rule rejects with.
  const rule = replayRejection();
  const expected: DerivedOutcome = {
    kind: rule.kind,
    decision: rule.decision,
    reasons: rule.reasons,
    authorization: null,
  };
  if (p.decision !== expected.decision || !same(p.reasons, expected.reasons))
    return failure(
      v,
      'DECISION_MISMATCH',
      'a replay rejection is a deny REPLAY_EXECUTION_ID',
      expected,
    );
  return ok(v);
}

// The intent a decision decided: embedded, or — too large to embed — the recorded intent, which
// must be the very bytes the subject names. A string says why there is none.
function decidedIntent(v: VerifiedAttestation, ctx: RederiveContext): RawEnvelope | string {
  const p = v.predicate;
  const subjectDigest = v.statement.subject[0].digest.sha256;
  if (p.intent === null) {
    const recorded = ctx.recordedIntent?.(p.execution_id, subjectDigest);
    if (recorded === undefined || sha256Hex(recorded.payload) !== subjectDigest)
      return 'the attestation embeds no intent and none is recorded';
    return recorded;
  }
  try {
    return fromDsse(p.intent);
  } catch {
    return 'the embedded intent is not a DSSE envelope';
  }
}

// The parent attestation digests an intent names; a malformed intent names none.
function parentDigests(intent: RawEnvelope): string[] {
  try {
    return parseIntent(intent.payload).parents.map((x) => x.attestation);
  } catch (e) {
    if (e instanceof IntentError) return [];
    throw e;
  }
}

const EMPTY_ENVELOPE: RawEnvelope = { payload_type: '', payload: new Uint8Array(), signatures: [] };

// The resolution an override embeds; one that is not a DSSE envelope reads as empty.
function embeddedResolution(ref: OverrideRef): RawEnvelope {
  try {
    return fromDsse(ref.resolution);
  } catch {
    return EMPTY_ENVELOPE;
  }
}

// When the pending decision verifies, the policy it pinned must be stored intact.
function pendingPolicyMissing(
  pending: RawEnvelope | undefined,
  ctx: RederiveContext,
): { code: RederiveCode; detail: string } | null {
  if (pending === undefined) return null;
  let pinned: string;
  try {
    pinned = verifyAttestation(pending, ctx).predicate.policy.hash;
  } catch (e) {
    if (!(e instanceof VerificationError)) throw e;
    return null;
  }
  const loaded = loadPinned(pinned, ctx.policyDocument(pinned));
  return 'code' in loaded
    ? { code: loaded.code, detail: `policy ${pinned} of the pending decision` }
    : null;
}

// Resolves the resolution again against the ledger as it stood before the recorded attestation.
function reresolve(
  v: VerifiedAttestation,
  resolution: RawEnvelope,
  pending: RawEnvelope | undefined,
  ctx: RederiveContext,
): ResolutionOutcome {
  return resolveOverride(
    // A pending attestation that is not on the ledger is resolved as governance saw it: unknown.
    { resolution, pending: pending ?? EMPTY_ENVELOPE, routedAs: v.predicate.execution_id },
    (digest): PendingState =>
      // Governance knew a pending decision only if its own ledger held it.
      ctx.attestation(digest) === undefined
        ? 'unknown'
        : ctx.overriddenBefore(digest, v)
          ? 'resolved'
          : 'pending',
    {
      trust: ctx.trust,
      ed25519: ctx.ed25519,
      policy: (hash) => {
        const loaded = loadPinned(hash, ctx.policyDocument(hash));
        return 'policy' in loaded ? loaded.policy : undefined;
      },
    },
  );
}

const same = (a: unknown, b: unknown) => canonicalize(a) === canonicalize(b);

// What the attestation records, for a mismatch report.
const recordedOf = (v: VerifiedAttestation): DerivedOutcome => ({
  kind: v.predicate.kind,
  decision: v.predicate.decision,
  reasons: v.predicate.reasons,
  authorization: v.predicate.authorization,
});

const ok = (v: VerifiedAttestation): RederiveResult => ({
  ok: true,
  kind: v.predicate.kind,
  executionId: v.predicate.execution_id,
});

function failure(
  v: VerifiedAttestation,
  code: RederiveCode,
  detail: string,
  expected?: DerivedOutcome,
): RederiveResult {
  return {
    ok: false,
    code,
    kind: v.predicate.kind,
    executionId: v.predicate.execution_id,
    detail,
    ...(expected ? { expected, recorded: recordedOf(v) } : {}),
  };
}
