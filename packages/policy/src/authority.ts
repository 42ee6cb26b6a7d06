import {
  GrantError,
  VerificationError,
  attestationDigest,
  intersectScopes,
  scopeCovers,
  verifyGrant,
  verifyAttestation,
} from '@lineage/protocol';
import type {
  Authorization,
  DenyReason,
  Ed25519Verifier,
  GrantMemo,
  IntentBody,
  Predicate,
  RawEnvelope,
  Sha256,
  TrustStore,
} from '@lineage/protocol';
import type { LoadedPolicy } from './document.js';

/** The authorization of an intent whose authority was never established. */
export const NO_AUTHORIZATION: Authorization = {
  grant: null,
  inherited_from: [],
  principals: [],
  scope: null,
  depth: 0,
};

/** Where an intent's authority comes from, or why it has none. */
export type Authority = { authorization: Authorization } | { reasons: DenyReason[] };

/** What establishing authority consults. */
export interface AuthorityContext {
  policy: LoadedPolicy;
  trust: TrustStore;
  ed25519: Ed25519Verifier;
  sha256?: Sha256;
  /** Grants read before: a recurring grant is parsed once. */
  grants?: GrantMemo;
}

/**
 * A root intent's authority: the grant it carries, which must be signed by a trusted principal and
 * cover this agent, action, resource and policy at the intent's request time.
 */
export function rootAuthority(intent: IntentBody, ctx: AuthorityContext): Authority {
  try {
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

/**
 * A child intent's authority: inherited from its parents' attestations, each carried, verified by
 * signature alone (no lookups) and allowed; the child acts within the intersection of their scopes.
 */
export function inheritedAuthority(
  intent: IntentBody,
  carriedEnvelopes: readonly RawEnvelope[],
  ctx: AuthorityContext,
): Authority {
  const checked = checkParents(intent, carriedEnvelopes, ctx);
  if ('reasons' in checked) return checked;
  const { parents } = checked;
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

// Each parent must be carried, verify under the trust store, name that parent, and be allowed.
function checkParents(
  intent: IntentBody,
  carriedEnvelopes: readonly RawEnvelope[],
  ctx: AuthorityContext,
): { parents: Predicate[] } | { reasons: DenyReason[] } {
  const carried = new Map(carriedEnvelopes.map((env) => [attestationDigest(env), env]));
  const reasons = new Set<DenyReason>();
  const parents: Predicate[] = [];
  for (const ref of intent.parents) {
    const env = carried.get(ref.attestation);
    if (!env) {
      reasons.add('PARENT_MISSING');
      continue;
    }
    try {
      const { predicate } = verifyAttestation(env, ctx);
      const refused = parentRefusal(predicate, ref.execution_id);
      if (refused === null) parents.push(predicate);
      else reasons.add(refused);
    } catch (e) {
      if (!(e instanceof VerificationError)) throw e;
      reasons.add('PARENT_INVALID');
    }
  }
  return reasons.size > 0 ? { reasons: [...reasons].sort() } : { parents };
}

// Why a verified parent attestation passes no authority on, or null when it does.
function parentRefusal(predicate: Predicate, executionId: string): DenyReason | null {
  if (predicate.execution_id !== executionId) return 'PARENT_INVALID';
  if (predicate.decision === 'pending_override') return 'PARENT_PENDING_OVERRIDE';
  if (
    predicate.decision !== 'allow' ||
    (predicate.kind !== 'decision' && predicate.kind !== 'override')
  )
    return 'PARENT_NOT_ALLOWED';
  // A parent without an authority scope (issued before grants) passes no authority on.
  if (predicate.authorization.scope === null) return 'PARENT_INVALID';
  return null;
}
