import { afterEach, describe, expect, inject, it } from 'vitest';
import {
  RESOLUTION_PAYLOAD_TYPE,
  sha256Hex,
  signEnvelope,
  utf8,
  verifyAttestation,
} from '@lineage/protocol';
import type { RawEnvelope, Signer } from '@lineage/protocol';
import { generateKeyPair, nodeEd25519, trustedKey } from '@lineage/keys';
import type { KeyPair } from '@lineage/keys';
import type { GovernanceService } from '@lineage/governance';
import { resolution } from './kit/authority.js';
import { encodeOverride, intent, sendIntents, sendRaw } from './kit/intents.js';
import { createTestLedger } from './kit/ledger.js';
import type { TestLedger } from './kit/ledger.js';
import type { LedgerEntry } from '@lineage/testkit/kafka';
import { expectReplayVerifies } from './kit/replay.js';
import { readDeadLetters, readLedger, waitUntil } from '@lineage/testkit/kafka';
import { expectChains } from '@lineage/testkit/spec';

let ledger: TestLedger | undefined;
afterEach(async () => {
  await ledger?.close();
  ledger = undefined;
});

// Keys the policy and trust store name before the ledger exists.
const listedApprover = generateKeyPair();
const selfAgent = generateKeyPair();
const ownedAgent = generateKeyPair();
const teamApprover = generateKeyPair();

/** Writes wait for any approver; deploys only for the listed one; reads are allowed. */
const OVERRIDE_POLICY = {
  id: 'test',
  version: 1,
  allow: [{ id: 'agents-read', agents: ['*'], actions: ['read.*', 'plan.*', 'summarize'] }],
  deny: [],
  require_override: [
    { id: 'hold-writes', actions: ['write.*'], approvers: ['*'] },
    { id: 'hold-deploys', actions: ['deploy.*'], approvers: [listedApprover.keyid] },
  ],
};

const stats = (services: GovernanceService[]) => {
  const sum = (k: keyof GovernanceService['stats']) => services.reduce((n, s) => n + s.stats[k], 0);
  return {
    in: sum('intents') + sum('overrides'),
    attestations: sum('attestations'),
    deadLetters: sum('deadLetters'),
    redeliveries: sum('redeliveries'),
  };
};

