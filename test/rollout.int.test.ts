import { afterEach, describe, expect, inject, it } from 'vitest';
import { bytesEqual, verifyAttestation } from '@lineage/protocol';
import { nodeEd25519 } from '@lineage/keys';
import { loadPolicy } from '@lineage/policy';
import { policyCodec } from '@lineage/schemas';
import { readToEnd } from '@lineage/kafka';
import { policyRecord } from '@lineage/governance';
import type { GovernanceService } from '@lineage/governance';
import { resolution } from './kit/authority.js';
import { encodeOverride, intent, sendIntents, sendRaw } from './kit/intents.js';
import { createTestLedger } from './kit/ledger.js';
import type { TestLedger } from './kit/ledger.js';
import type { LedgerEntry } from '@lineage/testkit/kafka';
import { readLedger, waitUntil } from '@lineage/testkit/kafka';

let ledger: TestLedger | undefined;
afterEach(async () => {
  await ledger?.close();
  ledger = undefined;
});

/** v1: reads allowed, writes held for any approver; nothing else. */
const V1 = {
  id: 'test',
  version: 1,
  allow: [{ id: 'reads', agents: ['*'], actions: ['read.*'] }],
  deny: [],
  require_override: [{ id: 'hold-writes', actions: ['write.*'], approvers: ['*'] }],
};
/** v2: plans allowed too, secret reads denied, and no write is held any more. */
const V2 = {
  id: 'test',
  version: 2,
  allow: [
    { id: 'reads', agents: ['*'], actions: ['read.*'] },
    { id: 'plans', agents: ['*'], actions: ['plan.*'] },
  ],
  deny: [{ id: 'no-secret-reads', actions: ['read.*'], resource_prefix: 'secret/' }],
};

