import {
  GrantError,
  INTENT_PAYLOAD_TYPE,
  IntentError,
  intersectScopes,
  scopeCovers,
  verifyGrant,
  VerificationError,
  attestationDigest,
  keyUnusableAt,
  pae,
  parseIntent,
  sha256Hex,
  verifyAttestation,
} from '@lineage/protocol';
import type {
  Authorization,
  Digest,
  Ed25519Verifier,
  IntentBody,
  ParentRef,
  Predicate,
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
  /**
   * When the broker appended the record (RFC 3339; the intents topic uses LogAppendTime, so the
   * agent cannot choose it). Checked against `requested_at` when the policy bounds clock skew.
   */
  receivedAt?: string;
}

/** The decision: a pure function of (intent, policy document, trust store). */
export interface DecisionOutcome {
  decision: 'allow' | 'deny' | 'pending_override';
  reasons: string[];
  intentDigest: Digest;
  /** The parsed intent, or null when it could not be parsed. */
  intent: IntentBody | null;
  parents: ParentRef[];
  /** Where the authority comes from, as far as it was established before the decision. */
  authorization: Authorization;
}

/** The authorization of an intent whose authority was never established. */
export const NO_AUTHORIZATION: Authorization = {
  grant: null,
  inherited_from: [],
  principals: [],
  scope: null,
  depth: 0,
};

/**
 * Decides an intent, failing closed: every check that cannot be passed is a deny with its own
 * reason code. Verifies the agent's signature and key, each parent attestation by signature alone
 * (no lookups), then the policy. Never throws on malformed input.
 */
export function decide(input: IntentInput, ctx: DecideContext): DecisionOutcome {
  const intentDigest = sha256Hex(input.envelope.payload);
  const deny = (
    reasons: string[],
    intent: IntentBody | null = null,
    authorization: Authorization = NO_AUTHORIZATION,
  ): DecisionOutcome => ({
    decision: 'deny',
    reasons,
    intentDigest,
    intent,
    parents: intent?.parents ?? [],
    authorization,
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

  // The claimed request time must be close to when the broker received it, if the policy says so:
  // the agent key's window (above), the grant and its principal (below) are judged at requested_at.
  const skew = ctx.policy.document.max_clock_skew_seconds;
  if (
    skew !== undefined &&
    (input.receivedAt === undefined ||
      !(Math.abs(Date.parse(intent.requested_at) - Date.parse(input.receivedAt)) <= skew * 1000))
  )
    return deny(['INTENT_CLOCK_SKEW'], intent);

  // Authority: a root's comes from the grant it carries, a child's from its parents' attestations.
  const authority =
    intent.parents.length === 0
      ? rootAuthority(intent, ctx)
      : inheritedAuthority(intent, input.parentAttestations, ctx);
  if ('reasons' in authority) return deny(authority.reasons, intent);
  const authorization = authority.authorization;

  // The policy decides what is left.
  const verdict = evaluatePolicy(ctx.policy.document, {
    agent: intent.agent,
    action: intent.action,
    resource: intent.resource,
    agentRoles: agentKey.key.roles,
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

type Authority = { authorization: Authorization } | { reasons: string[] };

function rootAuthority(intent: IntentBody, ctx: DecideContext): Authority {
  try {
    // The grant must be signed by a trusted principal and cover this agent, action, resource and policy.
    const { grant, digest } = verifyGrant(
      intent.grant,
      {
        agent: intent.agent,
        action: intent.action,
        resource: intent.resource,
        policyId: ctx.policy.ref.id,
        at: intent.requested_at,
      },
      ctx,
    );
    return {
      authorization: {
        grant: digest,
        inherited_from: [],
        principals: [grant.principal],
        scope: grant.scope,
        depth: 0,
      },
    };
  } catch (e) {
    if (e instanceof GrantError) return { reasons: [e.code] };
    throw e;
  }
}

function inheritedAuthority(
  intent: IntentBody,
  carriedEnvelopes: readonly RawEnvelope[],
  ctx: DecideContext,
): Authority {
  // Each parent must be carried, verify under the trust store, name that parent, and be allowed.
  const carried = new Map(carriedEnvelopes.map((env) => [attestationDigest(env), env]));
  const reasons = new Set<string>();
  const parents: Predicate[] = [];
  for (const ref of intent.parents) {
    const env = carried.get(ref.attestation);
    if (!env) {
      reasons.add('PARENT_MISSING');
      continue;
    }
    try {
      const { predicate } = verifyAttestation(env, ctx);
      if (predicate.execution_id !== ref.execution_id) reasons.add('PARENT_INVALID');
      else if (predicate.decision === 'pending_override') reasons.add('PARENT_PENDING_OVERRIDE');
      else if (
        predicate.decision !== 'allow' ||
        (predicate.kind !== 'decision' && predicate.kind !== 'override')
      )
        reasons.add('PARENT_NOT_ALLOWED');
      // A parent without an authority scope (issued before grants) passes no authority on.
      else if (predicate.authorization.scope === null) reasons.add('PARENT_INVALID');
      else parents.push(predicate);
    } catch (e) {
      if (!(e instanceof VerificationError)) throw e;
      reasons.add('PARENT_INVALID');
    }
  }
  if (reasons.size > 0) return { reasons: [...reasons].sort() };

  // The child acts within every parent's authority: the intersection of their scopes.
  const scope = parents.map((p) => p.authorization.scope!).reduce((a, b) => intersectScopes(a, b));
  const authorization: Authorization = {
    grant: null,
    inherited_from: intent.parents.map((p) => p.attestation),
    principals: [...new Set(parents.flatMap((p) => p.authorization.principals))].sort(),
    scope,
    depth: 1 + Math.max(...parents.map((p) => p.authorization.depth)),
  };
  if (!scopeCovers(scope, intent.action, intent.resource))
    return { reasons: ['GRANT_OUT_OF_SCOPE'] };
  return { authorization };
}