describe('overrides on a real broker', () => {
  it('holds, resolves once, refuses every bad resolution with its code, and survives a restart', async () => {
    ledger = await createTestLedger(inject('brokers'), {
      partitions: 3,
      policy: OVERRIDE_POLICY,
      extraKeys: [
        trustedKey(listedApprover, ['approver'], { name: 'listed-approver' }),
        trustedKey(selfAgent, ['agent', 'approver'], { name: 'self-approving-agent' }),
        { ...trustedKey(ownedAgent, ['agent'], { name: 'team-agent' }), owner: 'team-a' },
        { ...trustedKey(teamApprover, ['approver'], { name: 'team-approver' }), owner: 'team-a' },
      ],
    });
    const l = ledger;
    const services: GovernanceService[] = [await l.startGovernance()];
    const producer = await l.producer();
    const agent = l.agentKeys[0]!;
    const approver = l.approverKey;
    const verify = { trust: l.trust, ed25519: nodeEd25519() };
    const publish = (intents: ReturnType<typeof intent>[]) =>
      sendIntents(producer, l.topics.intents, intents);
    const sendOverrides = (records: { key: string; value: Buffer }[]) =>
      sendRaw(producer, l.topics.overrides, records);
    const ledgerNow = () => readLedger(l.kafka, l.topics, stats(services).attestations);
    const byId = (entries: LedgerEntry[], id: string, kind = 'decision') =>
      entries.filter((e) => e.predicate.execution_id === id && e.predicate.kind === kind);

    // Given pending decisions of several agents, and one allowed decision.
    const held = (who: KeyPair, action: string) =>
      intent(who.signer, { action, resource: `held/${action}` });
    const approveMe = held(agent, 'write.approve');
    const rejectMe = held(agent, 'write.reject');
    const selfHeld = held(selfAgent, 'write.self');
    const teamHeld = held(ownedAgent, 'write.team');
    const deployHeld = held(agent, 'deploy.prod');
    const badResolutions = held(agent, 'write.bad');
    const afterRestart = held(agent, 'write.later');
    const allowed = intent(agent.signer, { action: 'read.ok', resource: 'held/read' });
    const firstIntents = [
      approveMe,
      rejectMe,
      selfHeld,
      teamHeld,
      deployHeld,
      badResolutions,
      afterRestart,
      allowed,
    ];
    await publish(firstIntents);
    await waitUntil(() => stats(services).attestations === firstIntents.length, 60_000, 'holds');
    let entries = await ledgerNow();
    const pendingOf = (i: ReturnType<typeof intent>) => byId(entries, i.body.execution_id)[0]!;
    for (const i of firstIntents.filter((x) => x !== allowed)) {
      const p = pendingOf(i).predicate;
      expect([p.decision, p.reasons[0]], i.body.action).toEqual([
        'pending_override',
        'OVERRIDE_REQUIRED',
      ]);
    }
    expect(pendingOf(deployHeld).predicate.reasons).toEqual([
      'OVERRIDE_REQUIRED',
      'rule:hold-deploys',
    ]);
    expect(services[0]!.stats.pending).toBe(7);

    // When a child carries a parent still pending, it is denied.
    const earlyChild = intent(agent.signer, {
      action: 'read.early',
      resource: 'held/child',
      parents: [pendingOf(approveMe).envelope],
    });
    await publish([earlyChild]);
    await waitUntil(() => stats(services).attestations === 9, 60_000, 'early child');

    // When resolutions arrive: good ones, repeated ones, and every kind of bad one.
    const id = (i: ReturnType<typeof intent>) => i.body.execution_id;
    const pendingDigest = (i: ReturnType<typeof intent>) => pendingOf(i).digest;
    // `signer`'s resolution of the override `i` is held for.
    const resolve = (
      signer: Signer,
      i: ReturnType<typeof intent>,
      verdict: 'approve' | 'reject',
      options?: { reason?: string; resolvedAt?: string },
    ) => resolution(signer, id(i), pendingDigest(i), verdict, options);
    const record = (i: ReturnType<typeof intent>, env: RawEnvelope, pending?: RawEnvelope) => ({
      key: id(i),
      value: encodeOverride(id(i), env, pending ?? pendingOf(i).envelope),
    });
    const approval = resolve(approver.signer, approveMe, 'approve');
    const secondApproval = resolve(listedApprover.signer, approveMe, 'approve', {
      reason: 'me too',
    });
    const rejection = resolve(approver.signer, rejectMe, 'reject');
    const badSig = resolve(approver.signer, badResolutions, 'approve');
    const flipped = Uint8Array.from(badSig.signatures[0]!.sig);
    flipped[7]! ^= 0x01;
    const refusals: { name: string; env: RawEnvelope; subject: string; code: string }[] = [
      {
        name: 'second resolution',
        env: secondApproval,
        subject: id(approveMe),
        code: 'OVERRIDE_ALREADY_RESOLVED',
      },
      {
        name: 'agent approving its own intent',
        env: resolve(selfAgent.signer, selfHeld, 'approve'),
        subject: id(selfHeld),
        code: 'OVERRIDE_SELF_APPROVAL',
      },
      {
        name: 'approver sharing an owner with the agent',
        env: resolve(teamApprover.signer, teamHeld, 'approve'),
        subject: id(teamHeld),
        code: 'OVERRIDE_SELF_APPROVAL',
      },
      {
        name: 'approver the rule does not list',
        env: resolve(approver.signer, deployHeld, 'approve'),
        subject: id(deployHeld),
        code: 'OVERRIDE_APPROVER_NOT_ALLOWED',
      },
      {
        name: 'untrusted approver',
        env: resolution(
          generateKeyPair().signer,
          id(badResolutions),
          pendingDigest(badResolutions),
          'approve',
        ),
        subject: id(badResolutions),
        code: 'OVERRIDE_APPROVER_UNTRUSTED',
      },
      {
        name: 'bad signature',
        env: { ...badSig, signatures: [{ keyid: badSig.signatures[0]!.keyid, sig: flipped }] },
        subject: id(badResolutions),
        code: 'OVERRIDE_SIGNATURE_INVALID',
      },
      {
        name: 'malformed resolution',
        env: signEnvelope(RESOLUTION_PAYLOAD_TYPE, utf8('{"not":"a resolution"}'), approver.signer),
        subject: id(badResolutions),
        code: 'OVERRIDE_MALFORMED',
      },
    ];
    const notPending = resolution(
      approver.signer,
      id(allowed),
      pendingOf(allowed).digest,
      'approve',
    );
    refusals.push({
      name: 'resolution naming an allowed decision',
      env: notPending,
      subject: id(allowed),
      code: 'OVERRIDE_NOT_PENDING',
    });
    const overrideRecords = [
      record(approveMe, approval),
      // The identical record again: a redelivery, nothing new.
      record(approveMe, approval),
      record(rejectMe, rejection),
      ...refusals.map((r) => ({
        key: r.subject,
        value: encodeOverride(
          r.subject,
          r.env,
          r.subject === id(allowed)
            ? pendingOf(allowed).envelope
            : byId(entries, r.subject)[0]!.envelope,
        ),
      })),
      { key: id(approveMe), value: Buffer.from('not an override record') },
    ];
    await sendOverrides(overrideRecords);
    await waitUntil(
      () => services[0]!.stats.overrides === overrideRecords.length,
      60_000,
      'every resolution answered',
    );
    entries = await ledgerNow();

    // Then the early child was denied for its pending parent.
    expect(byId(entries, id(earlyChild))[0]!.predicate.reasons).toEqual([
      'PARENT_PENDING_OVERRIDE',
    ]);
    // Then the approval is an override attestation that extends the lineage.
    const [override] = byId(entries, id(approveMe), 'override');
    const v = verifyAttestation(override!.envelope, verify);
    expect([v.predicate.decision, v.predicate.reasons]).toEqual(['allow', ['OVERRIDE_APPROVED']]);
    expect(v.predicate.override!.pending).toBe(pendingDigest(approveMe));
    expect(v.statement.subject[0].digest.sha256).toBe(pendingOf(approveMe).subjectDigest);
    expect(v.predicate.authorization).toEqual(pendingOf(approveMe).predicate.authorization);
    expect(byId(entries, id(approveMe), 'override')).toHaveLength(1);
    // The original pending attestation is untouched.
    expect(byId(entries, id(approveMe))[0]!.digest).toBe(pendingDigest(approveMe));
    // The rejection denies.
    const [rejected] = byId(entries, id(rejectMe), 'override');
    expect([rejected!.predicate.decision, rejected!.predicate.reasons]).toEqual([
      'deny',
      ['OVERRIDE_REJECTED'],
    ]);
    // Every refused resolution has its signed refusal, with its code, and changes nothing.
    for (const r of refusals) {
      const found = entries.filter(
        (e) =>
          e.predicate.kind === 'override_rejection' && e.subjectDigest === sha256Hex(r.env.payload),
      );
      expect(found, r.name).toHaveLength(1);
      const rv = verifyAttestation(found[0]!.envelope, verify);
      expect(
        [rv.predicate.execution_id, rv.predicate.decision, rv.predicate.reasons],
        r.name,
      ).toEqual([r.subject, 'deny', [r.code]]);
    }
    for (const i of [selfHeld, teamHeld, deployHeld, badResolutions])
      expect(byId(entries, id(i), 'override'), i.body.action).toHaveLength(0);
    const letters = await readDeadLetters(l.kafka, l.topics, 1);
    expect(letters.map((d) => [d.reason, d.source_topic])).toEqual([
      ['UNDECODABLE', l.topics.overrides],
    ]);

    // A child carrying the override is allowed; one carrying the rejection is not.
    const approvedChild = intent(agent.signer, {
      action: 'read.after',
      resource: 'held/child',
      parents: [override!.envelope],
    });
    const rejectedChild = intent(agent.signer, {
      action: 'read.after',
      resource: 'held/child',
      parents: [rejected!.envelope],
    });
    await publish([approvedChild, rejectedChild]);
    await waitUntil(
      () => services[0]!.stats.intents === firstIntents.length + 3,
      60_000,
      'children',
    );

    // After a restart, the pending state is rebuilt from the ledger alone.
    await services[0]!.stop();
    services.push(await l.startGovernance());
    const later = resolve(approver.signer, afterRestart, 'approve');
    const laterAgain = resolve(approver.signer, afterRestart, 'reject');
    const approveMeAgain = resolve(approver.signer, approveMe, 'reject');
    const restartRecords = [
      record(afterRestart, later),
      record(afterRestart, laterAgain),
      record(approveMe, approveMeAgain),
      // Redelivered from before the restart.
      record(approveMe, approval),
    ];
    await sendOverrides(restartRecords);
    await waitUntil(
      () => services[1]!.stats.overrides === restartRecords.length,
      90_000,
      'after restart',
    );
    await producer.disconnect();
    entries = await ledgerNow();

    expect(byId(entries, id(approvedChild))[0]!.predicate.decision).toBe('allow');
    expect(byId(entries, id(rejectedChild))[0]!.predicate.reasons).toEqual(['PARENT_NOT_ALLOWED']);
    expect(
      byId(entries, id(afterRestart), 'override').map((e) => [
        e.predicate.decision,
        e.predicate.reasons,
      ]),
    ).toEqual([['allow', ['OVERRIDE_APPROVED']]]);
    const refusedAfter = (env: RawEnvelope) =>
      entries.find(
        (e) =>
          e.predicate.kind === 'override_rejection' && e.subjectDigest === sha256Hex(env.payload),
      )?.predicate.reasons;
    expect(refusedAfter(laterAgain)).toEqual(['OVERRIDE_ALREADY_RESOLVED']);
    expect(refusedAfter(approveMeAgain)).toEqual(['OVERRIDE_ALREADY_RESOLVED']);
    expect(services[1]!.stats.redeliveries).toBe(1);

    // Records in = attestations + dead letters + redeliveries, on the topics as in the counters.
    const total = stats(services);
    const deadLetters = await readDeadLetters(l.kafka, l.topics, total.deadLetters);
    expect(entries).toHaveLength(total.attestations);
    expect(deadLetters).toHaveLength(total.deadLetters);
    expect(total.in).toBe(firstIntents.length + 3 + overrideRecords.length + restartRecords.length);
    expect(entries.length + deadLetters.length + total.redeliveries).toBe(total.in);
    // Every outcome on this ledger re-derives from the recorded inputs: `lineage replay-verify --all`.
    await expectReplayVerifies(l, entries.length);
    // Every partition stays one gap-free chain across the restart.
    expectChains(entries);
  });

  it('two instances co-partition intents and overrides: the owner of partition p resolves its holds', async () => {
    ledger = await createTestLedger(inject('brokers'), { partitions: 3, policy: OVERRIDE_POLICY });
    const l = ledger;
    const a = await l.startGovernance();
    const b = await l.startGovernance();
    const owned = () => [...a.partitions(), ...b.partitions()].sort();
    await waitUntil(
      () => a.partitions().length > 0 && b.partitions().length > 0 && owned().join() === '0,1,2',
      90_000,
      'both instances own partitions',
    );
    const producer = await l.producer();
    const agent = l.agentKeys[0]!;
    const holds = Array.from({ length: 12 }, (_, i) =>
      intent(agent.signer, { action: 'write.split', resource: `split/${i}` }),
    );
    await sendIntents(producer, l.topics.intents, holds);
    const both = () => stats([a, b]);
    await waitUntil(() => both().attestations === holds.length, 60_000, 'holds');
    const pendings = await readLedger(l.kafka, l.topics, holds.length);
    await sendRaw(
      producer,
      l.topics.overrides,
      pendings.map((e) => ({
        key: e.predicate.execution_id,
        value: encodeOverride(
          e.predicate.execution_id,
          resolution(l.approverKey.signer, e.predicate.execution_id, e.digest, 'approve'),
          e.envelope,
        ),
      })),
    );
    await waitUntil(() => both().attestations === 2 * holds.length, 60_000, 'overrides');
    await producer.disconnect();
    const entries = await readLedger(l.kafka, l.topics, 2 * holds.length);
    expect(entries.filter((e) => e.predicate.kind === 'override')).toHaveLength(holds.length);
    // Each override sits in its pending decision's partition, right after it in that chain.
    for (const e of entries.filter((x) => x.predicate.kind === 'override')) {
      const pending = entries.find((x) => x.digest === e.predicate.override!.pending)!;
      expect(e.partition).toBe(pending.partition);
      expect(e.predicate.sequence).toBeGreaterThan(pending.predicate.sequence);
    }
    // Each instance decided and resolved exactly the records of the partition numbers it owns.
    for (const service of [a, b]) {
      const mine = entries.filter((e) => service.partitions().includes(e.partition));
      expect(service.stats.intents).toBe(
        mine.filter((e) => e.predicate.kind === 'decision').length,
      );
      expect(service.stats.overrides).toBe(
        mine.filter((e) => e.predicate.kind === 'override').length,
      );
    }
  });
});
