// The world policy decisions are tested in: keys, a trust store and a policy, built with the kit.
import { INTENT_TYPE, loadTrustStore, newExecutionId, nobleEd25519 } from '@lineage/protocol';
import type { Decision, Digest, KeyRole, Predicate, RawEnvelope, Signer } from '@lineage/protocol';
import {
  byteKey,
  grantBody,
  grantEnvelope,
  makeAttestation,
  signedIntent,
  trustedKey,
} from '@lineage/testkit';
import type { TestKey } from '@lineage/testkit';
import { loadPolicy } from '../document.js';

export const key = byteKey;
export const gov = key(1);
export const agent = key(2);
export const stranger = key(3);
export const revoked = key(4);
export const expired = key(5);
export const principal = key(6);
export const entry = (k: TestKey, roles: KeyRole[], extra: Record<string, string> = {}) =>
  trustedKey(k, roles, { name: null, ...extra });
export const trust = loadTrustStore({
  version: 1,
  keys: [
    entry(gov, ['governance']),
    entry(agent, ['agent']),
    entry(revoked, ['agent'], { revoked_at: '2025-01-01T00:00:00Z' }),
    entry(expired, ['agent'], { valid_until: '2024-01-01T00:00:00Z' }),
    entry(principal, ['principal']),
  ],
});
export const policy = loadPolicy({
  id: 'p',
  version: 1,
  allow: [{ id: 'all-read', agents: ['*'], actions: ['read.*'] }],
  deny: [{ id: 'no-prod', resource_prefix: 'prod/' }],
});
export const ctx = { policy, trust, ed25519: nobleEd25519 };

export const SCOPE = { actions: ['read.*', 'write.*'], resources: [''] };
/** A grant to `agentKeyid` under policy `p` for reads and writes, valid 2024–2027. */
export function grant(
  agentKeyid: string,
  over: Record<string, unknown> = {},
  by: Signer = principal.signer,
) {
  const body = grantBody(by, { keyid: agentKeyid }, { grant_id: 'g-1', scope: SCOPE, policy: 'p' });
  return grantEnvelope(
    { signer: by },
    {
      ...body,
      valid_from: '2024-01-01T00:00:00Z',
      valid_until: '2027-01-01T00:00:00Z',
      issued_at: '2024-01-01T00:00:00Z',
      ...over,
    },
  );
}
/** A root (with its grant) or child intent body of `read.x` on `r`. */
export function body(signerKeyid: string, over: Record<string, unknown> = {}) {
  const child = Array.isArray(over.parents) && over.parents.length > 0;
  return {
    _type: INTENT_TYPE,
    execution_id: newExecutionId(),
    agent: signerKeyid,
    action: 'read.x',
    resource: 'r',
    inputs: {},
    parents: [],
    grant: child ? null : grant(signerKeyid),
    runtime: { name: 'a', version: '1', digest: 'd' },
    dependencies: [],
    requested_at: '2026-01-01T00:00:00Z',
    trace: null,
    ...over,
  };
}
export const signed = signedIntent;
/** A parent attestation of `executionId` with `decision`, authority from `principal`. */
export function attestation(
  executionId: string,
  decision: Decision,
  signer: Signer = gov.signer,
  over: Partial<Predicate> = {},
): RawEnvelope {
  const digest = '0'.repeat(64) as Digest;
  return makeAttestation({
    governance: { ...gov, keyid: signer.keyid as TestKey['keyid'], signer },
    agent,
    embedIntent: false,
    subjectDigest: digest,
    predicate: {
      execution_id: executionId,
      decision,
      action: 'read.x',
      resource: 'r',
      policy: policy.ref,
      runtime_hash: digest,
      authorization: {
        grant: null,
        inherited_from: [],
        principals: [principal.keyid],
        scope: SCOPE,
        depth: 0,
      },
      sequence: 0,
      prev: null,
      issued_at: '2026-01-01T00:00:00Z',
      ...over,
    },
  }).envelope;
}
