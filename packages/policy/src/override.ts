import {
  RESOLUTION_PAYLOAD_TYPE,
  ResolutionError,
  VerificationError,
  keyUnusableAt,
  pae,
  parseResolution,
  verifyAttestation,
} from '@lineage/protocol';
import type {
  Ed25519Verifier,
  OverrideReason,
  RawEnvelope,
  ResolutionBody,
  TrustStore,
  VerifiedAttestation,
} from '@lineage/protocol';
import type { LoadedPolicy } from './document.js';

/** Everything resolving an override may depend on. */
export interface ResolveContext {
  trust: TrustStore;
  ed25519: Ed25519Verifier;
  /** The policy documents governance knows, by hash: the pending decision's pinned one decides. */
  policy(hash: string): LoadedPolicy | undefined;
}

/** A resolution as it arrives on the overrides topic, with the pending attestation it answers. */
export interface ResolutionInput {
  resolution: RawEnvelope;
  pending: RawEnvelope;
  /** The execution id the record was routed by; when given, it must be the one the approver signed. */
  routedAs?: string;
}

/** What the ledger says about the pending attestation a resolution names. */
export type PendingState = 'pending' | 'resolved' | 'unknown';

/** The answer to a resolution: an override of the pending decision, or a signed refusal. */
export type ResolutionOutcome =
  | {
      kind: 'override';
      decision: 'allow' | 'deny';
      reasons: ['OVERRIDE_APPROVED' | 'OVERRIDE_REJECTED'];
      resolution: ResolutionBody;
      pending: VerifiedAttestation;
    }
  | {
      kind: 'override_rejection';
      reasons: [OverrideReason | 'POLICY_UNKNOWN'];
      resolution: ResolutionBody | null;
      pending: VerifiedAttestation | null;
    };

/** Why a resolution is refused: the reason its signed `override_rejection` records. */
type RefusalReason = OverrideReason | 'POLICY_UNKNOWN';

/** A failed check's reason. */
interface Refused {
  refused: RefusalReason;
}

/** A trusted key as the trust store returns it. */
type KeyEntry = NonNullable<ReturnType<TrustStore['get']>>;

/**
 * Resolves a `pending_override` decision, failing closed: the resolution must be well formed and
 * signed by a trusted approver valid at its time; it must name a `pending_override` decision that
 * verifies, that the ledger holds unresolved; the pending decision's own pinned policy must list the
 * approver for the rule that held it; and unless that rule allows self-approval, the approver may
 * not be the execution's agent, a principal whose authority it acts under, or share an owner with
 * the agent. Pure and deterministic given the pending state.
 */
export function resolveOverride(
  input: ResolutionInput,
  state: (pendingDigest: string) => PendingState,
  ctx: ResolveContext,
): ResolutionOutcome {
  const refuse = (
    reason: RefusalReason,
    resolution: ResolutionBody | null = null,
    pending: VerifiedAttestation | null = null,
  ): ResolutionOutcome => ({ kind: 'override_rejection', reasons: [reason], resolution, pending });

  // The record must hold a well-formed resolution, routed by the id the approver signed.
  const resolution = readResolution(input);
  if ('refused' in resolution) return refuse(resolution.refused, resolution.body);
  // The pending attestation must verify and be the pending decision of that execution it names.
  const pending = verifyPending(input.pending, resolution, ctx);
  if (pending === null) return refuse('OVERRIDE_NOT_PENDING', resolution);
  // The ledger must hold it, still unresolved: each pending decision is resolved once.
  const known = state(pending.digest);
  if (known === 'resolved') return refuse('OVERRIDE_ALREADY_RESOLVED', resolution, pending);
  if (known === 'unknown') return refuse('OVERRIDE_NOT_PENDING', resolution, pending);
  // The approver must be a trusted approver key, valid when it resolved, that signed these bytes.
  const approver = checkApprover(input.resolution, resolution, ctx);
  if ('refused' in approver) return refuse(approver.refused, resolution, pending);
  // The policy that held the decision must list the approver, and it may not approve its own work.
  const allowed = checkAllowed(pending, resolution, approver, ctx);
  if (allowed !== null) return refuse(allowed.refused, resolution, pending);
  const approve = resolution.resolution === 'approve';
  return {
    kind: 'override',
    decision: approve ? 'allow' : 'deny',
    reasons: [approve ? 'OVERRIDE_APPROVED' : 'OVERRIDE_REJECTED'],
    resolution,
    pending,
  };
}

