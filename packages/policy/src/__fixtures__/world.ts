// Keys, a trust store, a policy, intents and parent attestations for deciding in unit tests.
import {
  ATTESTATION_PAYLOAD_TYPE,
  INTENT_PAYLOAD_TYPE,
  INTENT_TYPE,
  buildStatement,
  canonicalBytes,
  encodeStatement,
  executionFingerprint,
  keyIdOf,
  loadTrustStore,
  newExecutionId,
  nobleEd25519,
  noblePublicKey,
  nobleSigner,
  signEnvelope,
  signGrant,
  toBase64,
} from '@lineage/protocol';
import type { Decision, Digest, KeyRole, RawEnvelope, Signer } from '@lineage/protocol';
import type { Predicate } from '@lineage/protocol';
import { loadPolicy } from '../document.js';

export function key(seedByte: number) {
  const seed = new Uint8Array(32).fill(seedByte);
  const pub = noblePublicKey(seed);
  return { signer: nobleSigner(seed, keyIdOf(pub)), pub, keyid: keyIdOf(pub) };
}
export const gov = key(1);
export const agent = key(2);
export const stranger = key(3);
export const entry = (
  k: ReturnType<typeof key>,
  roles: KeyRole[],
  extra: Record<string, string> = {},
) => ({
  keyid: k.keyid,
  name: null,
  public_key: toBase64(k.pub),
  roles,
  valid_from: '2020-01-01T00:00:00Z',
  valid_until: null,
  revoked_at: null,
  ...extra,
});
export const revoked = key(4);
export const expired = key(5);
export const principal = key(6);
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
export function grant(
  agentKeyid: string,
  over: Record<string, unknown> = {},
  by: Signer = principal.signer,
) {
  return signGrant(
    {
      grant_id: 'g-1',
      principal: by.keyid as never,
      agent: agentKeyid as never,
      scope: SCOPE,
      policy: 'p',
      valid_from: '2024-01-01T00:00:00Z',
      valid_until: '2027-01-01T00:00:00Z',
      issued_at: '2024-01-01T00:00:00Z',
      ...over,
    },
    by,
  );
}
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
export function signed(signer: Signer, b: Record<string, unknown>): RawEnvelope {
  return signEnvelope(INTENT_PAYLOAD_TYPE, canonicalBytes(b), signer);
}
export function attestation(
  executionId: string,
  decision: Decision,
  signer: Signer = gov.signer,
  over: Partial<Predicate> = {},
): RawEnvelope {
  const digest = '0'.repeat(64) as Digest;
  const statement = buildStatement(
    {
      execution_id: executionId,
      execution_fingerprint: executionFingerprint(executionId, digest, over.policy ?? policy.ref),
      kind: 'decision',
      decision,
      reasons: [],
      agent: agent.keyid,
      action: 'read.x',
      resource: 'r',
      policy: policy.ref,
      runtime_hash: digest,
      parents: [],
      authorization: {
        grant: null,
        inherited_from: [],
        principals: [principal.keyid as never],
        scope: SCOPE,
        depth: 0,
      },
      partition: 0,
      sequence: 0,
      prev: null,
      issued_at: '2026-01-01T00:00:00Z',
      issuer: signer.keyid as never,
      intent: null,
      override: null,
      ...over,
    },
    digest,
  );
  return signEnvelope(ATTESTATION_PAYLOAD_TYPE, encodeStatement(statement), signer);
}
