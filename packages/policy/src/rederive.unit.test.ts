import { describe, expect, it } from 'vitest';
import {
  ATTESTATION_PAYLOAD_TYPE,
  attestationDigest,
  buildStatement,
  canonicalize,
  encodeStatement,
  executionFingerprint,
  loadTrustStore,
  nobleEd25519,
  signEnvelope,
  signResolution,
  toDsse,
} from '@lineage/protocol';
import type {
  Digest,
  ExecutionId,
  KeyId,
  OverrideRef,
  Predicate,
  RawEnvelope,
  Signer,
} from '@lineage/protocol';
import { decide } from './decide.js';
import type { DecisionOutcome } from './decide.js';
import { loadPolicy } from './document.js';
import type { LoadedPolicy } from './document.js';
import { rederive } from './rederive.js';
import type { RederiveContext } from './rederive.js';
import { agent, body, entry, gov, key, principal, signed, stranger } from './__fixtures__/world.js';

const approver = key(7);
const trust = loadTrustStore({
  version: 1,
  keys: [
    entry(gov, ['governance']),
    entry(agent, ['agent']),
    entry(principal, ['principal']),
    entry(approver, ['approver']),
  ],
});
// Reads are allowed; writes are held for an approver; prod is denied.
const policy = loadPolicy({
  id: 'p',
  version: 1,
  allow: [{ id: 'all', agents: ['*'], actions: ['read.*', 'write.*'] }],
  deny: [{ id: 'no-prod', resource_prefix: 'prod/' }],
  require_override: [{ id: 'writes', actions: ['write.*'], approvers: [approver.keyid] }],
});

/** A ledger under test: envelopes in append order, documents by hash. */
class Ledger {
  readonly envelopes: RawEnvelope[] = [];
  readonly documents = new Map<string, unknown>([[policy.ref.hash, policy.document]]);
  append(env: RawEnvelope): RawEnvelope {
    this.envelopes.push(env);
    return env;
  }
  get ctx(): RederiveContext {
    const byDigest = new Map<string, RawEnvelope>(
      this.envelopes.map((e) => [attestationDigest(e), e]),
    );
    const index = (d: string) => this.envelopes.findIndex((e) => attestationDigest(e) === d);
    const parsed = this.envelopes.map((e) => ({
      digest: attestationDigest(e),
      s: JSON.parse(new TextDecoder().decode(e.payload)) as {
        subject: [{ digest: { sha256: string } }];
        predicate: Predicate;
      },
    }));
    return {
      trust,
      ed25519: nobleEd25519,
      attestation: (d) => byDigest.get(d),
      policyDocument: (h) => this.documents.get(h),
      overriddenBefore: (pending, at) =>
        parsed
          .slice(0, index(at.digest))
          .some(
            (x) => x.s.predicate.kind === 'override' && x.s.predicate.override?.pending === pending,
          ),
      decidedBefore: (id, at) =>
        parsed
          .slice(0, index(at.digest))
          .find((x) => x.s.predicate.kind === 'decision' && x.s.predicate.execution_id === id)?.s
          .subject[0].digest.sha256,
    };
  }
}

/** Signs what governance would append for an outcome (optionally falsified by `over`). */
function record(
  intent: RawEnvelope | null,
  o: Pick<DecisionOutcome, 'decision' | 'reasons' | 'intentDigest' | 'parents' | 'authorization'>,
  executionId: string,
  over: Partial<Predicate> = {},
  signer: Signer = gov.signer,
  pinned: LoadedPolicy = policy,
): RawEnvelope {
  const predicate: Predicate = {
    execution_id: executionId,
    execution_fingerprint: executionFingerprint(executionId, o.intentDigest, pinned.ref),
    kind: 'decision',
    decision: o.decision,
    reasons: o.reasons,
    agent: agent.keyid,
    action: 'read.x',
    resource: 'r',
    policy: pinned.ref,
    runtime_hash: '0'.repeat(64) as Digest,
    parents: o.parents,
    authorization: o.authorization,
    partition: 0,
    sequence: 0,
    prev: null,
    issued_at: '2026-01-01T00:00:00Z',
    issuer: signer.keyid as KeyId,
    intent: intent === null ? null : toDsse(intent),
    override: null,
    ...over,
  };
  return signEnvelope(
    ATTESTATION_PAYLOAD_TYPE,
    encodeStatement(buildStatement(predicate, o.intentDigest)),
    signer,
  );
}

/** Decides an intent under the policy and appends the attestation governance would. */
function decided(ledger: Ledger, b: Record<string, unknown>, parents: RawEnvelope[] = []) {
  const env = signed(agent.signer, b);
  const id = b.execution_id as string;
  const o = decide(
    { executionId: id, envelope: env, parentAttestations: parents },
    {
      policy,
      trust,
      ed25519: nobleEd25519,
    },
  );
  return { env, o, id, attestation: ledger.append(record(env, o, id)) };
}

const child = (parent: RawEnvelope, id: string, over: Record<string, unknown> = {}) =>
  body(agent.keyid, {
    parents: [{ execution_id: id, attestation: attestationDigest(parent) }],
    ...over,
  });

