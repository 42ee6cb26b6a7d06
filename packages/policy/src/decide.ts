import {
  INTENT_PAYLOAD_TYPE,
  IntentError,
  keyUnusableAt,
  pae,
  parseIntent,
  sha256Hex,
} from '@lineage/protocol';
import type {
  Authorization,
  DenyReason,
  Digest,
  Ed25519Verifier,
  GrantMemo,
  IntentBody,
  ParentRef,
  RawEnvelope,
  Sha256,
  TrustStore,
} from '@lineage/protocol';
import { NO_AUTHORIZATION, inheritedAuthority, rootAuthority } from './authority.js';
import type { LoadedPolicy } from './document.js';
import { evaluatePolicy } from './evaluate.js';
import type { DecisionReason } from './reasons.js';

/** Everything a decision may depend on besides the intent: nothing else is consulted. */
export interface DecideContext {
  policy: LoadedPolicy;
  trust: TrustStore;
  ed25519: Ed25519Verifier;
  /** The SHA-256 primitive; pure JS when absent (services pass node:crypto's). */
  sha256?: Sha256;
  /** Grants read before (a recurring grant is parsed once); read each time when absent. */
  grants?: GrantMemo;
}

/** An intent as it arrives: the agent-signed envelope plus the parent attestations it carries. */
export interface IntentInput {
  /** The execution id the record was routed by (must equal the signed one). */
  executionId: string;
  envelope: RawEnvelope;
  parentAttestations: readonly RawEnvelope[];
  /**
   * When the broker appended the record (RFC 3339; the intents topic uses LogAppendTime, so the
   * agent cannot choose it). Checked against `requested_at` when the policy bounds clock skew.
   */
  receivedAt?: string;
  /** SHA-256 of `envelope.payload` when the caller computed it already (hashed once). */
  intentDigest?: Digest;
}

/** The decision: a pure function of (intent, policy document, trust store). */
export interface DecisionOutcome {
  decision: 'allow' | 'deny' | 'pending_override';
  reasons: DecisionReason[];
  intentDigest: Digest;
  /** The parsed intent, or null when it could not be parsed. */
  intent: IntentBody | null;
  parents: ParentRef[];
  /** Where the authority comes from, as far as it was established before the decision. */
  authorization: Authorization;
}

/** A trusted key as the trust store returns it. */
type KeyEntry = NonNullable<ReturnType<TrustStore['get']>>;

/** A check that failed: the deny reasons, and the intent when it was parsed. */
interface Refusal {
  reasons: DenyReason[];
  intent: IntentBody | null;
}

/**
 * Decides an intent, failing closed: every check that cannot be passed is a deny with its own
 * reason code. Verifies the agent's signature and key, each parent attestation by signature alone
 * (no lookups), then the policy. Never throws on malformed input.
 */
export function decide(input: IntentInput, ctx: DecideContext): DecisionOutcome {
  const intentDigest = input.intentDigest ?? sha256Hex(input.envelope.payload, ctx.sha256);
  const deny = ({ reasons, intent }: Refusal): DecisionOutcome => ({
    decision: 'deny',
    reasons,
    intentDigest,
    intent,
    parents: intent?.parents ?? [],
    authorization: NO_AUTHORIZATION,
  });
  // The envelope must hold a well-formed intent, routed by the id the agent signed.
  const read = readIntent(input);
  if ('reasons' in read) return deny(read);
  const { intent } = read;
  // The agent named in the intent must have signed it with a trusted, valid agent key.
  const agent = checkAgent(intent, input.envelope, ctx);
  if ('reasons' in agent) return deny({ reasons: agent.reasons, intent });
  // The claimed request time must be close to when the broker received it, if the policy says so:
  // the agent key's window (above), the grant and its principal (below) are judged at requested_at.
  if (!withinSkew(intent, input.receivedAt, ctx.policy))
    return deny({ reasons: ['INTENT_CLOCK_SKEW'], intent });
  // Authority: a root's comes from the grant it carries, a child's from its parents' attestations.
  const authority =
    intent.parents.length === 0
      ? rootAuthority(intent, ctx)
      : inheritedAuthority(intent, input.parentAttestations, ctx);
  if ('reasons' in authority) return deny({ reasons: authority.reasons, intent });
  const { authorization } = authority;
  // The policy decides what is left.
  const verdict = evaluatePolicy(ctx.policy.document, {
    agent: intent.agent,
    action: intent.action,
    resource: intent.resource,
    agentRoles: agent.key.key.roles,
    principals: authorization.principals,
    scope: authorization.scope,
    depth: authorization.depth,
    inputs: intent.inputs,
  });
  return {
    decision: verdict.decision,
    reasons: verdict.reasons,
    intentDigest,
    intent,
    parents: intent.parents,
    authorization,
  };
}

// The envelope must hold a canonical intent with a UUIDv7 id, the one the record was routed by.
function readIntent(input: IntentInput): { intent: IntentBody } | Refusal {
  // The envelope must hold an intent.
  if (input.envelope.payload_type !== INTENT_PAYLOAD_TYPE)
    return { reasons: ['INTENT_MALFORMED'], intent: null };
  // The payload must be a well-formed canonical intent with a UUIDv7 execution id.
  let intent: IntentBody;
  try {
    intent = parseIntent(input.envelope.payload);
  } catch (e) {
    if (e instanceof IntentError) return { reasons: [e.code], intent: null };
    throw e;
  }
  // The id the record was routed by must be the id the agent signed.
  if (intent.execution_id !== input.executionId) return { reasons: ['INTENT_MALFORMED'], intent };
  return { intent };
}

// The agent's signature over the intent, by a trusted agent key usable at requested_at.
function checkAgent(
  intent: IntentBody,
  envelope: RawEnvelope,
  ctx: DecideContext,
): { key: KeyEntry } | { reasons: DenyReason[] } {
  const sig = envelope.signatures.find((s) => s.keyid === intent.agent);
  if (!sig) return { reasons: ['AGENT_SIGNATURE_MISSING'] };
  const key = ctx.trust.get(intent.agent);
  if (!key || !key.key.roles.includes('agent')) return { reasons: ['AGENT_KEY_UNKNOWN'] };
  const unusable = keyUnusableAt(key.key, intent.requested_at);
  if (unusable === 'revoked') return { reasons: ['AGENT_KEY_REVOKED'] };
  if (unusable === 'expired') return { reasons: ['AGENT_KEY_EXPIRED'] };
  if (!ctx.ed25519.verify(sig.sig, pae(envelope.payload_type, envelope.payload), key.publicKey))
    return { reasons: ['AGENT_SIGNATURE_INVALID'] };
  return { key };
}

// Whether requested_at is within the policy's clock-skew bound of the broker's time (if it sets one).
function withinSkew(
  intent: IntentBody,
  receivedAt: string | undefined,
  policy: LoadedPolicy,
): boolean {
  const skew = policy.document.max_clock_skew_seconds;
  if (skew === undefined) return true;
  return (
    receivedAt !== undefined &&
    Math.abs(Date.parse(intent.requested_at) - Date.parse(receivedAt)) <= skew * 1000
  );
}
