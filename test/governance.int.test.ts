import { afterEach, describe, expect, inject, it } from 'vitest';
import { loadTrustStore, nobleEd25519, newExecutionId, verifyAttestation } from '@lineage/protocol';
import type { RawEnvelope } from '@lineage/protocol';
import type { IntentDraft } from '@lineage/sdk';
import { generateKeyPair, trustedKey } from '@lineage/keys';
import { attestationCodec, envelopeRecord } from '@lineage/schemas';
import { ANY_SCOPE, TEST_PRINCIPAL, grantFor } from './kit/authority.js';
import {
  encodeIntent,
  intent,
  intentRecord,
  sendIntents,
  sendRaw,
  signBody,
} from './kit/intents.js';
import { createTestLedger } from './kit/ledger.js';
import type { TestLedger } from './kit/ledger.js';
import { readLedger, waitUntil } from '@lineage/testkit/kafka';
import { expectChains } from '@lineage/testkit/spec';
import { expectReplayVerifies } from './kit/replay.js';

let ledger: TestLedger | undefined;
afterEach(async () => {
  await ledger?.close();
  ledger = undefined;
});

describe('governance on a real broker', () => {
  it('turns 1,000 linked intents into exactly 1,000 attestations that verify with only the public key', async () => {
    ledger = await createTestLedger(inject('brokers'), { partitions: 3 });
    const governance = await ledger.startGovernance();
    const producer = await ledger.producer();
    const agentKey = ledger.agentKeys[0]!;

    // Ten roots, allowed first; then 990 children, each naming one or two of the roots as parents.
    const roots = Array.from({ length: 10 }, (_, i) =>
      intent(agentKey.signer, { action: 'plan.batch', resource: `batch/${i}` }),
    );
    await sendIntents(producer, ledger.topics.intents, roots);
    await waitUntil(() => governance.stats.attestations === 10, 60_000, 'root attestations');
    const rootAttestations = new Map(
      (await readLedger(ledger.kafka, ledger.topics, governance.stats.attestations)).map((e) => [
        e.predicate.execution_id,
        e.envelope,
      ]),
    );
    const children = Array.from({ length: 990 }, (_, i) => {
      const parents: RawEnvelope[] = [rootAttestations.get(roots[i % 10]!.body.execution_id)!];
      if (i % 3 === 0) parents.push(rootAttestations.get(roots[(i + 1) % 10]!.body.execution_id)!);
      return intent(agentKey.signer, { action: 'read.item', resource: `item/${i}`, parents });
    });
    for (let i = 0; i < children.length; i += 100) {
      await sendIntents(producer, ledger.topics.intents, children.slice(i, i + 100));
    }
    await waitUntil(() => governance.stats.intents === 1000, 120_000, '1,000 intents decided');
    await producer.disconnect();

    const entries = await readLedger(ledger.kafka, ledger.topics, governance.stats.attestations);
    expect(entries).toHaveLength(1000);
    expect(new Set(entries.map((e) => e.predicate.execution_id)).size).toBe(1000);
    expect(entries.every((e) => e.predicate.decision === 'allow')).toBe(true);
    expect(entries.filter((e) => e.predicate.parents.length === 2)).toHaveLength(330);
    const verify = {
      trust: loadTrustStore({
        version: 1,
        keys: [trustedKey(ledger.governanceKey, ['governance'])],
      }),
      ed25519: nobleEd25519,
    };
    for (const e of entries) {
      // Only the governance public key is needed.
      expect(verifyAttestation(e.envelope, verify).digest).toBe(e.digest);
      // Flipping any one byte of the payload or the signature breaks it.
      const at = e.digest.charCodeAt(0) % e.envelope.payload.length;
      const payload = Uint8Array.from(e.envelope.payload);
      payload[at]! ^= 0x01;
      expect(() => verifyAttestation({ ...e.envelope, payload }, verify)).toThrow();
      const sig = Uint8Array.from(e.envelope.signatures[0]!.sig);
      sig[at % 64]! ^= 0x80;
      expect(() =>
        verifyAttestation(
          { ...e.envelope, signatures: [{ keyid: e.envelope.signatures[0]!.keyid, sig }] },
          verify,
        ),
      ).toThrow();
    }
    // Each partition is a gap-free chain.
    for (const p of [0, 1, 2]) {
      const chain = entries.filter((e) => e.partition === p);
      chain.forEach((e, i) => {
        expect(e.predicate.sequence).toBe(i);
        expect(e.predicate.prev).toBe(i === 0 ? null : chain[i - 1]!.digest);
      });
    }
  });

  it('fails closed: every bad input gets its own signed outcome, and intents in = attestations + dead letters', async () => {
    ledger = await createTestLedger(inject('brokers'), { partitions: 3 });
    const governance = await ledger.startGovernance();
    const producer = await ledger.producer();
    const agent = ledger.agentKeys[0]!;
    const stranger = generateKeyPair();
    const rogueGovernance = generateKeyPair();

    const allowedParent = intent(agent.signer, { action: 'read.parent', resource: 'p/1' });
    const deniedParent = intent(agent.signer, { action: 'delete.all', resource: 'prod/db' });
    const narrowGrantParent = intent(agent.signer, {
      action: 'read.parent',
      resource: 'p/2',
      grant: grantFor(agent.keyid, { scope: { actions: ['read.*'], resources: ['p/'] } }),
    });
    await sendIntents(producer, ledger.topics.intents, [
      allowedParent,
      deniedParent,
      narrowGrantParent,
    ]);
    await waitUntil(() => governance.stats.attestations === 3, 60_000, 'parents');
    const parents = new Map(
      (await readLedger(ledger.kafka, ledger.topics, governance.stats.attestations)).map((e) => [
        e.predicate.execution_id,
        e,
      ]),
    );
    const okParent = parents.get(allowedParent.body.execution_id)!;
    const badParent = parents.get(deniedParent.body.execution_id)!;
    const narrowParent = parents.get(narrowGrantParent.body.execution_id)!;
    expect(narrowParent.predicate.authorization.scope).toEqual({
      actions: ['read.*'],
      resources: ['p/'],
    });
    expect(badParent.predicate.reasons).toEqual(['POLICY_DENIED', 'rule:no-prod-delete']);

    // A parent attestation re-signed by a key governance does not trust.
    const forged: RawEnvelope = {
      ...okParent.envelope,
      signatures: [
        { keyid: rogueGovernance.keyid, sig: rogueGovernance.signer.sign(new Uint8Array(1)) },
      ],
    };

    const base = intent(agent.signer, { action: 'read.x', resource: 'r/1' }).body;
    const cases: {
      name: string;
      key: string;
      value: Buffer | null;
      expect: string[] | 'dead-letter';
    }[] = [];
    const add = (
      name: string,
      id: string,
      env: RawEnvelope,
      expected: string[],
      carried: RawEnvelope[] = [],
    ) => cases.push({ name, key: id, value: encodeIntent(id, env, carried), expect: expected });
    // A case from an intent the agent signs; `carry` puts its parents' attestations on the record.
    const addIntent = (name: string, draft: IntentDraft, expected: string[], carry = false) => {
      const c = intent(agent.signer, draft);
      add(name, c.body.execution_id, c.envelope, expected, carry ? c.parents.slice() : []);
    };
    const fresh = () => ({ ...base, execution_id: newExecutionId() });

    cases.push({
      name: 'undecodable bytes',
      key: 'junk',
      value: Buffer.from('not avro at all'),
      expect: 'dead-letter',
    });
    cases.push({ name: 'empty record', key: 'empty', value: null, expect: 'dead-letter' });
    cases.push({
      name: 'wrong schema',
      key: 'wrong',
      // A valid attestation record on the intents topic: decodable Avro, but the wrong record.
      value: attestationCodec.encode({
        execution_id: 'x',
        envelope: envelopeRecord(okParent.envelope),
      }),
      expect: 'dead-letter',
    });
    {
      const { execution_id: _, ...rest } = fresh();
      add('missing execution_id', '', signBody(agent.signer, rest), ['EXECUTION_ID_MISSING']);
    }
    {
      const b = { ...fresh(), execution_id: 'not-a-uuid' };
      add('malformed execution_id', 'not-a-uuid', signBody(agent.signer, b), [
        'EXECUTION_ID_MALFORMED',
      ]);
    }
    {
      const b = { ...fresh(), execution_id: '3b241101-e2bb-4255-8caf-4136c566a962' };
      add('UUIDv4 execution_id', b.execution_id, signBody(agent.signer, b), [
        'EXECUTION_ID_MALFORMED',
      ]);
    }
    {
      const b = fresh();
      add('routing id differs from the signed id', newExecutionId(), signBody(agent.signer, b), [
        'INTENT_MALFORMED',
      ]);
    }
    {
      const b = { ...fresh(), _type: 'something-else' };
      add('wrong intent type', b.execution_id, signBody(agent.signer, b), ['INTENT_MALFORMED']);
    }
    {
      const b = fresh();
      add('unsigned', b.execution_id, { ...signBody(agent.signer, b), signatures: [] }, [
        'AGENT_SIGNATURE_MISSING',
      ]);
    }
    {
      const b = fresh();
      const env = signBody(agent.signer, b);
      const sig = Uint8Array.from(env.signatures[0]!.sig);
      sig[5]! ^= 1;
      add('bad signature', b.execution_id, { ...env, signatures: [{ keyid: agent.keyid, sig }] }, [
        'AGENT_SIGNATURE_INVALID',
      ]);
    }
    {
      const b = { ...fresh(), agent: stranger.keyid };
      add('unknown agent', b.execution_id, signBody(stranger.signer, b), ['AGENT_KEY_UNKNOWN']);
    }
    {
      const b = { ...fresh(), agent: ledger.governanceKey.keyid };
      add(
        'governance key used as an agent',
        b.execution_id,
        signBody(ledger.governanceKey.signer, b),
        ['AGENT_KEY_UNKNOWN'],
      );
    }
    addIntent(
      'parent not carried',
      {
        action: 'read.child',
        resource: 'c/1',
        parents: [okParent.envelope],
      },
      ['PARENT_MISSING'],
    );
    {
      const b = {
        ...fresh(),
        grant: null,
        parents: [{ execution_id: okParent.predicate.execution_id, attestation: okParent.digest }],
      };
      add(
        'parent signed by an untrusted key',
        b.execution_id,
        signBody(agent.signer, b),
        ['PARENT_INVALID'],
        [forged],
      );
    }
    addIntent(
      'parent denied',
      {
        action: 'read.child',
        resource: 'c/2',
        parents: [badParent.envelope],
      },
      ['PARENT_NOT_ALLOWED'],
      true,
    );
    addIntent('policy deny rule', { action: 'delete.rows', resource: 'prod/orders' }, [
      'POLICY_DENIED',
      'rule:no-prod-delete',
    ]);
    addIntent('no policy rule matches', { action: 'launch.rocket', resource: 'pad/39a' }, [
      'POLICY_NO_MATCH',
    ]);
    // Authority: a root must carry a valid grant from a trusted principal that covers it.
    addIntent('root without a grant', { action: 'read.x', resource: 'g/1', grant: null }, [
      'GRANT_MISSING',
    ]);
    addIntent(
      'grant that is not a grant envelope',
      {
        action: 'read.x',
        resource: 'g/2',
        grant: { payloadType: 'text/plain', payload: '', signatures: [] },
      },
      ['GRANT_INVALID'],
    );
    addIntent(
      'grant by an untrusted principal',
      {
        action: 'read.x',
        resource: 'g/3',
        grant: grantFor(agent.keyid, { principal: stranger.signer }),
      },
      ['GRANT_PRINCIPAL_UNTRUSTED'],
    );
    addIntent(
      'expired grant',
      {
        action: 'read.x',
        resource: 'g/4',
        grant: grantFor(agent.keyid, { validUntil: '2001-01-01T00:00:00.000Z' }),
      },
      ['GRANT_EXPIRED'],
    );
    addIntent(
      'grant not covering the action',
      {
        action: 'read.x',
        resource: 'g/5',
        grant: grantFor(agent.keyid, { scope: { actions: ['plan.*'], resources: [''] } }),
      },
      ['GRANT_OUT_OF_SCOPE'],
    );
    addIntent(
      'grant for another agent',
      {
        action: 'read.x',
        resource: 'g/6',
        grant: grantFor(ledger.agentKeys[1]!.keyid),
      },
      ['GRANT_OUT_OF_SCOPE'],
    );
    addIntent(
      'grant under another policy',
      {
        action: 'read.x',
        resource: 'g/7',
        grant: grantFor(agent.keyid, { policy: 'another-policy' }),
      },
      ['GRANT_OUT_OF_SCOPE'],
    );
    // The parent's authority covers read.* under p/ only; the child asks for plan.* elsewhere.
    addIntent(
      'child outside its inherited scope',
      {
        action: 'plan.x',
        resource: 'elsewhere/1',
        parents: [narrowParent.envelope],
      },
      ['GRANT_OUT_OF_SCOPE'],
      true,
    );
    addIntent(
      'allowed child',
      {
        action: 'read.ok',
        resource: 'fine',
        parents: [okParent.envelope],
      },
      ['rule:agents-read'],
      true,
    );

    await sendRaw(
      producer,
      ledger.topics.intents,
      cases.map((c) => ({ key: c.key, value: c.value })),
    );
    const total = 3 + cases.length;
    await waitUntil(() => governance.stats.intents === total, 60_000, 'all bad inputs decided');
    await producer.disconnect();

    const { entries, deadLetters } = await ledger.outcomes(governance.stats);
    expect(entries.length + deadLetters.length).toBe(total);
    // Every outcome on this ledger re-derives from the recorded inputs: `lineage replay-verify --all`.
    await expectReplayVerifies(ledger, entries.length);
    expect(deadLetters.map((d) => d.reason).sort()).toEqual([
      'EMPTY_RECORD',
      'UNDECODABLE',
      'UNDECODABLE',
    ]);
    expect(deadLetters.find((d) => d.raw_value?.toString() === 'not avro at all')).toBeDefined();
    const verify = { trust: ledger.trust, ed25519: nobleEd25519 };
    for (const c of cases.filter((x) => x.expect !== 'dead-letter')) {
      const found = entries.filter(
        (e) => e.predicate.execution_id === c.key && e.predicate.kind === 'decision',
      );
      expect(found, c.name).toHaveLength(1);
      // Every outcome is signed and verifies.
      const v = verifyAttestation(found[0]!.envelope, verify);
      expect(v.predicate.reasons, c.name).toEqual(c.expect);
      expect(v.predicate.decision, c.name).toBe(c.name === 'allowed child' ? 'allow' : 'deny');
    }
    // The attestations record the authorization path: a root names its grant, a child its parents.
    expect(okParent.predicate.authorization).toMatchObject({
      inherited_from: [],
      principals: [TEST_PRINCIPAL.keyid],
      scope: ANY_SCOPE,
      depth: 0,
    });
    expect(okParent.predicate.authorization.grant).not.toBeNull();
    const childKey = cases.find((c) => c.name === 'allowed child')!.key;
    const child = entries.find((e) => e.predicate.execution_id === childKey)!;
    expect(child.predicate.authorization).toEqual({
      grant: null,
      inherited_from: [okParent.digest],
      principals: [TEST_PRINCIPAL.keyid],
      scope: ANY_SCOPE,
      depth: 1,
    });
  });

  it('decides each id once: identical redelivery adds nothing, a different intent is a replay_rejection, across a restart', async () => {
    ledger = await createTestLedger(inject('brokers'), { partitions: 3 });
    let governance = await ledger.startGovernance();
    const producer = await ledger.producer();
    const agent = ledger.agentKeys[1]!;
    const first = intent(agent.signer, { action: 'read.once', resource: 'r/once' });
    const record = intentRecord(first);
    await sendRaw(producer, ledger.topics.intents, [record, record]);
    await waitUntil(() => governance.stats.intents === 2, 60_000, 'two deliveries');
    expect(governance.stats).toMatchObject({ attestations: 1, redeliveries: 1 });

    const reuse = intent(agent.signer, {
      action: 'delete.everything',
      resource: 'r/once',
      executionId: first.body.execution_id,
    });
    await sendIntents(producer, ledger.topics.intents, [reuse]);
    await waitUntil(() => governance.stats.intents === 3, 60_000, 'replay');
    await governance.stop();

    // A new instance rebuilds its state from the ledger alone.
    governance = await ledger.startGovernance();
    const other = intent(agent.signer, {
      action: 'read.twice',
      resource: 'r/once',
      executionId: first.body.execution_id,
    });
    const fresh = intent(agent.signer, { action: 'read.new', resource: 'r/new' });
    await sendIntents(producer, ledger.topics.intents, [first, reuse, other, fresh]);
    await waitUntil(() => governance.stats.intents === 4, 90_000, 'after restart');
    expect(governance.stats).toMatchObject({
      redeliveries: 2,
      replayRejections: 1,
      attestations: 2,
    });
    await producer.disconnect();

    const entries = await readLedger(ledger.kafka, ledger.topics, 4);
    const forId = entries.filter((e) => e.predicate.execution_id === first.body.execution_id);
    expect(forId.map((e) => [e.predicate.kind, e.predicate.decision])).toEqual([
      ['decision', 'allow'],
      ['replay_rejection', 'deny'],
      ['replay_rejection', 'deny'],
    ]);
    expect(forId.filter((e) => e.predicate.decision === 'allow')).toHaveLength(1);
    expect(entries).toHaveLength(4);
    // Every outcome on this ledger re-derives from the recorded inputs: `lineage replay-verify --all`.
    await expectReplayVerifies(ledger, entries.length);

    // The chain continued across the restart without a gap or a fork.
    expectChains(entries);
  });
});