// The record's resolution, parsed; the id it was routed by must be the one the approver signed.
function readResolution(
  input: ResolutionInput,
): ResolutionBody | (Refused & { body: ResolutionBody | null }) {
  if (input.resolution.payload_type !== RESOLUTION_PAYLOAD_TYPE)
    return { refused: 'OVERRIDE_MALFORMED', body: null };
  let resolution: ResolutionBody;
  try {
    resolution = parseResolution(input.resolution.payload);
  } catch (e) {
    if (e instanceof ResolutionError) return { refused: 'OVERRIDE_MALFORMED', body: null };
    throw e;
  }
  if (input.routedAs !== undefined && input.routedAs !== resolution.execution_id)
    return { refused: 'OVERRIDE_MALFORMED', body: resolution };
  return resolution;
}

// The carried pending attestation, verified, when it is the pending decision the resolution names.
function verifyPending(
  envelope: RawEnvelope,
  resolution: ResolutionBody,
  ctx: ResolveContext,
): VerifiedAttestation | null {
  let pending: VerifiedAttestation;
  try {
    pending = verifyAttestation(envelope, ctx);
  } catch (e) {
    if (e instanceof VerificationError) return null;
    throw e;
  }
  const p = pending.predicate;
  const named =
    pending.digest === resolution.pending &&
    p.execution_id === resolution.execution_id &&
    p.kind === 'decision' &&
    p.decision === 'pending_override';
  return named ? pending : null;
}

// A trusted approver key, usable when it resolved, whose signature covers exactly these bytes.
function checkApprover(
  envelope: RawEnvelope,
  resolution: ResolutionBody,
  ctx: ResolveContext,
): KeyEntry | Refused {
  const approver = ctx.trust.get(resolution.approver);
  if (
    !approver ||
    !approver.key.roles.includes('approver') ||
    keyUnusableAt(approver.key, resolution.resolved_at)
  )
    return { refused: 'OVERRIDE_APPROVER_UNTRUSTED' };
  const sig = envelope.signatures.find((s) => s.keyid === resolution.approver);
  if (
    !sig ||
    sig.sig.length !== 64 ||
    !ctx.ed25519.verify(sig.sig, pae(envelope.payload_type, envelope.payload), approver.publicKey)
  )
    return { refused: 'OVERRIDE_SIGNATURE_INVALID' };
  return approver;
}

// The pending decision's pinned policy lists the approver for the rule that held it, and unless
// that rule allows it, nobody approves their own agent's work or authority they granted.
function checkAllowed(
  pending: VerifiedAttestation,
  resolution: ResolutionBody,
  approver: KeyEntry,
  ctx: ResolveContext,
): Refused | null {
  const p = pending.predicate;
  const policy = ctx.policy(p.policy.hash);
  if (!policy) return { refused: 'POLICY_UNKNOWN' };
  const ruleId = p.reasons.find((r) => r.startsWith('rule:'))?.slice('rule:'.length);
  const rule = policy.document.require_override?.find((r) => r.id === ruleId);
  if (!rule || !(rule.approvers.includes('*') || rule.approvers.includes(resolution.approver)))
    return { refused: 'OVERRIDE_APPROVER_NOT_ALLOWED' };
  if (rule.self_approval === 'allow') return null;
  const owner = approver.key.owner ?? null;
  const agentOwner = ctx.trust.get(p.agent)?.key.owner ?? null;
  const own =
    resolution.approver === p.agent ||
    p.authorization.principals.includes(resolution.approver) ||
    (owner !== null && owner === agentOwner);
  return own ? { refused: 'OVERRIDE_SELF_APPROVAL' } : null;
}
