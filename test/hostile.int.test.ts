import { afterEach, describe, expect, inject, it } from 'vitest';
import { loadTrustStore, newExecutionId, nobleEd25519, verifyAttestation } from '@lineage/protocol';
import { generateKeyPair, nodeEd25519, trustedKey } from '@lineage/keys';
import { loadRuntimeManifest, runtimeHash, startGovernance } from '@lineage/governance';
import type { GovernanceService } from '@lineage/governance';
import { encodeIntent, intent, sendIntents, sendRaw } from './kit/intents.js';
import { createTestLedger } from './kit/ledger.js';
import type { TestLedger } from './kit/ledger.js';
import { readLedger, waitUntil } from '@lineage/testkit/kafka';
import { expectReplayVerifies } from './kit/replay.js';
import { buildCorpus } from './hostile/corpus.js';

let ledger: TestLedger | undefined;
let governance: GovernanceService | undefined;
afterEach(async () => {
  await governance?.stop().catch(() => undefined);
  await ledger?.close();
  governance = undefined;
  ledger = undefined;
});

describe('hostile input corpus', () => {
  it('gives every hostile class its specified outcome, crashes nothing, and accounts for every record', async () => {
    ledger = await createTestLedger(inject('brokers'), { partitions: 3 });
    // The ledger's trust store plus agent keys outside their validity window or revoked.
    const expiredAgent = generateKeyPair();
    const revokedAgent = generateKeyPair();
    const notYetValidAgent = generateKeyPair();
    const trust = loadTrustStore({
      version: 1,
      keys: [
        ...ledger.trustDocument.keys,
        trustedKey(expiredAgent, ['agent'], {
          validFrom: '2000-01-01T00:00:00Z',
          validUntil: '2001-01-01T00:00:00Z',
        }),
        { ...trustedKey(revokedAgent, ['agent']), revoked_at: '2001-01-01T00:00:00Z' },
        trustedKey(notYetValidAgent, ['agent'], { validFrom: '2999-01-01T00:00:00Z' }),
      ],
    });
    governance = await startGovernance({
      kafka: ledger.kafka,
      topics: ledger.topics,
      groupId: ledger.groupId,
      key: ledger.governanceKey,
      trust,
      policy: ledger.policy,
      ed25519: nodeEd25519(),
      runtimeHash: runtimeHash(await loadRuntimeManifest()),
      partitions: 3,
    });
    const service = governance;
    const producer = await ledger.producer();
    const agent = ledger.agentKeys[0]!;

    // Given an allowed parent on the ledger.
    const parent = intent(agent.signer, { action: 'read.parent', resource: 'hostile/parent' });
    await sendIntents(producer, ledger.topics.intents, [parent]);
    await waitUntil(() => service.stats.attestations === 1, 60_000, 'parent');
    const [allowedParent] = await readLedger(ledger.kafka, ledger.topics, 1);

    // When every hostile record arrives.
    const cases = buildCorpus({
      agent,
      otherAgent: ledger.agentKeys[1]!,
      governanceKey: ledger.governanceKey,
      expiredAgent,
      revokedAgent,
      notYetValidAgent,
      stranger: generateKeyPair(),
      foreignGovernance: generateKeyPair(),
      allowedParent: allowedParent!,
    });
    expect(cases.length).toBeGreaterThanOrEqual(30);
    expect(new Set(cases.map((c) => c.name)).size).toBe(cases.length);
    await sendRaw(
      producer,
      ledger.topics.intents,
      cases.map((c) => ({ key: c.key!, value: c.value })),
    );
    const sent = 1 + cases.length;
    await waitUntil(() => service.stats.intents === sent, 90_000, 'every hostile record');

    // Then governance is still alive and decides a fresh, valid intent.
    const after = intent(agent.signer, { action: 'read.after', resource: 'hostile/after' });
    await sendIntents(producer, ledger.topics.intents, [after]);
    await waitUntil(() => service.stats.intents === sent + 1, 60_000, 'a fresh intent');
    await producer.disconnect();

    const stats = service.stats;
    const { entries, deadLetters } = await ledger.outcomes(stats);
    // intents in = attestations + dead letters + redeliveries, on the topics as in the counters.
    expect(entries).toHaveLength(stats.attestations);
    expect(deadLetters).toHaveLength(stats.deadLetters);
    expect(entries.length + deadLetters.length + stats.redeliveries).toBe(sent + 1);
    // Every outcome on this ledger re-derives from the recorded inputs: `lineage replay-verify --all`.
    await expectReplayVerifies(ledger, entries.length, trust.document);
    expect(
      entries.find((e) => e.predicate.execution_id === after.body.execution_id)?.predicate.decision,
    ).toBe('allow');

    const verify = { trust: ledger.trust, ed25519: nobleEd25519 };
    const expectedDeadLetters = cases.flatMap((c) =>
      'deadLetter' in c.expect ? [c.expect.deadLetter] : [],
    );
    expect(deadLetters.map((d) => d.reason).sort()).toEqual(expectedDeadLetters.sort());
    expect(stats.redeliveries).toBe(cases.filter((c) => 'redelivery' in c.expect).length);
    for (const c of cases) {
      if ('deadLetter' in c.expect) {
        // The raw bytes are kept with the reason.
        const letter = deadLetters.find(
          (d) =>
            d.raw_key?.toString() === c.key &&
            (d.raw_value === null
              ? c.value === null
              : c.value !== null && Buffer.compare(d.raw_value, c.value) === 0),
        );
        expect(letter?.reason, c.name).toBe(c.expect.deadLetter);
        continue;
      }
      const found = entries.filter(
        (e) => e.predicate.execution_id === c.subject && e.subjectDigest === c.digest,
      );
      // A redelivery adds nothing: the original's single attestation stands.
      expect(found, c.name).toHaveLength(1);
      if ('redelivery' in c.expect) continue;
      // Every outcome is signed and verifies with the governance key.
      const v = verifyAttestation(found[0]!.envelope, verify);
      if ('kind' in c.expect) {
        expect(v.predicate.kind, c.name).toBe('replay_rejection');
        expect([v.predicate.decision, v.predicate.reasons], c.name).toEqual([
          'deny',
          ['REPLAY_EXECUTION_ID'],
        ]);
      } else {
        expect(v.predicate.kind, c.name).toBe('decision');
        expect([v.predicate.decision, v.predicate.reasons], c.name).toEqual([
          c.expect.decision,
          c.expect.reasons,
        ]);
      }
    }
    // NFC and NFD forms are two intents with two digests, each kept exactly as signed.
    const nfc = cases.find((c) => c.name === 'resource in NFC')!;
    const nfd = cases.find((c) => c.name === 'resource in NFD')!;
    expect(nfc.digest).not.toBe(nfd.digest);
    expect(
      entries
        .filter((e) => e.subjectDigest === nfc.digest || e.subjectDigest === nfd.digest)
        .map((e) => e.predicate.resource)
        .sort(),
    ).toEqual(['caf\u00e9/menu', 'cafe\u0301/menu'].sort());
  }, 120_000);
});

