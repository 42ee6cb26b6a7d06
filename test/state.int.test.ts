import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Producer } from 'kafkajs';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { LevelIndex } from '@lineage/governance';
import type { GovernanceService } from '@lineage/governance';
import { intent, intentRecord, sendRaw } from './kit/intents.js';
import { createTestLedger } from './kit/ledger.js';
import type { TestLedger } from './kit/ledger.js';
import { readLedger, waitUntil } from '@lineage/testkit/kafka';
import { expectChains } from '@lineage/testkit/spec';

/** Log events of one governance instance, by name. */
function recorder() {
  const events: { event: string; fields: Record<string, unknown> }[] = [];
  return {
    log: (event: string, fields: Record<string, unknown> = {}) => events.push({ event, fields }),
    named: (event: string) => events.filter((e) => e.event === event).map((e) => e.fields),
  };
}

/**
 * Governance's state store (LevelDB, one directory per instance): a restart reads only the
 * attestations appended since its state was written, still decides each id once, and a store that
 * is not a prefix of the ledger it is pointed at is detected and rebuilt from offset 0.
 */
describe('governance state store', () => {
  const ledgers: TestLedger[] = [];
  const running: GovernanceService[] = [];
  let dir: string;
  let producer: Producer;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'lineage-state-'));
  });
  afterEach(async () => {
    await Promise.all(running.splice(0).map((s) => s.stop().catch(() => undefined)));
    await producer?.disconnect();
    await Promise.all(ledgers.splice(0).map((l) => l.close()));
  });
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const open = async (partitions: number) => {
    const ledger = await createTestLedger(inject('brokers'), { partitions });
    ledgers.push(ledger);
    producer = ledger.kafka.producer({ idempotent: true });
    await producer.connect();
    return ledger;
  };
  const start = async (ledger: TestLedger, stateDir?: string) => {
    const events = recorder();
    const service = await ledger.startGovernance({ stateDir, log: events.log });
    running.push(service);
    return { service, events };
  };
  const stop = async (service: GovernanceService) => {
    running.splice(running.indexOf(service), 1);
    await service.stop();
  };
  const intents = (ledger: TestLedger, n: number, tag: string) =>
    Array.from({ length: n }, (_, i) =>
      intent(ledger.agentKeys[i % ledger.agentKeys.length]!.signer, {
        action: 'read.item',
        resource: `${tag}/${i}`,
      }),
    );

  it('a restart reads only what was appended since its state, and still decides each id once', async () => {
    const ledger = await open(2);
    const stateDir = join(dir, 'a');
    const first = intents(ledger, 40, 'first');
    const a = await start(ledger, stateDir);
    await sendRaw(producer, ledger.topics.intents, first.map(intentRecord));
    await waitUntil(() => a.service.stats.intents === 40, 90_000, 'first 40');
    await stop(a.service);

    // Another instance (state in memory) appends while the first is away.
    const second = intents(ledger, 10, 'second');
    const b = await start(ledger);
    await sendRaw(producer, ledger.topics.intents, second.map(intentRecord));
    await waitUntil(() => b.service.stats.intents === 10, 90_000, 'next 10');
    // It had no state: it read the whole ledger of both partitions.
    expect(b.events.named('partitions restored').reduce((n, f) => n + Number(f.read), 0)).toBe(40);
    await stop(b.service);

    // Back with its state: per partition it re-reads the attestation its state ends with, then
    // only the 10 appended since.
    const c = await start(ledger, stateDir);
    const replay = intent(ledger.agentKeys[0]!.signer, {
      action: 'delete.everything',
      resource: 'first/0',
      executionId: first[0]!.body.execution_id,
    });
    const fresh = intents(ledger, 1, 'fresh');
    await sendRaw(producer, ledger.topics.intents, [
      intentRecord(first[1]!),
      intentRecord(second[1]!),
      intentRecord(replay),
      ...fresh.map(intentRecord),
    ]);
    await waitUntil(() => c.service.stats.intents === 4, 90_000, 'after restart');
    const restored = c.events.named('partitions restored');
    expect(restored.flatMap((f) => f.partitions as number[]).sort()).toEqual([0, 1]);
    expect(restored.reduce((n, f) => n + Number(f.read), 0)).toBe(10 + 2);
    expect(restored.reduce((n, f) => n + Number(f.attestations), 0)).toBe(50);
    expect(c.service.stats).toMatchObject({
      redeliveries: 2,
      replayRejections: 1,
      attestations: 2,
    });
    expect(c.events.named('state store mismatch, rebuilding from offset 0')).toHaveLength(0);

    const entries = await readLedger(ledger.kafka, ledger.topics, 52);
    expect(entries).toHaveLength(52);
    expect(
      entries
        .filter((e) => e.predicate.execution_id === first[0]!.body.execution_id)
        .map((e) => e.predicate.kind),
    ).toEqual(['decision', 'replay_rejection']);
    expectChains(entries);
  });

  it('a state directory from another ledger is detected and rebuilt from offset 0', async () => {
    const stateDir = join(dir, 'b');
    const one = await open(1);
    const ids = intents(one, 20, 'one');
    const a = await start(one, stateDir);
    await sendRaw(producer, one.topics.intents, ids.map(intentRecord));
    await waitUntil(() => a.service.stats.intents === 20, 90_000, 'ledger one');
    await stop(a.service);
    await producer.disconnect();

    // Ledger two is shorter: the state's last attestation (offset ≥ 19) does not exist there.
    const two = await open(1);
    const theirs = intents(two, 3, 'two');
    const b = await start(two);
    await sendRaw(producer, two.topics.intents, theirs.map(intentRecord));
    await waitUntil(() => b.service.stats.intents === 3, 90_000, 'ledger two');
    await stop(b.service);

    const c = await start(two, stateDir);
    // An id ledger one consumed is new here; an id ledger two consumed is a replay here.
    const reused = intent(two.agentKeys[0]!.signer, {
      action: 'read.item',
      resource: 'elsewhere',
      executionId: ids[0]!.body.execution_id,
    });
    const replay = intent(two.agentKeys[0]!.signer, {
      action: 'read.item',
      resource: 'again',
      executionId: theirs[0]!.body.execution_id,
    });
    await sendRaw(producer, two.topics.intents, [intentRecord(reused), intentRecord(replay)]);
    await waitUntil(() => c.service.stats.intents === 2, 90_000, 'after the mismatch');
    expect(c.events.named('state store mismatch, rebuilding from offset 0')).toHaveLength(1);
    expect(c.service.stats).toMatchObject({ allowed: 1, replayRejections: 1, attestations: 2 });
    expectChains(await readLedger(two.kafka, two.topics, 5));
  });

  it('refuses a state directory another instance holds', async () => {
    const held = await LevelIndex.open(join(dir, 'c'));
    try {
      await expect(LevelIndex.open(join(dir, 'c'))).rejects.toMatchObject({
        code: 'STATE_LOCKED',
      });
    } finally {
      await held.close();
    }
  });
});
