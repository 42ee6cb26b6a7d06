import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { generateKeyPair } from '@lineage/keys';
import { readOffsets } from '@lineage/store';
import { projectionChecksum } from '@lineage/projection';
import type { LedgerRecord } from '@lineage/testkit';
import { LedgerBuilder, policyRecord, randomDag } from '@lineage/testkit';
import { rebuildProjection } from './rebuild.js';
import { appendLedger, appendMessages } from '@lineage/testkit/kafka';
import {
  expectExactlyOnceAndRebuildable,
  expectedLines,
  projectorCommand,
  projectorHarness,
  rowCount,
} from './testkit.js';
import type { World } from './testkit.js';
import type { RebuildProgress } from './rebuild.js';

// Given a ledger projected by a live projector (in-process, or a child process killed with SIGKILL
// mid-stream and restarted), when the projection is rebuilt from offset 0 into a fresh schema and
// swapped in, then its content checksum equals the live projection's, row for row.

const keys = generateKeyPair();
const random = () => randomBytes(6).toString('hex');

const { pool, kafka, world, start, rebuild, lines, topicEnd, waitCaughtUp } =
  projectorHarness('projector-rebuild-int');
const children = new Set<ChildProcess>();

afterAll(async () => {
  for (const child of children) child.kill('SIGKILL');
});

/**
 * A ledger of `decisions` multi-parent DAG decisions, then overrides and replay rejections of some of
 * them (attestations that add no edges and share an execution id with an earlier row), and children
 * of the approved ones (edges naming an override).
 */
function ledgerOf(decisions: number, extra: number, seed: number): LedgerRecord[] {
  const builder = new LedgerBuilder(keys.signer);
  const dag = randomDag(builder, decisions, seed);
  const pending = dag.filter((a) => a.decision === 'pending_override').slice(0, extra);
  const overrides = [
    ...pending.map((a) => builder.override(a.executionId)),
    ...pending.slice(0, 2).map((a) => builder.refuse(a.executionId)),
  ];
  const children = pending.slice(0, 3).map((a) => builder.decide([a.executionId]));
  const rejections = dag.slice(0, extra).map((a) => ({
    ...builder.custom({
      execution_id: a.executionId,
      kind: 'replay_rejection',
      decision: 'deny',
      reasons: ['REPLAYED_EXECUTION_ID'],
    }),
    executionId: a.executionId,
    kind: 'replay_rejection' as const,
    decision: 'deny' as const,
    parents: [],
    parentRefs: [],
  }));
  return [...dag, ...overrides, ...children, ...rejections];
}

/** Policy records as governance publishes them, one republished later (the same hash twice). */
function policyLedger(): { key: string; value: Buffer }[] {
  const records = [
    policyRecord('default', 3),
    policyRecord('payments', 1),
    policyRecord('payments', 2),
    policyRecord('default', 3, '2025-06-01T00:00:00.000Z'),
  ];
  return records.map((p) => ({ key: p.hash, value: p.value }));
}

function spawnProjector(w: World): ChildProcess {
  const child = spawn(
    process.execPath,
    projectorCommand(inject('brokers'), inject('databaseUrl'), w, 3),
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)));
  child.on('exit', (code, signal) => {
    children.delete(child);
    if (code !== 0 && signal === null) console.error(`projector child exited ${code}: ${stderr}`);
  });
  children.add(child);
  return child;
}

async function kill(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill(signal);
  await exited;
}