describe('hostile input: a replayed fingerprint', () => {
  // The same signed intent re-published under other routing ids: each copy is a different
  // (execution id, intent) pair, so it gets its own fingerprint; none repeats the original's.
  it('never issues two decisions with one execution_fingerprint', async () => {
    ledger = await createTestLedger(inject('brokers'), { partitions: 3 });
    const service = await ledger.startGovernance();
    const producer = await ledger.producer();
    const original = intent(ledger.agentKeys[0]!.signer, {
      action: 'read.fp',
      resource: 'hostile/fp',
    });
    const id = original.body.execution_id;
    // The identical bytes, routed under each of several other ids (so several partitions).
    const others = Array.from({ length: 6 }, () => newExecutionId());
    await sendRaw(producer, ledger.topics.intents, [
      { key: id, value: encodeIntent(id, original.envelope) },
    ]);
    await waitUntil(() => service.stats.intents === 1, 60_000, 'original');
    await sendRaw(
      producer,
      ledger.topics.intents,
      others.map((o) => ({ key: o, value: encodeIntent(o, original.envelope) })),
    );
    await waitUntil(() => service.stats.intents === 1 + others.length, 60_000, 'copies');
    await producer.disconnect();
    const entries = await readLedger(ledger.kafka, ledger.topics, service.stats.attestations);
    const decisions = entries.filter((e) => e.predicate.kind === 'decision');
    expect(new Set(decisions.map((e) => e.predicate.execution_fingerprint)).size).toBe(
      decisions.length,
    );
    // Every copy still gets a signed deny, and the one allow stands alone.
    expect(entries.filter((e) => e.predicate.decision === 'allow')).toHaveLength(1);
    expect(entries).toHaveLength(1 + others.length);
  });
});
