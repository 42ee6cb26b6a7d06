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
  Authorization,
  Ed25519Verifier,
  RawEnvelope,
  TrustStore,
  VerifiedAttestation,
} from '@lineage/protocol';
import { decide } from './decide.js';
import { loadPolicy } from './document.js';
import type { LoadedPolicy } from './document.js';
import { PolicyError } from './errors.js';
import { resolveOverride } from './override.js';
import type { PendingState } from './override.js';

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

type Loaded = { policy: LoadedPolicy } | { code: 'POLICY_MISSING' | 'POLICY_HASH_MISMATCH' };

// The stored document must exist and hash exactly to the pinned hash.
function loadPinned(hash: string, ctx: RederiveContext): Loaded {
  const stored = ctx.policyDocument(hash);
  if (stored === undefined || stored === null) return { code: 'POLICY_MISSING' };
  let document: unknown = stored;
  // A stored document is attacker-reachable bytes: unparseable text is a mismatch, not a crash.
  if (typeof stored === 'string') {
    try {
      document = JSON.parse(stored) as unknown;
    } catch {
      return { code: 'POLICY_HASH_MISMATCH' };
    }
  }
  try {
    const policy = loadPolicy(document);
    return policy.ref.hash === hash ? { policy } : { code: 'POLICY_HASH_MISMATCH' };
  } catch (e) {
    if (e instanceof PolicyError) return { code: 'POLICY_HASH_MISMATCH' };
    throw e;
  }
}

const same = (a: unknown, b: unknown) => canonicalize(a) === canonicalize(b);

const recordedOf = (v: VerifiedAttestation): DerivedOutcome => ({
  kind: v.predicate.kind,
  decision: v.predicate.decision,
  reasons: v.predicate.reasons,
  authorization: v.predicate.authorization,
});

/**
 * Re-derives one recorded attestation under its pinned policy and the trust store, with the same
 * pure functions governance decided with: `decide()` for a decision, `resolveOverride()` for an
 * override or override rejection, and the ledger's earlier decision for a replay rejection. Pure and
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
  const p = v.predicate;
  const base = { kind: p.kind, executionId: p.execution_id };
  const fail = (code: RederiveCode, detail: string, expected?: DerivedOutcome): RederiveResult => ({
    ok: false,
    code,
    ...base,
    detail,
    ...(expected ? { expected, recorded: recordedOf(v) } : {}),
  });

  if (p.kind === 'replay_rejection') {
    // A replay rejection stands when an earlier decision consumed the id for a different intent.
    const earlier = ctx.decidedBefore(p.execution_id, v);
    if (earlier === undefined || earlier === v.statement.subject[0].digest.sha256)
      return fail(
        'REPLAY_UNFOUNDED',
        `no earlier decision of ${p.execution_id} for another intent`,
      );
    const expected: DerivedOutcome = {
      kind: 'replay_rejection',
      decision: 'deny',
      reasons: ['REPLAY_EXECUTION_ID'],
      authorization: null,
    };
    if (p.decision !== expected.decision || !same(p.reasons, expected.reasons))
      return fail(
        'DECISION_MISMATCH',
        'a replay rejection is a deny REPLAY_EXECUTION_ID',
        expected,
      );
    return { ok: true, ...base };
  }

  if (p.kind === 'override' || p.kind === 'override_rejection') {
    const ref = p.override!;
    let resolution: RawEnvelope;
    try {
      resolution = fromDsse(ref.resolution);
    } catch {
      resolution = { payload_type: '', payload: new Uint8Array(), signatures: [] };
    }
    const pending =
      ctx.carriedPending?.(p.execution_id, sha256Hex(resolution.payload)) ??
      ctx.attestation(ref.pending);
    // The pending decision's own pinned policy decides who may resolve it.
    if (pending !== undefined) {
      let pinned: string | undefined;
      try {
        pinned = verifyAttestation(pending, ctx).predicate.policy.hash;
      } catch (e) {
        if (!(e instanceof VerificationError)) throw e;
      }
      if (pinned !== undefined) {
        const loaded = loadPinned(pinned, ctx);
        if ('code' in loaded) return fail(loaded.code, `policy ${pinned} of the pending decision`);
      }
    }
    // A pending attestation that is not on the ledger is resolved as governance saw it: unknown.
    const outcome = resolveOverride(
      {
        resolution,
        pending: pending ?? { payload_type: '', payload: new Uint8Array(), signatures: [] },
        routedAs: p.execution_id,
      },
      (digest) =>
        // Governance knew a pending decision only if its own ledger held it.
        ctx.attestation(digest) === undefined
          ? 'unknown'
          : ctx.overriddenBefore(digest, v)
            ? 'resolved'
            : ('pending' as PendingState),
      {
        trust: ctx.trust,
        ed25519: ctx.ed25519,
        policy: (hash) => {
          const loaded = loadPinned(hash, ctx);
          return 'policy' in loaded ? loaded.policy : undefined;
        },
      },
    );
    const expected: DerivedOutcome = {
      kind: outcome.kind,
      decision: outcome.kind === 'override' ? outcome.decision : p.decision,
      reasons: outcome.reasons,
      authorization: null,
    };
    if (
      outcome.kind !== p.kind ||
      expected.decision !== p.decision ||
      !same(outcome.reasons, p.reasons)
    )
      return fail(
        'DECISION_MISMATCH',
        `re-resolving gives ${outcome.kind} ${outcome.reasons.join(' ')}`,
        expected,
      );
    return { ok: true, ...base };
  }

  // A decision: re-decide the embedded intent under the pinned policy.
  const loaded = loadPinned(p.policy.hash, ctx);
  if ('code' in loaded)
    return fail(loaded.code, `policy ${p.policy.id}@${p.policy.version} ${p.policy.hash}`);
  const subjectDigest = v.statement.subject[0].digest.sha256;
  let intent: RawEnvelope;
  if (p.intent === null) {
    // Too large to embed: the recorded intent, which must be the very bytes the subject names.
    const recorded = ctx.recordedIntent?.(p.execution_id, subjectDigest);
    if (recorded === undefined || sha256Hex(recorded.payload) !== subjectDigest)
      return fail('INTENT_MISSING', 'the attestation embeds no intent and none is recorded');
    intent = recorded;
  } else {
    try {
      intent = fromDsse(p.intent);
    } catch {
      return fail('INTENT_MISSING', 'the embedded intent is not a DSSE envelope');
    }
  }
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
  const expected: DerivedOutcome = {
    kind: 'decision',
    decision: outcome.decision,
    reasons: outcome.reasons,
    authorization: outcome.authorization,
  };
  if (
    outcome.decision !== p.decision ||
    !same(outcome.reasons, p.reasons) ||
    !same(outcome.authorization, p.authorization) ||
    outcome.intentDigest !== v.statement.subject[0].digest.sha256
  ) {
    const unavailable = recorded === undefined && parents.length < named.length;
    return fail(
      unavailable ? 'PARENT_UNAVAILABLE' : 'DECISION_MISMATCH',
      unavailable
        ? `${named.length - parents.length} parent attestation(s) not on the ledger`
        : `re-deciding gives ${outcome.decision} ${outcome.reasons.join(' ')}`,
      expected,
    );
  }
  return { ok: true, ...base };
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
