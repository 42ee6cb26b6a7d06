import type { KafkaMessage } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import {
  attestationDigest,
  loadTrustStore,
  parseStatement,
  signGrant,
  signResolution,
  verifyAttestation,
} from '@lineage/protocol';
import type { Digest, JsonValue, RawEnvelope } from '@lineage/protocol';
import { generateKeyPair, nodeEd25519, trustedKey } from '@lineage/keys';
import { loadPolicy } from '@lineage/policy';
import {
  attestationCodec,
  deadLetterCodec,
  envelopeRecord,
  intentCodec,
  overrideCodec,
} from '@lineage/schemas';
import { signIntent } from '@lineage/sdk';
import type { IntentDraft } from '@lineage/sdk';
import { topicNames } from '@lineage/kafka';
import type { BatchResult } from '@lineage/kafka';
import { Governor } from './governor.js';
import { PartitionLedger } from './ledger.js';
import { PolicyBook } from './policies.js';

const governance = generateKeyPair();
const agent = generateKeyPair();
const principal = generateKeyPair();
const approver = generateKeyPair();
const trust = loadTrustStore({
  version: 1,
  keys: [
    trustedKey(governance, ['governance']),
    trustedKey(agent, ['agent']),
    trustedKey(principal, ['principal']),
    trustedKey(approver, ['approver']),
  ],
});
const policy = loadPolicy({
  id: 'p',
  version: 1,
  allow: [{ id: 'read', agents: ['*'], actions: ['read.*'] }],
  deny: [],
  require_override: [{ id: 'hold-writes', actions: ['write.*'], approvers: ['*'] }],
});
const grant = signGrant(
  {
    grant_id: 'g-1',
    principal: principal.keyid,
    agent: agent.keyid,
    scope: { actions: ['*'], resources: [''] },
    policy: 'p',
    valid_from: '2000-01-01T00:00:00.000Z',
    valid_until: '2999-01-01T00:00:00.000Z',
    issued_at: '2000-01-01T00:00:00.000Z',
  },
  principal.signer,
) as unknown as JsonValue;
const topics = topicNames('u.');
const runtime = { name: 'r', version: '1', digest: 'd' };
const governor = () =>
  new Governor({
    topics,
    policies: new PolicyBook(policy),
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
const root = (draft: IntentDraft) => signIntent({ ...draft, grant }, agent.signer, runtime);
const record = (i: ReturnType<typeof signIntent>) =>
  message(
    intentCodec.encode({
      execution_id: i.body.execution_id,
      envelope: envelopeRecord(i.envelope),
      parent_attestations: [],
    }),
    i.body.execution_id,
  );
/** Runs a batch's commit step as the processor does, the broker having appended at `baseOffset`. */
const commit = (batch: BatchResult, baseOffset: number) =>
  batch.onCommit(
    batch.sends.map((s) => ({
      topicName: s.topic,
      partition: s.messages[0]?.partition ?? 0,
      errorCode: 0,
      baseOffset: String(baseOffset),
    })),
  );
const predicates = (sends: { messages: { value: unknown }[] }) =>
  sends.messages.map(
    (m) => parseStatement(attestationCodec.decode(m.value as Buffer).envelope.payload).predicate,
  );

describe('Governor.processBatch: given a partition ledger, when a batch arrives, then one outcome per record', () => {
  it('decides, rejects replays, answers redeliveries and dead-letters junk, all in one batch', async () => {
    const g = governor();
    const ledger = new PartitionLedger(2);
    const a = root({ action: 'read.a', resource: 'r' });
    const other = root({ action: 'read.b', resource: 'r', executionId: a.body.execution_id });
    const batch = await g.processBatch(ledger, topics.intents, 2, [
      record(a),
      record(a),
      record(other),
      message(Buffer.from('junk')),
      message(null),
    ]);
    const [attestations, deadLetters] = batch.sends;
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
    expect([
      ledger.nextSequence,
      await ledger.has('decided', a.body.execution_id),
      g.stats.intents,
    ]).toEqual([0, false, 0]);
    await commit(batch, 40);
    expect([
      ledger.nextSequence,
      await ledger.has('decided', a.body.execution_id),
      ledger.lastOffset,
    ]).toEqual([2, true, 41n]);
    expect(g.stats).toEqual({
      intents: 5,
      overrides: 0,
      attestations: 2,
      deadLetters: 2,
      redeliveries: 1,
      allowed: 1,
      denied: 0,
      pending: 0,
      replayRejections: 1,
      overrideRejections: 0,
    });

    // After the commit, the same intents are redeliveries and add nothing.
    const again = await g.processBatch(ledger, topics.intents, 2, [record(a), record(other)]);
    expect(again.sends[0]!.messages).toHaveLength(0);
  });

  it('an aborted transaction leaves the ledger as it was, so the retry decides identically', async () => {
    const g = governor();
    const ledger = new PartitionLedger(0);
    const a = root({ action: 'read.a', resource: 'r' });
    const first = await g.processBatch(ledger, topics.intents, 0, [record(a)]);
    const retry = await g.processBatch(ledger, topics.intents, 0, [record(a)]);
    expect(retry.sends[0]!.messages.map((m) => m.value)).toEqual(
      first.sends[0]!.messages.map((m) => m.value),
    );
  });

  it('refuses to fold a broken chain', async () => {
    const g = governor();
    const ledger = new PartitionLedger(0);
    const a = root({ action: 'read.a', resource: 'r' });
    const [p] = predicates(
      (await g.processBatch(ledger, topics.intents, 0, [record(a)])).sends[0]!,
    );
    expect(() =>
      ledger.fold({ ...p!, sequence: 5 }, '0'.repeat(64) as Digest, '1'.repeat(64) as Digest, 0n),
    ).toThrow(expect.objectContaining({ code: 'LEDGER_BROKEN' }) as Error);
    expect(() =>
      ledger.fold({ ...p!, partition: 1 }, '0'.repeat(64) as Digest, '1'.repeat(64) as Digest, 0n),
    ).toThrow(expect.objectContaining({ code: 'LEDGER_BROKEN' }) as Error);
  });
});

const resolutionRecord = (
  executionId: string,
  resolution: RawEnvelope,
  pending: RawEnvelope,
): KafkaMessage =>
  message(
    overrideCodec.encode({
      execution_id: executionId,
      envelope: envelopeRecord(resolution),
      pending_attestation: envelopeRecord(pending),
    }),
    executionId,
  );

describe('Governor.processBatch on the overrides topic: given a pending decision, when resolutions arrive', () => {
  it('appends one override, refuses a second resolution, and answers a redelivery with nothing', async () => {
    const g = governor();
    const ledger = new PartitionLedger(1);
    const held = root({ action: 'write.db', resource: 'db/1' });
    const decided = await g.processBatch(ledger, topics.intents, 1, [record(held)]);
    await commit(decided, 0);
    const pendingEnv = attestationCodec.decode(
      decided.sends[0]!.messages[0]!.value as Buffer,
    ).envelope;
    const pending = verifyAttestation(pendingEnv, { trust, ed25519: nodeEd25519() });
    expect([pending.predicate.decision, pending.predicate.reasons]).toEqual([
      'pending_override',
      ['OVERRIDE_REQUIRED', 'rule:hold-writes'],
    ]);
    const resolve = (resolution: 'approve' | 'reject', reason: string) =>
      signResolution(
        {
          execution_id: held.body.execution_id,
          pending: pending.digest,
          resolution,
          approver: approver.keyid,
          reason,
          resolved_at: '2026-11-22T00:00:00.000Z',
        },
        approver.signer,
      );
    const approve = resolve('approve', 'checked');
    const reject = resolve('reject', 'second thoughts');
    const id = held.body.execution_id;
    const batch = await g.processBatch(ledger, topics.overrides, 1, [
      resolutionRecord(id, approve, pendingEnv),
      resolutionRecord(id, approve, pendingEnv),
      resolutionRecord(id, reject, pendingEnv),
      message(Buffer.from('junk'), id),
    ]);
    const out = batch.sends[0]!.messages.map((m) =>
      verifyAttestation(attestationCodec.decode(m.value as Buffer).envelope, {
        trust,
        ed25519: nodeEd25519(),
      }),
    );
    expect(out.map((v) => [v.predicate.kind, v.predicate.decision, v.predicate.reasons])).toEqual([
      ['override', 'allow', ['OVERRIDE_APPROVED']],
      ['override_rejection', 'deny', ['OVERRIDE_ALREADY_RESOLVED']],
    ]);
    expect(out[0]!.predicate.override!.pending).toBe(pending.digest);
    expect(out[0]!.predicate.execution_fingerprint).toBe(pending.predicate.execution_fingerprint);
    expect(out[1]!.predicate.sequence).toBe(2);
    expect(
      batch.sends[1]!.messages.map((m) => deadLetterCodec.decode(m.value as Buffer).source_topic),
    ).toEqual([topics.overrides]);
    await commit(batch, 1);
    expect(ledger.pendingState(pending.digest)).toBe('resolved');
    expect(g.stats).toMatchObject({
      intents: 1,
      overrides: 4,
      attestations: 3,
      deadLetters: 1,
      redeliveries: 1,
      pending: 1,
      allowed: 1,
      overrideRejections: 1,
    });
    // After the commit the same resolutions are redeliveries.
    const again = await g.processBatch(ledger, topics.overrides, 1, [
      resolutionRecord(id, approve, pendingEnv),
      resolutionRecord(id, reject, pendingEnv),
    ]);
    expect(again.sends[0]!.messages).toHaveLength(0);
    // A resolution routed under another id than the one it names is refused as malformed.
    const elsewhere = await g.processBatch(ledger, topics.overrides, 1, [
      resolutionRecord(
        root({ action: 'read.x', resource: 'x' }).body.execution_id,
        approve,
        pendingEnv,
      ),
    ]);
    const [refused] = predicates(elsewhere.sends[0]!);
    expect(refused!.reasons).toEqual(['OVERRIDE_MALFORMED']);
    expect(attestationDigest(pendingEnv)).toBe(pending.digest);
  });
});
