import { describe, expect, it } from 'vitest';
import {
  ATTESTATION_PAYLOAD_TYPE,
  INTENT_PAYLOAD_TYPE,
  INTENT_TYPE,
  attestationDigest,
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
import { decide } from './decide.js';
import { loadPolicy } from './document.js';

function key(seedByte: number) {
  const seed = new Uint8Array(32).fill(seedByte);
  const pub = noblePublicKey(seed);
  return { signer: nobleSigner(seed, keyIdOf(pub)), pub, keyid: keyIdOf(pub) };
}
const gov = key(1);
const agent = key(2);
const stranger = key(3);
const entry = (
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
const revoked = key(4);
const expired = key(5);
const principal = key(6);
const trust = loadTrustStore({
  version: 1,
  keys: [
    entry(gov, ['governance']),
    entry(agent, ['agent']),
    entry(revoked, ['agent'], { revoked_at: '2025-01-01T00:00:00Z' }),
    entry(expired, ['agent'], { valid_until: '2024-01-01T00:00:00Z' }),
    entry(principal, ['principal']),
  ],
});
const policy = loadPolicy({
  id: 'p',
  version: 1,
  allow: [{ id: 'all-read', agents: ['*'], actions: ['read.*'] }],
  deny: [{ id: 'no-prod', resource_prefix: 'prod/' }],
});
const ctx = { policy, trust, ed25519: nobleEd25519 };

const SCOPE = { actions: ['read.*', 'write.*'], resources: [''] };
function grant(agentKeyid: string, over: Record<string, unknown> = {}) {
  return signGrant(
    {
      grant_id: 'g-1',
      principal: principal.keyid as never,
      agent: agentKeyid as never,
      scope: SCOPE,
      policy: 'p',
      valid_from: '2024-01-01T00:00:00Z',
      valid_until: '2027-01-01T00:00:00Z',
      issued_at: '2024-01-01T00:00:00Z',
      ...over,
    },
    principal.signer,
  );
}
function body(signerKeyid: string, over: Record<string, unknown> = {}) {
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
function signed(signer: Signer, b: Record<string, unknown>): RawEnvelope {
  return signEnvelope(INTENT_PAYLOAD_TYPE, canonicalBytes(b), signer);
}
function attestation(
  executionId: string,
  decision: Decision,
  signer: Signer = gov.signer,
): RawEnvelope {
  const digest = '0'.repeat(64) as Digest;
  const statement = buildStatement(
    {
      execution_id: executionId,
      execution_fingerprint: executionFingerprint(executionId, digest, policy.ref),
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
    },
    digest,
  );
  return signEnvelope(ATTESTATION_PAYLOAD_TYPE, encodeStatement(statement), signer);
}
const run = (b: Record<string, unknown>, env?: RawEnvelope, parents: RawEnvelope[] = []) =>
  decide(
    {
      executionId: b.execution_id as string,
      envelope: env ?? signed(agent.signer, b),
      parentAttestations: parents,
    },
    ctx,
  );

describe('decide: given an intent and its parents, then one decision with its reason', () => {
  it('allows a well-formed root intent under a matching rule', () => {
    const out = run(body(agent.keyid));
    expect([out.decision, out.reasons]).toEqual(['allow', ['rule:all-read']]);
  });

  it.each([
    [
      'a payload of another type',
      (b: Record<string, unknown>) => ({ ...signed(agent.signer, b), payload_type: 'text/plain' }),
      'INTENT_MALFORMED',
    ],
    [
      'an unsigned intent',
      (b: Record<string, unknown>) => ({ ...signed(agent.signer, b), signatures: [] }),
      'AGENT_SIGNATURE_MISSING',
    ],
    [
      'a signature by someone else under the agent key id',
      (b: Record<string, unknown>) => ({
        ...signed(stranger.signer, b),
        signatures: [{ keyid: agent.keyid, sig: stranger.signer.sign(new Uint8Array(3)) }],
      }),
      'AGENT_SIGNATURE_INVALID',
    ],
  ])('denies %s', (_n, make, code) => {
    const b = body(agent.keyid);
    expect(run(b, make(b)).reasons).toEqual([code]);
  });

  it('denies a key that is unknown, revoked, expired, or not an agent key', () => {
    const s = body(stranger.keyid);
    expect(run(s, signed(stranger.signer, s)).reasons).toEqual(['AGENT_KEY_UNKNOWN']);
    const r = body(revoked.keyid);
    expect(run(r, signed(revoked.signer, r)).reasons).toEqual(['AGENT_KEY_REVOKED']);
    const e = body(expired.keyid);
    expect(run(e, signed(expired.signer, e)).reasons).toEqual(['AGENT_KEY_EXPIRED']);
    const g = body(gov.keyid);
    expect(run(g, signed(gov.signer, g)).reasons).toEqual(['AGENT_KEY_UNKNOWN']);
  });

  it('a key revoked after the request still decides requests made before', () => {
    const b = body(revoked.keyid, { requested_at: '2024-06-01T00:00:00Z' });
    expect(run(b, signed(revoked.signer, b)).decision).toBe('allow');
  });

  it('denies when the routing id is not the signed id', () => {
    const b = body(agent.keyid);
    expect(
      decide(
        {
          executionId: newExecutionId(),
          envelope: signed(agent.signer, b),
          parentAttestations: [],
        },
        ctx,
      ).reasons,
    ).toEqual(['INTENT_MALFORMED']);
  });

  it('checks each parent: present, verifying, naming that execution, allowed', () => {
    const pid = newExecutionId();
    const ok = attestation(pid, 'allow');
    const ref = (env: RawEnvelope, id = pid) => ({
      execution_id: id,
      attestation: attestationDigest(env),
    });
    expect(run(body(agent.keyid, { parents: [ref(ok)] }), undefined, [ok]).decision).toBe('allow');
    expect(run(body(agent.keyid, { parents: [ref(ok)] }), undefined, []).reasons).toEqual([
      'PARENT_MISSING',
    ]);
    const forged = attestation(pid, 'allow', stranger.signer);
    expect(run(body(agent.keyid, { parents: [ref(forged)] }), undefined, [forged]).reasons).toEqual(
      ['PARENT_INVALID'],
    );
    expect(
      run(body(agent.keyid, { parents: [ref(ok, newExecutionId())] }), undefined, [ok]).reasons,
    ).toEqual(['PARENT_INVALID']);
    const denied = attestation(pid, 'deny');
    expect(run(body(agent.keyid, { parents: [ref(denied)] }), undefined, [denied]).reasons).toEqual(
      ['PARENT_NOT_ALLOWED'],
    );
    const pending = attestation(pid, 'pending_override');
    expect(
      run(body(agent.keyid, { parents: [ref(pending)] }), undefined, [pending]).reasons,
    ).toEqual(['PARENT_PENDING_OVERRIDE']);
    // Several failing parents report every distinct reason, sorted.
    const both = run(
      body(agent.keyid, { parents: [ref(denied), ref(ok, newExecutionId())] }),
      undefined,
      [denied],
    );
    expect(both.reasons).toEqual(['PARENT_MISSING', 'PARENT_NOT_ALLOWED']);
  });

  it('records inherited authority as the parent attestation digests', () => {
    const pid = newExecutionId();
    const ok = attestation(pid, 'allow');
    const out = run(
      body(agent.keyid, { parents: [{ execution_id: pid, attestation: attestationDigest(ok) }] }),
      undefined,
      [ok],
    );
    expect(out.authorization).toEqual({
      grant: null,
      inherited_from: [attestationDigest(ok)],
      principals: [principal.keyid],
      scope: SCOPE,
      depth: 1,
    });
  });

  it('lets the policy deny what passes every lineage check', () => {
    expect(run(body(agent.keyid, { resource: 'prod/db' })).reasons).toEqual([
      'POLICY_DENIED',
      'rule:no-prod',
    ]);
    expect(run(body(agent.keyid, { action: 'write.x' })).reasons).toEqual(['POLICY_NO_MATCH']);
  });

  it('is deterministic: the same inputs give the same outcome', () => {
    const b = body(agent.keyid);
    const env = signed(agent.signer, b);
    expect(run(b, env)).toEqual(run(b, env));
  });
});
