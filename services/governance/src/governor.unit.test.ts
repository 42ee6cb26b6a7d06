import type { KafkaMessage } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { loadTrustStore, parseStatement } from '@lineage/protocol';
import type { Digest } from '@lineage/protocol';
import { generateKeyPair, nodeEd25519, trustedKey } from '@lineage/keys';
import { loadPolicy } from '@lineage/policy';
import { attestationCodec, deadLetterCodec, envelopeRecord, intentCodec } from '@lineage/schemas';
import { signIntent } from '@lineage/sdk';
import { topicNames } from '@lineage/kafka';
import { Governor } from './governor.js';
import { PartitionLedger } from './ledger.js';

const governance = generateKeyPair();
const agent = generateKeyPair();
const trust = loadTrustStore({
  version: 1,
  keys: [trustedKey(governance, ['governance']), trustedKey(agent, ['agent'])],
});
const policy = loadPolicy({
  id: 'p',
  version: 1,
  allow: [{ id: 'read', agents: ['*'], actions: ['read.*'] }],
  deny: [],
});
const topics = topicNames('u.');
const runtime = { name: 'r', version: '1', digest: 'd' };
const governor = () =>
  new Governor({
    topics,
    policy,
    trust,
    ed25519: nodeEd25519(),
    signer: governance.signer,
    runtimeHash: 'a'.repeat(64) as Digest,
    now: () => new Date('2026-11-22T00:00:00.000Z'),
  });

let offset = 0;
const message = (value: Buffer | null, key = 'k'): KafkaMessage =>
  ({
    key: Buffer.from(key),
    value,
    offset: String(offset++),
    timestamp: '0',
    attributes: 0,
    headers: {},
  }) as KafkaMessage;
const record = (i: ReturnType<typeof signIntent>) =>
  message(
    intentCodec.encode({
      execution_id: i.body.execution_id,
      envelope: envelopeRecord(i.envelope),
      parent_attestations: [],
    }),
    i.body.execution_id,
  );
const predicates = (sends: { messages: { value: unknown }[] }) =>
  sends.messages.map(
    (m) => parseStatement(attestationCodec.decode(m.value as Buffer).envelope.payload).predicate,
  );

describe('Governor.processBatch: given a partition ledger, when a batch arrives, then one outcome per record', () => {
  it('decides, rejects replays, answers redeliveries and dead-letters junk, all in one batch', () => {
    const g = governor();
    const ledger = new PartitionLedger(2);
    const a = signIntent({ action: 'read.a', resource: 'r' }, agent.signer, runtime);
    const other = signIntent(
      { action: 'read.b', resource: 'r', executionId: a.body.execution_id },
      agent.signer,
      runtime,
    );
    const { sends, onCommit } = g.processBatch(ledger, 2, [
      record(a),
      record(a),
      record(other),
      message(Buffer.from('junk')),
      message(null),
    ]);
    const [attestations, deadLetters] = sends;
    const ps = predicates(attestations!);
    expect(ps.map((p) => [p.kind, p.decision, p.reasons])).toEqual([
      ['decision', 'allow', ['rule:read']],
      ['replay_rejection', 'deny', ['REPLAY_EXECUTION_ID']],
    ]);
    // The two attestations chain within the partition.
    expect(ps.map((p) => [p.partition, p.sequence])).toEqual([
      [2, 0],
      [2, 1],
    ]);
    expect(ps[0]!.prev).toBeNull();
    expect(ps[1]!.prev).not.toBeNull();
    expect(
      deadLetters!.messages.map((m) => deadLetterCodec.decode(m.value as Buffer).reason),
    ).toEqual(['UNDECODABLE', 'EMPTY_RECORD']);
    expect(attestations!.messages.every((m) => m.partition === 2)).toBe(true);
    // Nothing is remembered until the transaction commits.
    expect([ledger.nextSequence, ledger.decided.size, g.stats.intents]).toEqual([0, 0, 0]);
    onCommit();
    expect([ledger.nextSequence, ledger.decided.get(a.body.execution_id) !== undefined]).toEqual([
      2,
      true,
    ]);
    expect(g.stats).toEqual({
      intents: 5,
      attestations: 2,
      deadLetters: 2,
      redeliveries: 1,
      allowed: 1,
      denied: 0,
      replayRejections: 1,
    });

    // After the commit, the same intents are redeliveries and add nothing.
    const again = g.processBatch(ledger, 2, [record(a), record(other)]);
    expect(again.sends[0]!.messages).toHaveLength(0);
  });

  it('an aborted transaction leaves the ledger as it was, so the retry decides identically', () => {
    const g = governor();
    const ledger = new PartitionLedger(0);
    const a = signIntent({ action: 'read.a', resource: 'r' }, agent.signer, runtime);
    const first = g.processBatch(ledger, 0, [record(a)]);
    const retry = g.processBatch(ledger, 0, [record(a)]);
    expect(retry.sends[0]!.messages.map((m) => m.value)).toEqual(
      first.sends[0]!.messages.map((m) => m.value),
    );
  });

  it('refuses to fold a broken chain', () => {
    const g = governor();
    const ledger = new PartitionLedger(0);
    const a = signIntent({ action: 'read.a', resource: 'r' }, agent.signer, runtime);
    const [p] = predicates(g.processBatch(ledger, 0, [record(a)]).sends[0]!);
    expect(() =>
      ledger.apply({ ...p!, sequence: 5 }, '0'.repeat(64) as Digest, '1'.repeat(64) as Digest),
    ).toThrow(/broken/);
    expect(() =>
      ledger.apply({ ...p!, partition: 1 }, '0'.repeat(64) as Digest, '1'.repeat(64) as Digest),
    ).toThrow(/broken/);
  });
});
