import { describe, expect, it } from 'vitest';
import { attestationDigest, loadTrustStore, newExecutionId, nobleEd25519 } from '@lineage/protocol';
import type { RawEnvelope } from '@lineage/protocol';
import { deciderSpecification } from '@lineage/testkit/spec';
import { decide } from './decide.js';
import type { DecideContext, DecisionOutcome } from './decide.js';
import { loadPolicy } from './document.js';
import {
  SCOPE,
  agent,
  attestation,
  body,
  ctx,
  expired,
  gov,
  grant,
  policy,
  principal,
  revoked,
  signed,
  stranger,
  trust,
} from './__fixtures__/world.js';

const run = (b: Record<string, unknown>, env?: RawEnvelope, parents: RawEnvelope[] = []) =>
  decide(
    {
      executionId: b.execution_id as string,
      envelope: env ?? signed(agent.signer, b),
      parentAttestations: parents,
    },
    ctx,
  );

/** What a decision is made in: the trust store, the policy and the parent attestations at hand. */
interface World extends DecideContext {
  attestations: RawEnvelope[];
}
/** An intent: its body, and its envelope (default: the body signed by `agent`). */
interface Intent {
  body: Record<string, unknown>;
  envelope?: RawEnvelope;
}
// given(world).when(intent).then(decision and reasons)
const given = deciderSpecification<World, Intent, DecisionOutcome>({
  initialState: () => ({ ...ctx, attestations: [] }),
  decide: (intent, { attestations, ...context }) =>
    decide(
      {
        executionId: intent.body.execution_id as string,
        envelope: intent.envelope ?? signed(agent.signer, intent.body),
        parentAttestations: attestations,
      },
      context,
    ),
});
/** The parent link naming `envelope` as the attestation of `id`. */
const ref = (envelope: RawEnvelope, id: string) => ({
  execution_id: id,
  attestation: attestationDigest(envelope),
});

describe('decide: given an intent and its parents, then one decision with its reason', () => {
  it('allows a well-formed root intent under a matching rule', () => {
    given()
      .when({ body: body(agent.keyid) })
      .then({ decision: 'allow', reasons: ['rule:all-read'] });
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
    const child = (...parents: ReturnType<typeof ref>[]) => ({
      body: body(agent.keyid, { parents }),
    });
    const ok = attestation(pid, 'allow');
    given({ attestations: [ok] })
      .when(child(ref(ok, pid)))
      .then({ decision: 'allow' });
    given({ attestations: [] })
      .when(child(ref(ok, pid)))
      .then({ reasons: ['PARENT_MISSING'] });
    const forged = attestation(pid, 'allow', stranger.signer);
    given({ attestations: [forged] })
      .when(child(ref(forged, pid)))
      .then({ reasons: ['PARENT_INVALID'] });
    given({ attestations: [ok] })
      .when(child(ref(ok, newExecutionId())))
      .then({ reasons: ['PARENT_INVALID'] });
    const denied = attestation(pid, 'deny');
    given({ attestations: [denied] })
      .when(child(ref(denied, pid)))
      .then({ reasons: ['PARENT_NOT_ALLOWED'] });
    const pending = attestation(pid, 'pending_override');
    given({ attestations: [pending] })
      .when(child(ref(pending, pid)))
      .then({ reasons: ['PARENT_PENDING_OVERRIDE'] });
    // Several failing parents report every distinct reason, sorted.
    given({ attestations: [denied] })
      .when(child(ref(denied, pid), ref(ok, newExecutionId())))
      .then({ reasons: ['PARENT_MISSING', 'PARENT_NOT_ALLOWED'] });
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
    given()
      .when({ body: body(agent.keyid, { resource: 'prod/db' }) })
      .then({ reasons: ['POLICY_DENIED', 'rule:no-prod'] });
    given()
      .when({ body: body(agent.keyid, { action: 'write.x' }) })
      .then({ reasons: ['POLICY_NO_MATCH'] });
  });

  it('is deterministic: the same inputs give the same outcome', () => {
    const b = body(agent.keyid);
    const env = signed(agent.signer, b);
    expect(run(b, env)).toEqual(run(b, env));
  });
});

