import { afterEach, describe, expect, inject, it } from 'vitest';
import type { KafkaMessage } from 'kafkajs';
import { generateKeyPair } from '@lineage/keys';
import { ensureTopics } from '@lineage/kafka';
import { attestationCodec } from '@lineage/schemas';
import { LineageSdkError, subscribeAttestations } from '@lineage/sdk';
import type { ReceivedAttestation } from '@lineage/sdk';
import { createTestLedger } from './kit/ledger.js';
import type { TestLedger } from './kit/ledger.js';
import { waitUntil } from './kit/read.js';

let ledger: TestLedger | undefined;
afterEach(async () => {
  await ledger?.close();
  ledger = undefined;
});

const codeOf = async (p: Promise<unknown>) =>
  p.then(
    () => 'resolved',
    (e: LineageSdkError) => e.code,
  );

describe('agent SDK on a real broker', () => {
  it('publishIntent resolves with a verified allow, and throws typed errors on deny and timeout', async () => {
    ledger = await createTestLedger(inject('brokers'));
    // Before any topic exists, connecting says so with a typed error.
    expect(await codeOf(ledger.agent(0))).toBe('TOPICS_MISSING');
    await ensureTopics(ledger.kafka, ledger.topics, { partitions: 3 });
    const slow = await ledger.agent(0);
    // No governance running yet: the publish times out with a typed error.
    const timedOut = await (
      await import('@lineage/sdk')
    ).connectAgent({
      kafka: ledger.kafka,
      topics: ledger.topics,
      signer: ledger.agentKeys[1]!.signer,
      verify: ledger.verify,
      runtime: { name: 't', version: '1', digest: 'd' },
      timeoutMs: 1_000,
    });
    expect(await codeOf(timedOut.publishIntent({ action: 'read.x', resource: 'r' }))).toBe(
      'INTENT_TIMEOUT',
    );
    await timedOut.close();

    await ledger.startGovernance();
    const allowed = await slow.publishIntent({ action: 'read.x', resource: 'r' });
    expect(allowed.verified.predicate.decision).toBe('allow');
    const denied = await slow
      .publishIntent({ action: 'delete.x', resource: 'prod/x' })
      .catch((e: unknown) => e);
    expect(denied).toBeInstanceOf(LineageSdkError);
    expect((denied as LineageSdkError).code).toBe('INTENT_DENIED');
    expect((denied as LineageSdkError).attestation?.verified.predicate.reasons).toContain(
      'POLICY_DENIED',
    );
  });

  it('subscribeAttestations hands the handler only attestations that verify', async () => {
    ledger = await createTestLedger(inject('brokers'));
    await ledger.startGovernance();
    const agent = await ledger.agent(0);
    const good = await agent.publishIntent({ action: 'read.a', resource: 'r' });

    // An attacker with write access appends a look-alike signed by a key nobody trusts, and junk.
    const rogue = generateKeyPair();
    const producer = ledger.kafka.producer();
    await producer.connect();
    const forged = {
      ...good.envelope,
      signatures: [
        { keyid: rogue.keyid, sig: Buffer.from(rogue.signer.sign(good.envelope.payload)) },
      ],
    };
    await producer.send({
      topic: ledger.topics.attestations,
      messages: [
        {
          key: 'forged',
          value: attestationCodec.encode({
            execution_id: 'forged',
            envelope: {
              payload_type: forged.payload_type,
              payload: Buffer.from(forged.payload),
              signatures: forged.signatures,
            },
          }),
        },
        { key: 'junk', value: Buffer.from('junk') },
      ],
    });
    await producer.disconnect();
    const second = await agent.publishIntent({ action: 'read.b', resource: 'r' });

    const handled: ReceivedAttestation[] = [];
    const invalid: { error: Error; message: KafkaMessage }[] = [];
    const sub = await subscribeAttestations({
      kafka: ledger.kafka,
      topic: ledger.topics.attestations,
      groupId: `${ledger.groupId}-downstream`,
      verify: ledger.verify,
      onAttestation: async (a) => {
        handled.push(a);
      },
      onInvalid: (error, message) => invalid.push({ error, message }),
    });
    await waitUntil(() => handled.length + invalid.length === 4, 60_000, 'four records seen');
    await sub.stop();
    expect(handled.map((h) => h.verified.digest).sort()).toEqual(
      [good.verified.digest, second.verified.digest].sort(),
    );
    expect(invalid.map((i) => i.message.key?.toString()).sort()).toEqual(['forged', 'junk']);
    expect(invalid.map((i) => (i.error as { code?: string }).code).sort()).toEqual(
      ['KEY_UNKNOWN', 'BAD_MARKER'].sort(),
    );
  });
});
