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
    reason: OverrideReason | 'POLICY_UNKNOWN',
    resolution: ResolutionBody | null = null,
    pending: VerifiedAttestation | null = null,
  ): ResolutionOutcome => ({ kind: 'override_rejection', reasons: [reason], resolution, pending });

  // The record must hold a well-formed resolution.
  if (input.resolution.payload_type !== RESOLUTION_PAYLOAD_TYPE)
    return refuse('OVERRIDE_MALFORMED');
  let resolution: ResolutionBody;
  try {
    resolution = parseResolution(input.resolution.payload);
  } catch (e) {
    if (e instanceof ResolutionError) return refuse('OVERRIDE_MALFORMED');
    throw e;
  }
  // The id the record was routed by must be the id the approver signed.
  if (input.routedAs !== undefined && input.routedAs !== resolution.execution_id)
    return refuse('OVERRIDE_MALFORMED', resolution);
  // The pending attestation must verify and be the pending decision of that execution it names.
  let pending: VerifiedAttestation;
  try {
    pending = verifyAttestation(input.pending, ctx);
  } catch (e) {
    if (e instanceof VerificationError) return refuse('OVERRIDE_NOT_PENDING', resolution);
    throw e;
  }
  const p = pending.predicate;
  if (
    pending.digest !== resolution.pending ||
    p.execution_id !== resolution.execution_id ||
    p.kind !== 'decision' ||
    p.decision !== 'pending_override'
  )
    return refuse('OVERRIDE_NOT_PENDING', resolution);
  // The ledger must hold it, still unresolved: each pending decision is resolved once.
  const known = state(pending.digest);
  if (known === 'resolved') return refuse('OVERRIDE_ALREADY_RESOLVED', resolution, pending);
  if (known === 'unknown') return refuse('OVERRIDE_NOT_PENDING', resolution, pending);
  // The approver must be a trusted approver key, valid when it resolved.
  const approver = ctx.trust.get(resolution.approver);
  if (
    !approver ||
    !approver.key.roles.includes('approver') ||
    keyUnusableAt(approver.key, resolution.resolved_at)
  )
    return refuse('OVERRIDE_APPROVER_UNTRUSTED', resolution, pending);
  // The approver must have signed exactly these bytes.
  const sig = input.resolution.signatures.find((s) => s.keyid === resolution.approver);
  if (
    !sig ||
    sig.sig.length !== 64 ||
    !ctx.ed25519.verify(
      sig.sig,
      pae(input.resolution.payload_type, input.resolution.payload),
      approver.publicKey,
    )
  )
    return refuse('OVERRIDE_SIGNATURE_INVALID', resolution, pending);
  // The policy that held the decision says who may resolve it.
  const policy = ctx.policy(p.policy.hash);
  if (!policy) return refuse('POLICY_UNKNOWN', resolution, pending);
  const ruleId = p.reasons.find((r) => r.startsWith('rule:'))?.slice('rule:'.length);
  const rule = policy.document.require_override?.find((r) => r.id === ruleId);
  if (!rule || !(rule.approvers.includes('*') || rule.approvers.includes(resolution.approver)))
    return refuse('OVERRIDE_APPROVER_NOT_ALLOWED', resolution, pending);
  // Unless the rule allows it, nobody approves their own agent's work or authority they granted.
  if (rule.self_approval !== 'allow') {
    const owner = approver.key.owner ?? null;
    const agentOwner = ctx.trust.get(p.agent)?.key.owner ?? null;
    if (
      resolution.approver === p.agent ||
      p.authorization.principals.includes(resolution.approver) ||
      (owner !== null && owner === agentOwner)
    )
      return refuse('OVERRIDE_SELF_APPROVAL', resolution, pending);
  }
  const approve = resolution.resolution === 'approve';
  return {
    kind: 'override',
    decision: approve ? 'allow' : 'deny',
    reasons: [approve ? 'OVERRIDE_APPROVED' : 'OVERRIDE_REJECTED'],
    resolution,
    pending,
  };
}