describe('decide: authority comes from a root grant or from the parents', () => {
  const rootWith = (g: unknown, over: Record<string, unknown> = {}) =>
    run(body(agent.keyid, { grant: g, ...over }));

  it('records the grant, its principal, scope and depth 0 on an allowed root', () => {
    const out = run(body(agent.keyid));
    expect(out.decision).toBe('allow');
    expect(out.authorization).toMatchObject({
      inherited_from: [],
      principals: [principal.keyid],
      scope: SCOPE,
      depth: 0,
    });
    expect(out.authorization.grant).toMatch(/^[0-9a-f]{64}$/);
  });

  it.each([
    ['no grant', () => null, 'GRANT_MISSING'],
    ['a grant that is not an envelope', () => ({ scope: '*' }), 'GRANT_INVALID'],
    [
      'a grant signed by someone else',
      () => ({
        ...grant(agent.keyid),
        signatures: grant(agent.keyid, {}, stranger.signer).signatures,
      }),
      'GRANT_INVALID',
    ],
    [
      'a grant by an unknown principal',
      () => grant(agent.keyid, {}, stranger.signer),
      'GRANT_PRINCIPAL_UNTRUSTED',
    ],
    ['a grant for another agent', () => grant(stranger.keyid), 'GRANT_OUT_OF_SCOPE'],
    [
      'a grant under another policy',
      () => grant(agent.keyid, { policy: 'other' }),
      'GRANT_OUT_OF_SCOPE',
    ],
    [
      'a grant whose scope misses the action',
      () => grant(agent.keyid, { scope: { actions: ['write.*'], resources: [''] } }),
      'GRANT_OUT_OF_SCOPE',
    ],
    [
      'a grant whose scope misses the resource',
      () => grant(agent.keyid, { scope: { actions: ['read.*'], resources: ['tenant-b/'] } }),
      'GRANT_OUT_OF_SCOPE',
    ],
    [
      'a grant used after its window',
      () => grant(agent.keyid, { valid_until: '2025-06-01T00:00:00Z' }),
      'GRANT_EXPIRED',
    ],
    [
      'a grant used before its window',
      () => grant(agent.keyid, { valid_from: '2026-06-01T00:00:00Z' }),
      'GRANT_EXPIRED',
    ],
  ])('denies a root intent with %s', (_n, make, code) => {
    const out = rootWith(make());
    expect([out.decision, out.reasons]).toEqual(['deny', [code]]);
  });

  it('denies a grant whose principal key was revoked before the intent', () => {
    const revokedTrust = loadTrustStore({
      version: 1,
      keys: trust.document.keys.map((k) =>
        k.keyid === principal.keyid ? { ...k, revoked_at: '2025-12-01T00:00:00Z' } : k,
      ),
    });
    const b = body(agent.keyid);
    const out = decide(
      { executionId: b.execution_id, envelope: signed(agent.signer, b), parentAttestations: [] },
      { ...ctx, trust: revokedTrust },
    );
    expect(out.reasons).toEqual(['GRANT_PRINCIPAL_UNTRUSTED']);
  });

  const parent = (
    over: Parameters<typeof attestation>[3] = {},
    decision: 'allow' | 'deny' = 'allow',
  ) => {
    const id = newExecutionId();
    const env = attestation(id, decision, gov.signer, over);
    return { env, ref: { execution_id: id, attestation: attestationDigest(env) } };
  };
  const child = (parents: ReturnType<typeof parent>[], over: Record<string, unknown> = {}) =>
    run(
      body(agent.keyid, { parents: parents.map((p) => p.ref), ...over }),
      undefined,
      parents.map((p) => p.env),
    );

  it('a child inherits: scopes intersect, principals unite, depth is one more than the deepest parent', () => {
    const a = parent({
      authorization: {
        grant: null,
        inherited_from: [],
        principals: [principal.keyid],
        scope: { actions: ['read.*'], resources: ['t/'] },
        depth: 0,
      },
    });
    const b = parent({
      authorization: {
        grant: null,
        inherited_from: [],
        principals: [gov.keyid],
        scope: { actions: ['read.docs', 'write.*'], resources: [''] },
        depth: 2,
      },
    });
    const out = child([a, b], { action: 'read.docs', resource: 't/1' });
    expect(out.decision).toBe('allow');
    expect(out.authorization).toEqual({
      grant: null,
      inherited_from: [a.ref.attestation, b.ref.attestation],
      principals: [principal.keyid, gov.keyid].sort(),
      scope: { actions: ['read.docs'], resources: ['t/'] },
      depth: 3,
    });
    // Outside the intersection, though inside one parent's scope: out of scope.
    expect(child([a, b], { action: 'read.other', resource: 't/1' }).reasons).toEqual([
      'GRANT_OUT_OF_SCOPE',
    ]);
    expect(child([a, b], { action: 'read.docs', resource: 'u/1' }).reasons).toEqual([
      'GRANT_OUT_OF_SCOPE',
    ]);
  });

  it('a child may descend from an approved override, never from a pending, refused or scopeless parent', () => {
    const pending = parent({}, 'allow');
    const overrideOf = parent({
      kind: 'override',
      override: {
        pending: pending.ref.attestation,
        resolution: { payloadType: 'x', payload: '', signatures: [] },
      },
    });
    // verifyAttestation refuses an override whose resolution does not verify: the parent is invalid.
    expect(child([overrideOf]).reasons).toEqual(['PARENT_INVALID']);
    const held = parent({}, 'allow');
    const pendingEnv = attestation(held.ref.execution_id, 'pending_override');
    expect(
      run(
        body(agent.keyid, {
          parents: [
            { execution_id: held.ref.execution_id, attestation: attestationDigest(pendingEnv) },
          ],
        }),
        undefined,
        [pendingEnv],
      ).reasons,
    ).toEqual(['PARENT_PENDING_OVERRIDE']);
    expect(child([parent({ kind: 'replay_rejection' })]).reasons).toEqual(['PARENT_NOT_ALLOWED']);
    expect(
      child([
        parent({
          authorization: { grant: null, inherited_from: [], principals: [], scope: null, depth: 0 },
        }),
      ]).reasons,
    ).toEqual(['PARENT_INVALID']);
  });

  it('the policy sees depth, principals and inputs, and can hold for an override', () => {
    const strict = loadPolicy({
      id: 'p',
      version: 2,
      allow: [{ id: 'all-read', agents: ['*'], actions: ['read.*'] }],
      deny: [{ id: 'shallow-only', min_depth: 2 }],
      require_override: [
        { id: 'big', inputs: [{ path: 'rows', op: 'gt', value: 100 }], approvers: ['*'] },
      ],
    });
    const under = (b: Record<string, unknown>, parents: ReturnType<typeof parent>[] = []) =>
      decide(
        {
          executionId: b.execution_id as string,
          envelope: signed(agent.signer, b),
          parentAttestations: parents.map((p) => p.env),
        },
        { policy: strict, trust, ed25519: nobleEd25519 },
      );
    expect(under(body(agent.keyid, { inputs: { rows: 5 } })).decision).toBe('allow');
    expect(under(body(agent.keyid, { inputs: { rows: 500 } }))).toMatchObject({
      decision: 'pending_override',
      reasons: ['OVERRIDE_REQUIRED', 'rule:big'],
    });
    const deep = parent({
      authorization: {
        grant: null,
        inherited_from: [],
        principals: [principal.keyid],
        scope: SCOPE,
        depth: 1,
      },
    });
    expect(under(body(agent.keyid, { parents: [deep.ref] }), [deep]).reasons).toEqual([
      'POLICY_DENIED',
      'rule:shallow-only',
    ]);
  });
});