describe('policy rollout on a real broker', () => {
  it('applies a newer version from the point governance sees it, changing nothing already decided', async () => {
    ledger = await createTestLedger(inject('brokers'), { partitions: 3, policy: V1 });
    const l = ledger;
    const v1 = l.policy;
    const v2 = loadPolicy(V2);
    const services: GovernanceService[] = [await l.startGovernance()];
    const governance = services[0]!;
    expect(governance.policy()).toEqual(v1.ref);
    const producer = l.kafka.producer({ idempotent: true });
    await producer.connect();
    const agent = l.agentKeys[0]!;
    const send = (intents: ReturnType<typeof intent>[]) =>
      sendIntents(producer, l.topics.intents, intents);
    const verify = { trust: l.trust, ed25519: nodeEd25519() };
    const decisionOf = (entries: LedgerEntry[], i: ReturnType<typeof intent>) =>
      entries.find(
        (e) => e.predicate.execution_id === i.body.execution_id && e.predicate.kind === 'decision',
      )!;

    // Given decisions under v1.
    const before = {
      read: intent(agent.signer, { action: 'read.a', resource: 'docs/a' }),
      plan: intent(agent.signer, { action: 'plan.a', resource: 'docs/a' }),
      write: intent(agent.signer, { action: 'write.a', resource: 'docs/a' }),
      secret: intent(agent.signer, { action: 'read.s', resource: 'secret/a' }),
    };
    await send(Object.values(before));
    await waitUntil(() => governance.stats.attestations === 4, 60_000, 'v1 decisions');
    const early = await readLedger(l.kafka, l.topics, 4);
    const outcome = (e: LedgerEntry) => [
      e.predicate.policy.version,
      e.predicate.decision,
      e.predicate.reasons,
    ];
    expect(outcome(decisionOf(early, before.read))).toEqual([1, 'allow', ['rule:reads']]);
    expect(outcome(decisionOf(early, before.plan))).toEqual([1, 'deny', ['POLICY_NO_MATCH']]);
    expect(outcome(decisionOf(early, before.write))).toEqual([
      1,
      'pending_override',
      ['OVERRIDE_REQUIRED', 'rule:hold-writes'],
    ]);
    expect(outcome(decisionOf(early, before.secret))).toEqual([1, 'allow', ['rule:reads']]);

    // When v2 is published while governance runs — after a forged record that claims v3.
    const forged = { ...policyRecord(v2, new Date()), version: 3, hash: v1.ref.hash };
    await producer.send({
      topic: l.topics.policies,
      acks: -1,
      messages: [
        { key: v1.ref.hash, value: policyCodec.encode(forged) },
        { key: v2.ref.hash, value: policyCodec.encode(policyRecord(v2, new Date())) },
      ],
    });
    await waitUntil(() => governance.policy().version === 2, 60_000, 'v2 active');
    expect(governance.policy()).toEqual(v2.ref);

    // Then later intents pin v2 and follow its rules.
    const after = {
      plan: intent(agent.signer, { action: 'plan.b', resource: 'docs/b' }),
      write: intent(agent.signer, { action: 'write.b', resource: 'docs/b' }),
      secret: intent(agent.signer, { action: 'read.s', resource: 'secret/b' }),
    };
    await send(Object.values(after));
    await waitUntil(() => governance.stats.attestations === 7, 60_000, 'v2 decisions');

    // And the decision held under v1 is resolved under v1's override rule (v2 has none).
    const pending = decisionOf(early, before.write);
    await sendRaw(producer, l.topics.overrides, [
      {
        key: before.write.body.execution_id,
        value: encodeOverride(
          before.write.body.execution_id,
          resolution(
            l.approverKey.signer,
            before.write.body.execution_id,
            pending.digest,
            'approve',
          ),
          pending.envelope,
        ),
      },
    ]);
    await waitUntil(() => governance.stats.attestations === 8, 60_000, 'override');
    const entries = await readLedger(l.kafka, l.topics, 8);

    expect(outcome(decisionOf(entries, after.plan))).toEqual([2, 'allow', ['rule:plans']]);
    expect(outcome(decisionOf(entries, after.write))).toEqual([2, 'deny', ['POLICY_NO_MATCH']]);
    expect(outcome(decisionOf(entries, after.secret))).toEqual([
      2,
      'deny',
      ['POLICY_DENIED', 'rule:no-secret-reads'],
    ]);
    for (const i of Object.values(after))
      expect(decisionOf(entries, i).predicate.policy).toEqual(v2.ref);
    const override = entries.find((e) => e.predicate.kind === 'override')!;
    const v = verifyAttestation(override.envelope, verify);
    expect([v.predicate.decision, v.predicate.policy]).toEqual(['allow', v1.ref]);

    // Nothing already decided changed: the same bytes at the same offsets.
    for (const e of early) {
      const again = entries.find((x) => x.partition === e.partition && x.offset === e.offset)!;
      expect(bytesEqual(again.envelope.payload, e.envelope.payload)).toBe(true);
      expect(bytesEqual(again.envelope.signatures[0]!.sig, e.envelope.signatures[0]!.sig)).toBe(
        true,
      );
    }
    // In every partition the decisions switch from v1 to v2 once, and never back.
    for (const p of new Set(entries.map((e) => e.partition))) {
      const versions = entries
        .filter((e) => e.partition === p && e.predicate.kind === 'decision')
        .map((e) => e.predicate.policy.version);
      expect(versions, `partition ${p}`).toEqual([...versions].sort());
    }

    // The policies topic holds both documents by hash, so any audit can fetch the one that decided.
    const published = new Map<string, string>();
    await readToEnd(l.kafka, l.topics.policies, new Map([[0, 0n]]), (_p, m) => {
      const r = policyCodec.decode(m.value!);
      published.set(`${m.key?.toString()}:${r.version}`, r.document);
    });
    expect(loadPolicy(JSON.parse(published.get(`${v1.ref.hash}:1`)!)).ref).toEqual(v1.ref);
    expect(loadPolicy(JSON.parse(published.get(`${v2.ref.hash}:2`)!)).ref).toEqual(v2.ref);

    // A restart configured with v1 keeps the rollout: the topic holds a higher version.
    await governance.stop();
    services.push(await l.startGovernance());
    expect(services[1]!.policy()).toEqual(v2.ref);
    await producer.disconnect();
  });
});
