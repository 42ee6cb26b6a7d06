import { afterEach, describe, expect, inject, it } from 'vitest';
import type { KafkaMessage } from 'kafkajs';
import { generateKeyPair } from '@lineage/keys';
import { ensureTopics } from '@lineage/kafka';
import { attestationCodec } from '@lineage/schemas';
import {
  LineageSdkError,
  connectAgent,
  connectApprover,
  subscribeAttestations,
} from '@lineage/sdk';
import type { ReceivedAttestation } from '@lineage/sdk';
import { grantFor } from './kit/authority.js';
import { TEST_POLICY, TEST_RUNTIME, createTestLedger } from './kit/ledger.js';
import type { TestLedger } from './kit/ledger.js';
import { waitUntil } from '@lineage/testkit/kafka';

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
    const timedOut = await connectAgent({
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

describe('grants and overrides through the SDK', () => {
  it('connectAgent attaches its grant to root intents only; without one a root is denied GRANT_MISSING', async () => {
    ledger = await createTestLedger(inject('brokers'));
    await ledger.startGovernance();
    const key = ledger.agentKeys[0]!;
    const options = {
      kafka: ledger.kafka,
      topics: ledger.topics,
      signer: key.signer,
      verify: ledger.verify,
      runtime: TEST_RUNTIME,
      timeoutMs: 60_000,
    };
    const granted = await connectAgent({ ...options, grant: grantFor(key.keyid) });
    const bare = await connectAgent(options);
    try {
      const root = await granted.publishIntent({ action: 'read.a', resource: 'r' });
      const rootAuth = root.verified.predicate.authorization;
      expect(rootAuth.grant).not.toBeNull();
      expect(rootAuth.principals).toEqual([ledger.principalKey.keyid]);
      expect(rootAuth.depth).toBe(0);
      const child = await granted.publishIntent({
        action: 'read.b',
        resource: 'r',
        parents: [root.envelope],
      });
      const intent = JSON.parse(
        Buffer.from(child.verified.predicate.intent!.payload, 'base64').toString('utf8'),
      ) as { grant: unknown };
      // The child carries no grant: its authority is inherited through the parent attestation.
      expect(intent.grant).toBeNull();
      expect(child.verified.predicate.authorization).toMatchObject({
        grant: null,
        inherited_from: [root.verified.digest],
        depth: 1,
      });
      const denied = await bare
        .publishIntent({ action: 'read.c', resource: 'r' })
        .catch((e: unknown) => e as LineageSdkError);
      expect((denied as LineageSdkError).code).toBe('INTENT_DENIED');
      expect((denied as LineageSdkError).reason).toBe('GRANT_MISSING');
    } finally {
      await Promise.all([granted.close(), bare.close()]);
    }
  });

  it('publishResolution approves a held execution once; refusals are typed with their reason code', async () => {
    ledger = await createTestLedger(inject('brokers'), {
      policy: {
        ...TEST_POLICY,
        allow: [{ id: 'all', agents: ['*'], actions: ['read.*', 'write.*'] }],
        require_override: [{ id: 'writes', actions: ['write.*'], approvers: ['*'] }],
      },
    });
    await ledger.startGovernance();
    const agent = await ledger.agent(0);
    const held = (await agent
      .publishIntent({ action: 'write.x', resource: 'r' })
      .catch((e: unknown) => e)) as LineageSdkError;
    expect(held.code).toBe('INTENT_PENDING_OVERRIDE');
    expect(held.attestation?.verified.predicate.decision).toBe('pending_override');
    const pending = held.attestation!.envelope;

    const approver = await connectApprover({
      kafka: ledger.kafka,
      topics: ledger.topics,
      signer: ledger.approverKey.signer,
      verify: ledger.verify,
      timeoutMs: 60_000,
    });
    // An agent key is no approver: governance refuses with a signed override_rejection.
    const impostor = await connectApprover({
      kafka: ledger.kafka,
      topics: ledger.topics,
      signer: ledger.agentKeys[1]!.signer,
      verify: ledger.verify,
      timeoutMs: 60_000,
    });
    try {
      const refused = await impostor
        .publishResolution({ pending, resolution: 'approve' })
        .catch((e: unknown) => e as LineageSdkError);
      expect((refused as LineageSdkError).code).toBe('OVERRIDE_REFUSED');
      expect((refused as LineageSdkError).reason).toBe('OVERRIDE_APPROVER_UNTRUSTED');

      const approved = await approver.publishResolution({
        pending,
        resolution: 'approve',
        reason: 'checked',
      });
      expect(approved.verified.predicate).toMatchObject({
        kind: 'override',
        decision: 'allow',
        reasons: ['OVERRIDE_APPROVED'],
        override: { pending: held.attestation!.verified.digest },
      });
      // The same pending decision is resolved once.
      const again = await approver
        .publishResolution({ pending, resolution: 'reject' })
        .catch((e: unknown) => e as LineageSdkError);
      expect((again as LineageSdkError).code).toBe('OVERRIDE_REFUSED');
      expect((again as LineageSdkError).reason).toBe('OVERRIDE_ALREADY_RESOLVED');
      // Only a pending decision can be resolved: the SDK says so before publishing.
      const allowed = await agent.publishIntent({ action: 'read.x', resource: 'r' });
      const notPending = await approver
        .publishResolution({ pending: allowed.envelope, resolution: 'approve' })
        .catch((e: unknown) => e as LineageSdkError);
      expect((notPending as LineageSdkError).code).toBe('OVERRIDE_NOT_PENDING');
      // A child of the approved execution inherits through the override.
      const child = await agent.publishIntent({
        action: 'read.y',
        resource: 'r',
        parents: [approved.envelope],
      });
      expect(child.verified.predicate.decision).toBe('allow');
    } finally {
      await Promise.all([approver.close(), impostor.close()]);
    }
  });
});
