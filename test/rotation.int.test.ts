import { afterEach, describe, expect, inject, it } from 'vitest';
import { loadTrustStore, nobleEd25519, verifyAttestation } from '@lineage/protocol';
import type { TrustedKey } from '@lineage/protocol';
import { generateKeyPair, nodeEd25519, trustedKey } from '@lineage/keys';
import { loadRuntimeManifest, runtimeHash, startGovernance } from '@lineage/governance';
import type { GovernanceService } from '@lineage/governance';
import { intent, sendIntents } from './kit/intents.js';
import { createTestLedger } from './kit/ledger.js';
import type { TestLedger } from './kit/ledger.js';
import { readLedger, waitUntil } from '@lineage/testkit/kafka';

// ARCHITECTURE.md §3.8 and issue 4: rotating the governance key keeps old attestations verifiable;
// a key revoked at T invalidates signatures issued at or after T and leaves earlier ones valid.
let ledger: TestLedger | undefined;
const running: GovernanceService[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((s) => s.stop()));
  await ledger?.close();
  ledger = undefined;
});

const withKey = (keys: TrustedKey[], keyid: string, change: Partial<TrustedKey>) =>
  loadTrustStore({
    version: 1,
    keys: keys.map((k) => (k.keyid === keyid ? { ...k, ...change } : k)),
  });

describe('governance key rotation and revocation on a real broker', () => {
  it('keeps attestations of the retired key valid, and a revocation cuts exactly at T', async () => {
    ledger = await createTestLedger(inject('brokers'), { partitions: 1 });
    const { kafka, topics } = ledger;
    const agent = ledger.agentKeys[0]!;
    const producer = kafka.producer({ idempotent: true });
    await producer.connect();
    // One at a time, each decided before the next, so every attestation has its own issue instant.
    const publish = async (
      governance: GovernanceService,
      n: number,
      parents: Parameters<typeof intent>[1]['parents'] = [],
    ) => {
      for (let i = 0; i < n; i++) {
        const x = intent(agent.signer, { action: 'read.item', resource: `r/${i}`, parents });
        const before = governance.stats.attestations;
        await sendIntents(producer, topics.intents, [x]);
        await waitUntil(() => governance.stats.attestations === before + 1, 60_000, 'a decision');
        await new Promise((r) => setTimeout(r, 3));
      }
    };

    // Given three decisions signed by the first governance key A.
    const a = await ledger.startGovernance();
    running.push(a);
    await publish(a, 3);
    await a.stop();
    running.splice(0);
    const byA = await readLedger(kafka, topics, 3);
    expect(new Set(byA.map((e) => e.predicate.issuer))).toEqual(
      new Set([ledger.governanceKey.keyid]),
    );

    // When the key is rotated: A retires at T1, B takes over from T1, and both stay in the trust store.
    const t1 = new Date().toISOString();
    await new Promise((r) => setTimeout(r, 5));
    const keyB = generateKeyPair();
    const rotatedKeys: TrustedKey[] = [
      ...ledger.trustDocument.keys.map((k) =>
        k.keyid === ledger!.governanceKey.keyid ? { ...k, valid_until: t1 } : k,
      ),
      trustedKey(keyB, ['governance'], { name: 'governance-b', validFrom: t1 }),
    ];
    const rotated = loadTrustStore({ version: 1, keys: rotatedKeys });
    const b = await startGovernance({
      kafka,
      topics,
      groupId: ledger.groupId,
      key: keyB,
      trust: rotated,
      policy: ledger.policy,
      ed25519: nodeEd25519(),
      runtimeHash: runtimeHash(await loadRuntimeManifest()),
      partitions: 1,
    });
    running.push(b);
    // Children of A-signed parents: B verifies the old key's attestations as parents.
    await publish(b, 2, [byA[0]!.envelope]);
    await publish(b, 2);
    const all = await readLedger(kafka, topics, 7);
    const byB = all.filter((e) => e.predicate.issuer === keyB.keyid);
    expect(byB).toHaveLength(4);
    expect(byB.every((e) => e.predicate.decision === 'allow')).toBe(true);

    // Then every attestation — A's and B's — verifies under the rotated trust store, and the chain
    // runs on across the rotation.
    for (const e of all) verifyAttestation(e.envelope, { trust: rotated, ed25519: nobleEd25519 });
    expect(all.map((e) => e.predicate.sequence)).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(all.slice(1).every((e, i) => e.predicate.prev === all[i]!.digest)).toBe(true);

    // An attestation signed by A after it retired would not verify: A signs nothing valid after T1.
    const retiredTrust = withKey(rotatedKeys, ledger.governanceKey.keyid, {
      valid_until: byA[1]!.predicate.issued_at,
    });
    const code = (f: () => unknown) => {
      try {
        f();
        return 'valid';
      } catch (e) {
        return (e as { code: string }).code;
      }
    };
    expect(
      byA.map((e) =>
        code(() => verifyAttestation(e.envelope, { trust: retiredTrust, ed25519: nobleEd25519 })),
      ),
    ).toEqual(['valid', 'KEY_NOT_VALID_AT', 'KEY_NOT_VALID_AT']);

    // Revoking B at T (the issue time of its third attestation) invalidates that one and the fourth,
    // and leaves B's first two and all of A's valid.
    const ordered = byB.sort((x, y) => x.predicate.sequence - y.predicate.sequence);
    const t = ordered[2]!.predicate.issued_at;
    expect(ordered[1]!.predicate.issued_at < t).toBe(true);
    const revoked = withKey(rotatedKeys, keyB.keyid, { revoked_at: t });
    expect(
      all.map((e) =>
        code(() => verifyAttestation(e.envelope, { trust: revoked, ed25519: nobleEd25519 })),
      ),
    ).toEqual([
      'valid',
      'valid',
      'valid',
      'valid',
      'valid',
      'KEY_NOT_VALID_AT',
      'KEY_NOT_VALID_AT',
    ]);
    await producer.disconnect();
  });
});