function resolutionOf(pending: RawEnvelope, id: string, resolution: 'approve' | 'reject') {
  return signResolution(
    {
      execution_id: id as ExecutionId,
      pending: attestationDigest(pending),
      resolution,
      approver: approver.keyid as KeyId,
      reason: 'looked at it',
      resolved_at: '2026-01-01T00:05:00Z',
    },
    approver.signer,
  );
}

function overrideRecord(
  held: ReturnType<typeof decided>,
  kind: 'override' | 'override_rejection',
  decision: 'allow' | 'deny',
  reasons: DecisionOutcome['reasons'],
  resolution: 'approve' | 'reject' = 'approve',
): RawEnvelope {
  const ref: OverrideRef = {
    pending: attestationDigest(held.attestation),
    resolution: toDsse(resolutionOf(held.attestation, held.id, resolution)),
  };
  return record(held.env, { ...held.o, decision, reasons }, held.id, { kind, override: ref });
}

describe('rederive: given a recorded attestation and the ledger, then it re-derives or names the mismatch', () => {
  it('re-derives a root allow, a policy deny, and an inherited child', () => {
    const ledger = new Ledger();
    const root = decided(ledger, body(agent.keyid));
    const denied = decided(ledger, body(agent.keyid, { resource: 'prod/x' }));
    const kid = decided(ledger, child(root.attestation, root.id), [root.attestation]);
    expect(kid.o.authorization.depth).toBe(1);
    for (const x of [root, denied, kid])
      expect(rederive(x.attestation, ledger.ctx)).toEqual({
        ok: true,
        kind: 'decision',
        executionId: x.id,
      });
  });

  it('reports DECISION_MISMATCH with what re-deciding gives and what was recorded', () => {
    const ledger = new Ledger();
    const b = body(agent.keyid, { resource: 'prod/x' });
    const env = signed(agent.signer, b);
    const honest = decide(
      { executionId: b.execution_id, envelope: env, parentAttestations: [] },
      { policy, trust, ed25519: nobleEd25519 },
    );
    const lie = ledger.append(
      record(env, { ...honest, decision: 'allow', reasons: ['rule:all'] }, b.execution_id),
    );
    const out = rederive(lie, ledger.ctx);
    expect(out.ok).toBe(false);
    if (out.ok) return;
    expect(out.code).toBe('DECISION_MISMATCH');
    expect(out.expected?.decision).toBe('deny');
    expect(out.recorded?.decision).toBe('allow');
    // A different authorization path is a mismatch too.
    const path = ledger.append(
      record(
        env,
        { ...honest, authorization: { ...honest.authorization, depth: 3 } },
        b.execution_id,
      ),
    );
    expect(rederive(path, ledger.ctx)).toMatchObject({ ok: false, code: 'DECISION_MISMATCH' });
  });

  it('reports POLICY_MISSING and POLICY_HASH_MISMATCH for the pinned document', () => {
    const ledger = new Ledger();
    const root = decided(ledger, body(agent.keyid));
    // Stored as canonical text, as the policies topic carries it, it still re-derives.
    ledger.documents.set(policy.ref.hash, canonicalize(policy.document));
    expect(rederive(root.attestation, ledger.ctx).ok).toBe(true);
    ledger.documents.set(policy.ref.hash, { ...policy.document, version: 99 });
    expect(rederive(root.attestation, ledger.ctx)).toMatchObject({
      ok: false,
      code: 'POLICY_HASH_MISMATCH',
    });
    ledger.documents.set(policy.ref.hash, '{not json');
    expect(rederive(root.attestation, ledger.ctx)).toMatchObject({
      code: 'POLICY_HASH_MISMATCH',
    });
    ledger.documents.set(policy.ref.hash, { id: 'p' });
    expect(rederive(root.attestation, ledger.ctx)).toMatchObject({
      code: 'POLICY_HASH_MISMATCH',
    });
    ledger.documents.clear();
    expect(rederive(root.attestation, ledger.ctx)).toMatchObject({ code: 'POLICY_MISSING' });
  });

  it('reports INTENT_MISSING, PARENT_UNAVAILABLE and ATTESTATION_INVALID', () => {
    const ledger = new Ledger();
    const root = decided(ledger, body(agent.keyid));
    const bare = ledger.append(record(null, root.o, root.id));
    expect(rederive(bare, ledger.ctx)).toMatchObject({ ok: false, code: 'INTENT_MISSING' });
    // The recorded intent stands in for one too large to embed — only the very bytes the subject names.
    expect(rederive(bare, { ...ledger.ctx, recordedIntent: () => root.env })).toMatchObject({
      ok: true,
    });
    const other = signed(agent.signer, body(agent.keyid));
    expect(rederive(bare, { ...ledger.ctx, recordedIntent: () => other })).toMatchObject({
      ok: false,
      code: 'INTENT_MISSING',
    });
    // The child was allowed with its parent carried; a ledger without that parent cannot show it.
    const elsewhere = new Ledger();
    const kid = decided(elsewhere, child(root.attestation, root.id), [root.attestation]);
    expect(rederive(kid.attestation, elsewhere.ctx)).toMatchObject({
      ok: false,
      code: 'PARENT_UNAVAILABLE',
    });
    // Given the parents the intent record carried, the same child re-derives exactly.
    const carried = { ...elsewhere.ctx, carried: () => [root.attestation] };
    expect(rederive(kid.attestation, carried)).toMatchObject({ ok: true });
    const forged = record(root.env, root.o, root.id, {}, stranger.signer);
    expect(rederive(forged, ledger.ctx)).toMatchObject({
      ok: false,
      code: 'ATTESTATION_INVALID',
    });
  });

  it("re-derives a denial for a forged parent from the carried bytes, not the ledger's genuine copy", () => {
    const ledger = new Ledger();
    const root = decided(ledger, body(agent.keyid));
    // The same statement re-signed by a key governance does not trust: same digest, other signature.
    const forgedParent: RawEnvelope = {
      ...root.attestation,
      signatures: [{ keyid: stranger.keyid, sig: stranger.signer.sign(new Uint8Array(1)) }],
    };
    const kid = decided(ledger, child(root.attestation, root.id), [forgedParent]);
    expect(kid.o.reasons).toEqual(['PARENT_INVALID']);
    const withCarried = { ...ledger.ctx, carried: () => [forgedParent] };
    expect(rederive(kid.attestation, withCarried)).toMatchObject({ ok: true });
    // Re-deciding with the ledger's genuine copy instead would allow it: a mismatch, reported.
    expect(rederive(kid.attestation, ledger.ctx)).toMatchObject({
      ok: false,
      code: 'DECISION_MISMATCH',
    });
  });

  it('re-derives a replay rejection only over an earlier decision of another intent', () => {
    const ledger = new Ledger();
    const first = decided(ledger, body(agent.keyid));
    const other = signed(
      agent.signer,
      body(agent.keyid, { execution_id: first.id, action: 'read.y' }),
    );
    const reject = (env: RawEnvelope) =>
      record(
        env,
        {
          decision: 'deny',
          reasons: ['REPLAY_EXECUTION_ID'],
          intentDigest: attestationDigest(env),
          parents: [],
          authorization: first.o.authorization,
        },
        first.id,
        { kind: 'replay_rejection' },
      );
    const rejection = ledger.append(reject(other));
    expect(rederive(rejection, ledger.ctx)).toMatchObject({ ok: true, kind: 'replay_rejection' });
    // Without the earlier decision on the ledger, it is unfounded.
    const alone = new Ledger();
    const orphan = alone.append(reject(other));
    expect(rederive(orphan, alone.ctx)).toMatchObject({ ok: false, code: 'REPLAY_UNFOUNDED' });
  });

  it('re-resolves an override: approved once, a second resolution refused, a rejection honoured', () => {
    const ledger = new Ledger();
    const held = decided(ledger, body(agent.keyid, { action: 'write.x' }));
    expect(held.o.decision).toBe('pending_override');
    expect(rederive(held.attestation, ledger.ctx).ok).toBe(true);
    const approved = ledger.append(
      overrideRecord(held, 'override', 'allow', ['OVERRIDE_APPROVED']),
    );
    expect(rederive(approved, ledger.ctx)).toMatchObject({ ok: true, kind: 'override' });
    // A second resolution after the first override is refused; recorded as such it re-derives.
    const again = ledger.append(
      overrideRecord(held, 'override_rejection', 'deny', ['OVERRIDE_ALREADY_RESOLVED'], 'reject'),
    );
    expect(rederive(again, ledger.ctx)).toMatchObject({ ok: true, kind: 'override_rejection' });
    // Recorded as a second override, it does not.
    const twice = ledger.append(
      overrideRecord(held, 'override', 'deny', ['OVERRIDE_REJECTED'], 'reject'),
    );
    expect(rederive(twice, ledger.ctx)).toMatchObject({
      ok: false,
      code: 'DECISION_MISMATCH',
      expected: { kind: 'override_rejection', reasons: ['OVERRIDE_ALREADY_RESOLVED'] },
    });
    // The pending decision's pinned policy must still be stored as it was.
    ledger.documents.set(policy.ref.hash, { ...policy.document, require_override: [] });
    expect(rederive(approved, ledger.ctx)).toMatchObject({
      ok: false,
      code: 'POLICY_HASH_MISMATCH',
    });
  });

  it('a rejection of a pending decision that is not on the ledger re-derives as not pending', () => {
    const ledger = new Ledger();
    const elsewhere = new Ledger();
    const held = decided(elsewhere, body(agent.keyid, { action: 'write.x' }));
    const refused = ledger.append(
      overrideRecord(held, 'override_rejection', 'deny', ['OVERRIDE_NOT_PENDING']),
    );
    expect(rederive(refused, ledger.ctx)).toMatchObject({ ok: true, kind: 'override_rejection' });
    const accepted = ledger.append(
      overrideRecord(held, 'override', 'allow', ['OVERRIDE_APPROVED']),
    );
    expect(rederive(accepted, ledger.ctx)).toMatchObject({ ok: false, code: 'DECISION_MISMATCH' });
  });
});
