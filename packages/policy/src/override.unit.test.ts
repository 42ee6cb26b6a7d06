import { describe, expect, it } from 'vitest';
import {
  RESOLUTION_PAYLOAD_TYPE,
  attestationDigest,
  canonicalBytes,
  loadTrustStore,
  newExecutionId,
  nobleEd25519,
  signEnvelope,
  signResolution,
} from '@lineage/protocol';
import type { RawEnvelope } from '@lineage/protocol';
import { loadPolicy } from './document.js';
import { resolveOverride } from './override.js';
import type { PendingState } from './override.js';
import {
  agent,
  attestation,
  entry,
  gov,
  key,
  principal,
  stranger,
  trust,
} from './__fixtures__/world.js';

const approver = key(7);
const colleague = key(8);
const agentWithOwner = key(9);
const ownerOfAgent = key(10);
const world = loadTrustStore({
  version: 1,
  keys: [
    ...trust.document.keys.filter((k) => k.keyid !== principal.keyid),
    entry(principal, ['principal', 'approver']),
    entry(approver, ['approver']),
    entry(colleague, ['approver']),
    entry(agentWithOwner, ['agent'], { owner: 'team-a' }),
    entry(ownerOfAgent, ['approver'], { owner: 'team-a' }),
    entry(stranger, ['agent']),
  ],
});
const hold = loadPolicy({
  id: 'p',
  version: 1,
  allow: [],
  deny: [],
  require_override: [
    { id: 'hold', approvers: [approver.keyid, principal.keyid, ownerOfAgent.keyid, agent.keyid] },
    { id: 'hold-self-ok', approvers: ['*'], self_approval: 'allow' },
  ],
});
const ctx = {
  trust: world,
  ed25519: nobleEd25519,
  policy: (hash: string) => (hash === hold.ref.hash ? hold : undefined),
};

function pendingFor(rule = 'hold', agentKeyid: string = agent.keyid) {
  const id = newExecutionId();
  const env = attestation(id, 'pending_override', gov.signer, {
    reasons: ['OVERRIDE_REQUIRED', `rule:${rule}`],
    policy: hold.ref,
    agent: agentKeyid,
  });
  return { id, env, digest: attestationDigest(env) };
}
/** `by`'s approval of `pending` (fields overridden by `over`), signed by `signer`. */
function approval(
  pending: ReturnType<typeof pendingFor>,
  by: ReturnType<typeof key>,
  over: Record<string, unknown> = {},
  signer = by.signer,
): RawEnvelope {
  return signResolution(
    {
      execution_id: pending.id as never,
      pending: pending.digest,
      resolution: 'approve',
      approver: by.keyid as never,
      reason: 'checked',
      resolved_at: '2026-02-01T00:00:00Z',
      ...over,
    },
    signer,
  );
}
function resolve(
  pending: ReturnType<typeof pendingFor>,
  by: ReturnType<typeof key>,
  over: Record<string, unknown> = {},
  state: PendingState = 'pending',
  envelope?: RawEnvelope,
) {
  const resolution = envelope ?? approval(pending, by, over);
  return resolveOverride({ resolution, pending: pending.env }, () => state, ctx);
}