describe('rebuildProjection', () => {
  it('rebuilds, from offset 0 in a fresh schema, exactly what the live projector holds', async () => {
    const w = await world();
    const ledger = ledgerOf(300, 10, 31);
    const n = ledger.length;
    expect(ledger.filter((a) => a.kind === 'override')).toHaveLength(10);
    expect(ledger.some((a) => a.parents.length > 1)).toBe(true);
    await appendLedger(kafka, w.topics.attestations, ledger);
    await appendMessages(kafka, w.topics.policies, policyLedger());

    const live = await start(w);
    await waitCaughtUp(w);
    await waitCaughtUp(w, { topic: w.topics.policies });
    const before = await projectionChecksum(pool, w.schema);
    expect(before.executions.rows).toBe(n);
    // Three distinct policies; the republished one holds its later record.
    expect(before.policies.rows).toBe(3);
    expect(await lines(w)).toEqual(expectedLines(ledger));

    // The live projector keeps running against the old schema while the rebuild replays.
    const progress: RebuildProgress[] = [];
    const result = await rebuild(w, { keepOld: true, onProgress: (p) => progress.push(p) });
    await live.stop();

    expect(result.records).toBe(n + 4);
    expect(result.policies.records).toBe(4);
    expect(result.policies.positions).toEqual({ 0: '4' });
    expect(result.ratePerSec).toBeGreaterThan(0);
    expect(progress.at(-1)).toEqual(expect.objectContaining({ done: n + 4, total: n + 4 }));
    expect(result.oldSchema).toMatch(new RegExp(`^${w.schema}_old_\\d{14}$`));
    // The swapped-in tables are the rebuilt ones, equal in content, and so are their positions.
    expect(result.checksum.executions).toEqual(before.executions);
    expect(result.checksum.lineage_edges).toEqual(before.lineage_edges);
    expect(result.checksum.policies).toEqual(before.policies);
    expect(result.checksum.combined).toBe(before.combined);
    expect(result.checksum.offsets).toEqual(before.offsets);
    expect(await projectionChecksum(pool, w.schema)).toEqual(result.checksum);
    expect((await projectionChecksum(pool, result.oldSchema!)).combined).toBe(before.combined);
    const { rows: fresh } = await pool.query(
      `SELECT nspname FROM pg_namespace WHERE nspname LIKE $1`,
      [`${w.schema}\\_rebuild\\_%`],
    );
    expect(fresh).toEqual([]);
    console.log(
      `rebuild of ${result.records} records: ${result.seconds.toFixed(2)} s, ${Math.round(result.ratePerSec)} records/s (${Math.round(result.streamingRatePerSec)}/s after the first batch at ${result.firstBatchSeconds.toFixed(2)} s)`,
    );

    // The checksum sees every column: one changed value, one moved offset, one lost edge.
    const digest = ledger[100]!.digest;
    await pool.query(
      `UPDATE "${w.schema}".executions SET issued_at = issued_at + interval '1 ms' WHERE attestation_digest = $1`,
      [digest],
    );
    const changed = await projectionChecksum(pool, w.schema);
    expect(changed.executions.rows).toBe(n);
    expect(changed.executions.sha256).not.toBe(before.executions.sha256);
    expect(changed.lineage_edges).toEqual(before.lineage_edges);
    expect(changed.combined).not.toBe(before.combined);
    await pool.query(
      `UPDATE "${w.schema}".executions SET issued_at = issued_at - interval '1 ms', "offset" = "offset" + 1000 WHERE attestation_digest = $1`,
      [digest],
    );
    expect((await projectionChecksum(pool, w.schema)).combined).not.toBe(before.combined);
    await pool.query(
      `UPDATE "${w.schema}".executions SET "offset" = "offset" - 1000 WHERE attestation_digest = $1`,
      [digest],
    );
    expect((await projectionChecksum(pool, w.schema)).combined).toBe(before.combined);
    await pool.query(
      `DELETE FROM "${w.schema}".lineage_edges WHERE ctid = (SELECT min(ctid) FROM "${w.schema}".lineage_edges)`,
    );
    const lost = await projectionChecksum(pool, w.schema);
    expect(lost.lineage_edges.rows).toBe(before.lineage_edges.rows - 1);
    expect(lost.combined).not.toBe(before.combined);
    // ... and every policy document: an edited one changes it.
    await pool.query(
      `UPDATE "${w.schema}".policies SET document = jsonb_set(document, '{deny}', '[{"id":"x"}]') WHERE id = 'payments' AND version = 2`,
    );
    const edited = await projectionChecksum(pool, w.schema);
    expect(edited.policies.rows).toBe(3);
    expect(edited.policies.sha256).not.toBe(before.policies.sha256);
  });

  it('a second rebuild replaces the first and drops it; a rebuild of an empty topic swaps in empty tables', async () => {
    const w = await world(2);
    const small = ledgerOf(40, 3, 5);
    await appendLedger(kafka, w.topics.attestations, small);
    const first = await rebuild(w);
    expect(first.checksum.executions.rows).toBe(small.length);
    expect(first.oldSchema).toBeUndefined();
    await new Promise((r) => setTimeout(r, 1_100)); // the schema suffix has one-second resolution
    const second = await rebuildProjection({ kafka, pool, schema: w.schema, topics: w.topics });
    expect(second.checksum.combined).toBe(first.checksum.combined);
    const { rows } = await pool.query(`SELECT nspname FROM pg_namespace WHERE nspname LIKE $1`, [
      `${w.schema}\\_%`,
    ]);
    expect(rows).toEqual([]);

    const empty = await world(2);
    const none = await rebuildProjection({
      kafka,
      pool,
      schema: empty.schema,
      topics: empty.topics,
    });
    expect(none.records).toBe(0);
    expect(none.checksum.executions.rows).toBe(0);
    expect(none.checksum.lineage_edges.rows).toBe(0);
    expect(none.checksum.policies.rows).toBe(0);
  });

  it('reads a transactional ledger to its end: commit markers and a trailing aborted transaction neither stall nor leak', async () => {
    const w = await world(2);
    const ledger = ledgerOf(60, 4, 13);
    const aborted = ledgerOf(10, 0, 17);
    const producer = kafka.producer({
      transactionalId: `rebuild-int-${random()}`,
      idempotent: true,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: false,
    });
    await producer.connect();
    try {
      for (let i = 0; i < ledger.length; i += 16) {
        const tx = await producer.transaction();
        await tx.send({
          topic: w.topics.attestations,
          acks: -1,
          messages: ledger.slice(i, i + 16).map((a) => ({ key: a.executionId, value: a.value })),
        });
        await tx.commit();
      }
      // Governance died mid-transaction on its last batch: aborted records, then the abort marker.
      const tx = await producer.transaction();
      await tx.send({
        topic: w.topics.attestations,
        acks: -1,
        messages: aborted.map((a) => ({ key: a.executionId, value: a.value })),
      });
      await tx.abort();
    } finally {
      await producer.disconnect();
    }

    const result = await rebuild(w, { stallTimeoutMs: 30_000 });
    expect(result.records).toBe(ledger.length);
    expect(await lines(w)).toEqual(expectedLines(ledger));
    // The rebuilt positions stand at the topic's end, past markers and aborted records.
    const end = await topicEnd(w.topics.attestations);
    expect(
      new Map(Object.entries(result.positions).map(([p, o]) => [Number(p), BigInt(o)])),
    ).toEqual(end);
  });

  it('after kill -9 of a projector process mid-stream and a restart, no row is missing or doubled, and a rebuild matches', async () => {
    const w = await world();
    const ledger = ledgerOf(2_900, 50, 47);
    const total = ledger.length;
    expect(total).toBeGreaterThan(3_000);
    const half = 1_500;

    const first = spawnProjector(w);
    await appendLedger(kafka, w.topics.attestations, ledger.slice(0, half), 20);
    // Kill as soon as rows appear, while the rest of the ledger is still being produced.
    const deadline = Date.now() + 60_000;
    while ((await rowCount(pool, w.schema)) === 0) {
      if (Date.now() > deadline) throw new Error('the projector child projected nothing in 60 s');
      if (first.exitCode !== null) throw new Error(`the projector child exited ${first.exitCode}`);
      await new Promise((r) => setTimeout(r, 5));
    }
    const rest = appendLedger(kafka, w.topics.attestations, ledger.slice(half), 20);
    await kill(first, 'SIGKILL');
    expect(first.signalCode).toBe('SIGKILL');
    const midway = await rowCount(pool, w.schema);
    expect(midway).toBeGreaterThan(0);
    expect(midway).toBeLessThan(ledger.length);
    // What was committed is whole: the rows are exactly the records below the stored positions.
    const stored = await readOffsets(pool, w.schema, w.groupId, w.topics.attestations);
    expect([...stored.values()].reduce((n, o) => n + Number(o), 0)).toBe(midway);
    await rest;

    const second = spawnProjector(w);
    await waitCaughtUp(w);
    await kill(second, 'SIGTERM');

    expect(await lines(w)).toEqual(expectedLines(ledger));
    const { rebuilt } = await expectExactlyOnceAndRebuildable(kafka, pool, w, total);
    console.log(
      `kill -9 at ${midway}/3000 rows; rebuild of ${rebuilt.records} records: ${rebuilt.seconds.toFixed(2)} s, ${Math.round(rebuilt.ratePerSec)} records/s (${Math.round(rebuilt.streamingRatePerSec)}/s after the first batch at ${rebuilt.firstBatchSeconds.toFixed(2)} s)`,
    );
  });
});