describe("decide: the claimed request time is bounded by the broker's append time when the policy says so", () => {
  const bounded = loadPolicy({ ...policy.document, max_clock_skew_seconds: 300 });
  const at = (b: Record<string, unknown>, receivedAt: string | undefined, k = agent) =>
    decide(
      {
        executionId: b.execution_id as string,
        envelope: signed(k.signer, b),
        parentAttestations: [],
        ...(receivedAt === undefined ? {} : { receivedAt }),
      },
      { ...ctx, policy: bounded },
    );
  const requested = '2026-01-01T00:00:00.000Z';

  it('allows within the bound, on either side', () => {
    const b = body(agent.keyid, { requested_at: requested });
    expect(at(b, '2026-01-01T00:05:00.000Z').decision).toBe('allow');
    expect(at(b, '2025-12-31T23:55:00.000Z').decision).toBe('allow');
  });

  it('denies INTENT_CLOCK_SKEW beyond it, or when the append time is unknown', () => {
    const b = body(agent.keyid, { requested_at: requested });
    expect(at(b, '2026-01-01T00:05:00.001Z').reasons).toEqual(['INTENT_CLOCK_SKEW']);
    expect(at(b, undefined).reasons).toEqual(['INTENT_CLOCK_SKEW']);
    expect(at(b, 'not a time').reasons).toEqual(['INTENT_CLOCK_SKEW']);
  });

  it('stops a revoked key from backdating its claim to before the revocation', () => {
    const b = body(revoked.keyid, { requested_at: '2024-06-01T00:00:00Z' });
    // Unbounded, the backdated claim passes the key window; bounded, the broker's time refuses it.
    expect(run(b, signed(revoked.signer, b)).decision).toBe('allow');
    expect(at(b, '2026-02-01T00:00:00.000Z', revoked).reasons).toEqual(['INTENT_CLOCK_SKEW']);
  });

  it('refuses a bound that is not a positive integer (POLICY_MALFORMED)', () => {
    for (const bad of [0, -5, 1.5, '300'])
      expect(() => loadPolicy({ ...policy.document, max_clock_skew_seconds: bad })).toThrow(
        expect.objectContaining({ code: 'POLICY_MALFORMED' }) as Error,
      );
  });
});