describe('resolveOverride: given a pending decision and a resolution, then one outcome', () => {
  it('an allowed approver approves: override allow; rejects: override deny', () => {
    const p = pendingFor();
    expect(resolve(p, approver)).toMatchObject({
      kind: 'override',
      decision: 'allow',
      reasons: ['OVERRIDE_APPROVED'],
      pending: { digest: p.digest },
    });
    expect(resolve(p, approver, { resolution: 'reject' })).toMatchObject({
      kind: 'override',
      decision: 'deny',
      reasons: ['OVERRIDE_REJECTED'],
    });
  });

  it.each([
    [
      'a resolution of another payload type',
      'OVERRIDE_MALFORMED',
      (p: ReturnType<typeof pendingFor>) =>
        resolve(
          p,
          approver,
          {},
          'pending',
          signEnvelope('text/plain', canonicalBytes({}), approver.signer),
        ),
    ],
    [
      'a malformed resolution body',
      'OVERRIDE_MALFORMED',
      (p: ReturnType<typeof pendingFor>) =>
        resolve(
          p,
          approver,
          {},
          'pending',
          signEnvelope(RESOLUTION_PAYLOAD_TYPE, canonicalBytes({ approve: true }), approver.signer),
        ),
    ],
    [
      'a resolution naming another pending digest',
      'OVERRIDE_NOT_PENDING',
      (p: ReturnType<typeof pendingFor>) => resolve(p, approver, { pending: pendingFor().digest }),
    ],
    [
      'a resolution naming another execution',
      'OVERRIDE_NOT_PENDING',
      (p: ReturnType<typeof pendingFor>) =>
        resolve(p, approver, { execution_id: newExecutionId() }),
    ],
    [
      'a pending the ledger does not hold',
      'OVERRIDE_NOT_PENDING',
      (p: ReturnType<typeof pendingFor>) => resolve(p, approver, {}, 'unknown'),
    ],
    [
      'a second resolution',
      'OVERRIDE_ALREADY_RESOLVED',
      (p: ReturnType<typeof pendingFor>) => resolve(p, approver, {}, 'resolved'),
    ],
    [
      'an approver outside the trust store',
      'OVERRIDE_APPROVER_UNTRUSTED',
      (p: ReturnType<typeof pendingFor>) => resolve(p, key(42)),
    ],
    [
      'a key without the approver role',
      'OVERRIDE_APPROVER_UNTRUSTED',
      (p: ReturnType<typeof pendingFor>) => resolve(p, stranger),
    ],
    [
      'a resolution signed by someone else',
      'OVERRIDE_SIGNATURE_INVALID',
      (p: ReturnType<typeof pendingFor>) => {
        const forged = approval(p, approver, { reason: '' }, colleague.signer);
        return resolve(p, approver, {}, 'pending', forged);
      },
    ],
    [
      'an approver the policy does not list',
      'OVERRIDE_APPROVER_NOT_ALLOWED',
      (p: ReturnType<typeof pendingFor>) => resolve(p, colleague),
    ],
    [
      'the principal who granted the authority',
      'OVERRIDE_SELF_APPROVAL',
      (p: ReturnType<typeof pendingFor>) => resolve(p, principal),
    ],
    [
      'an approver sharing an owner with the agent',
      'OVERRIDE_SELF_APPROVAL',
      () => resolve(pendingFor('hold', agentWithOwner.keyid), ownerOfAgent),
    ],
  ])('refuses %s (%s)', (_n, code, run) => {
    expect(run(pendingFor())).toMatchObject({ kind: 'override_rejection', reasons: [code] });
  });

  it('refuses a pending decision that does not verify, or is not pending', () => {
    const p = pendingFor();
    const tampered = { ...p, env: { ...p.env, payload: p.env.payload.slice(0, -1) } };
    expect(resolve(tampered, approver).reasons).toEqual(['OVERRIDE_NOT_PENDING']);
    const allowed = attestation(p.id, 'allow', gov.signer, { policy: hold.ref });
    const notPending = { id: p.id, env: allowed, digest: attestationDigest(allowed) };
    expect(resolve(notPending, approver).reasons).toEqual(['OVERRIDE_NOT_PENDING']);
  });

  it("resolves under the pending decision's own pinned policy, refusing one it does not know", () => {
    const p = pendingFor();
    const unknown = { ...ctx, policy: () => undefined };
    const resolution = approval(p, approver, { reason: '' });
    expect(
      resolveOverride({ resolution, pending: p.env }, () => 'pending', unknown).reasons,
    ).toEqual(['POLICY_UNKNOWN']);
  });

  it('lets a rule that allows self-approval accept the granting principal', () => {
    expect(resolve(pendingFor('hold-self-ok'), principal)).toMatchObject({
      kind: 'override',
      decision: 'allow',
    });
  });
});
