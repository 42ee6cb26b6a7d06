import {
  INTENT_PAYLOAD_TYPE,
  IntentError,
  VerificationError,
  attestationDigest,
  keyUnusableAt,
  pae,
  parseIntent,
  sha256Hex,
  verifyAttestation,
} from '@lineage/protocol';
import type {
  Digest,
  Ed25519Verifier,
  IntentBody,
  ParentRef,
  RawEnvelope,
  TrustStore,
} from '@lineage/protocol';
import type { LoadedPolicy } from './document.js';
import { evaluatePolicy } from './evaluate.js';

/** Everything a decision may depend on besides the intent: nothing else is consulted. */
export interface DecideContext {
  policy: LoadedPolicy;
  trust: TrustStore;
  ed25519: Ed25519Verifier;
}

/** An intent as it arrives: the agent-signed envelope plus the parent attestations it carries. */
export interface IntentInput {
  /** The execution id the record was routed by (must equal the signed one). */
  executionId: string;
  envelope: RawEnvelope;
  parentAttestations: readonly RawEnvelope[];
}

/** The decision: a pure function of (intent, policy document, trust store). */
export interface DecisionOutcome {
  decision: 'allow' | 'deny';
  reasons: string[];
  intentDigest: Digest;
  /** The parsed intent, or null when it could not be parsed. */
  intent: IntentBody | null;
  parents: ParentRef[];
  inheritedFrom: Digest[];
}

/**
 * Decides an intent, failing closed: every check that cannot be passed is a deny with its own
 * reason code. Verifies the agent's signature and key, each parent attestation by signature alone
 * (no lookups), then the policy. Never throws on malformed input.
 */
export function decide(input: IntentInput, ctx: DecideContext): DecisionOutcome {
  const intentDigest = sha256Hex(input.envelope.payload);
  const deny = (reasons: string[], intent: IntentBody | null = null): DecisionOutcome => ({
    decision: 'deny',
    reasons,
    intentDigest,
    intent,
    parents: intent?.parents ?? [],
    inheritedFrom: [],
  });

  // The envelope must hold an intent.
  if (input.envelope.payload_type !== INTENT_PAYLOAD_TYPE) return deny(['INTENT_MALFORMED']);
  // The payload must be a well-formed canonical intent with a UUIDv7 execution id.
  let intent: IntentBody;
  try {
    intent = parseIntent(input.envelope.payload);
  } catch (e) {
    if (e instanceof IntentError) return deny([e.code]);
    throw e;
  }
  // The id the record was routed by must be the id the agent signed.
  if (intent.execution_id !== input.executionId) return deny(['INTENT_MALFORMED'], intent);

  // The agent named in the intent must have signed it with a trusted, valid agent key.
  const agentSig = input.envelope.signatures.find((s) => s.keyid === intent.agent);
  if (!agentSig) return deny(['AGENT_SIGNATURE_MISSING'], intent);
  const agentKey = ctx.trust.get(intent.agent);
  if (!agentKey || !agentKey.key.roles.includes('agent'))
    return deny(['AGENT_KEY_UNKNOWN'], intent);
  const unusable = keyUnusableAt(agentKey.key, intent.requested_at);
  if (unusable === 'revoked') return deny(['AGENT_KEY_REVOKED'], intent);
  if (unusable === 'expired') return deny(['AGENT_KEY_EXPIRED'], intent);
  if (
    !ctx.ed25519.verify(
      agentSig.sig,
      pae(input.envelope.payload_type, input.envelope.payload),
      agentKey.publicKey,
    )
  ) {
    return deny(['AGENT_SIGNATURE_INVALID'], intent);
  }

  // Each parent must be carried, verify under the trust store, name that parent, and be allowed.
  const carried = new Map(input.parentAttestations.map((env) => [attestationDigest(env), env]));
  const parentReasons = new Set<string>();
  for (const ref of intent.parents) {
    const env = carried.get(ref.attestation);
    if (!env) {
      parentReasons.add('PARENT_MISSING');
      continue;
    }
    try {
      const parent = verifyAttestation(env, ctx);
      if (parent.predicate.execution_id !== ref.execution_id) parentReasons.add('PARENT_INVALID');
      else if (parent.predicate.decision === 'pending_override')
        parentReasons.add('PARENT_PENDING_OVERRIDE');
      else if (parent.predicate.decision !== 'allow') parentReasons.add('PARENT_NOT_ALLOWED');
    } catch (e) {
      if (!(e instanceof VerificationError)) throw e;
      parentReasons.add('PARENT_INVALID');
    }
  }
  if (parentReasons.size > 0) return deny([...parentReasons].sort(), intent);

  // The policy decides what is left.
  const verdict = evaluatePolicy(ctx.policy.document, {
    agent: intent.agent,
    action: intent.action,
    resource: intent.resource,
  });
  return {
    decision: verdict.decision,
    reasons: verdict.reasons,
    intentDigest,
    intent,
    parents: intent.parents,
    inheritedFrom: intent.parents.map((p) => p.attestation),
  };
}
