import { randomBytes } from 'node:crypto';
import type { Message } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import {
  canonicalize,
  digestOf,
  fromDsse,
  loadTrustStore,
  verifyAttestation,
} from '@lineage/protocol';
import { policyCodec } from '@lineage/schemas';
import { generateKeyPair, nodeEd25519, trustedKey } from '@lineage/keys';
import { readOffsets } from '@lineage/store';
import type { BatchCommitted } from '@lineage/store';
import type { LedgerRecord } from '@lineage/testkit';
import { LedgerBuilder, policyRecord, randomDag } from '@lineage/testkit';
import { appendMessages } from '@lineage/testkit/kafka';
import { expectedLines, projectorHarness } from './testkit.js';

// Given attestations on the ledger topic, when the projector folds them into Postgres, then the
// tables hold exactly those attestations and their lineage edges, whatever stops and replays happen.

const keys = generateKeyPair();
const trust = loadTrustStore({
  version: 1,
  keys: [trustedKey(keys, ['governance', 'approver'])],
});
const random = () => randomBytes(6).toString('hex');

const { pool, kafka, newSchema, world, start, lines, topicEnd, waitCaughtUp } =
  projectorHarness('projector-int');
/** Appends records, `perSend` per request so the log holds many record batches. */
const append = (topic: string, records: Message[], perSend = 5) =>
  appendMessages(kafka, topic, records, perSend);

const recordsOf = (attestations: LedgerRecord[]) =>
  attestations.map((a) => ({ key: a.executionId, value: a.value }));

/** Everything the projection holds, as sorted text lines, for exact comparison. */
async function dump(schema: string): Promise<{ executions: string[]; edges: string[] }> {
  const executions = await pool.query<{ line: string }>(
    `SELECT concat_ws('|', attestation_digest, execution_id, kind, decision, array_to_string(reasons, ','), agent, action,
       resource, policy_id, policy_version, policy_hash, runtime_hash, fingerprint, issued_at, issuer, sequence, envelope::text) AS line
     FROM "${schema}".executions ORDER BY 1`,
  );
  const edges = await pool.query<{ line: string }>(
    `SELECT concat_ws('|', child_id, parent_id, parent_attestation) AS line FROM "${schema}".lineage_edges ORDER BY 1`,
  );
  return { executions: executions.rows.map((r) => r.line), edges: edges.rows.map((r) => r.line) };
}

async function counts(schema: string): Promise<{ executions: number; edges: number }> {
  const { rows } = await pool.query<{ executions: number; edges: number }>(
    `SELECT (SELECT count(*)::int FROM "${schema}".executions) AS executions, (SELECT count(*)::int FROM "${schema}".lineage_edges) AS edges`,
  );
  return rows[0]!;
}

describe('projector', () => {
  it('(a) projects 300 attestations of a multi-parent DAG into exactly their rows and edges', async () => {
    const w = await world();
    const builder = new LedgerBuilder(keys.signer);
    const dag = randomDag(builder, 285, 7);
    // Overrides and refused resolutions are attestations too, but add no lineage edges.
    const pending = dag.filter((a) => a.decision === 'pending_override').slice(0, 10);
    expect(pending).toHaveLength(10);
    const overrides = pending.map((a, i) =>
      builder.override(a.executionId, i % 2 ? 'deny' : 'allow'),
    );
    const refusals = pending.slice(0, 5).map((a) => builder.refuse(a.executionId));
    const ledger = [...dag, ...overrides, ...refusals];
    expect(dag.some((a) => a.parents.length > 1)).toBe(true);
    await append(w.topics.attestations, recordsOf(ledger));

    const p = await start(w);
    await waitCaughtUp(w);
    await p.stop();

    const want = expectedLines(ledger);
    expect(want.edges.length).toBeGreaterThan(285);
    expect(await lines(w)).toEqual(want);
    // Each answer names the pending decision it answers; only the overrides settle one.
    const answers = await pool.query<{ execution_id: string; kind: string; overrides: string }>(
      `SELECT x.execution_id, x.kind, x.overrides FROM "${w.schema}".executions x
       WHERE x.overrides IS NOT NULL ORDER BY x.kind, x.execution_id`,
    );
    expect(answers.rows).toHaveLength(15);
    for (const row of answers.rows)
      expect(row.overrides).toBe(pending.find((a) => a.executionId === row.execution_id)?.digest);
    const approved = await pool.query<{ approver: string; resolution: string; decision: string }>(
      `SELECT approver, resolution, decision FROM "${w.schema}".executions
       WHERE kind = 'override' ORDER BY decision`,
    );
    expect(approved.rows).toHaveLength(10);
    for (const row of approved.rows) {
      expect(row.approver).toBe(keys.keyid);
      expect(row.resolution).toBe(row.decision === 'allow' ? 'approve' : 'reject');
    }

    // The stored envelope is the signed evidence: it verifies on its own.
    const { rows } = await pool.query<{
      envelope: unknown;
      attestation_digest: string;
      policy_version: number;
      issuer: string;
    }>(
      `SELECT envelope, attestation_digest, policy_version, issuer FROM "${w.schema}".executions ORDER BY "offset" LIMIT 5`,
    );
    for (const row of rows) {
      const verified = verifyAttestation(fromDsse(row.envelope), { trust, ed25519: nodeEd25519() });
      expect(verified.digest).toBe(row.attestation_digest);
      expect(row.issuer).toBe(keys.keyid);
      expect(row.policy_version).toBe(3);
    }
    // Each row says where on the ledger it came from.
    const positions = await pool.query<{ n: number }>(
      `SELECT count(DISTINCT (partition, "offset"))::int AS n FROM "${w.schema}".executions`,
    );
    expect(positions.rows[0]!.n).toBe(300);
    // Every stored override verifies with its approver-signed resolution.
    const stored = await pool.query<{ envelope: unknown }>(
      `SELECT envelope FROM "${w.schema}".executions WHERE kind = 'override'`,
    );
    for (const row of stored.rows)
      expect(
        verifyAttestation(fromDsse(row.envelope), { trust, ed25519: nodeEd25519() }).predicate.kind,
      ).toBe('override');
  });

  it('(a) skips records that do not decode and keeps odd but valid values', async () => {
    const w = await world(1);
    const builder = new LedgerBuilder(keys.signer);
    const good = builder.decide();
    const nul = builder.custom({ agent: 'agent\u0000x', reasons: ['a\u0000b'] });
    // Parses (RFC 3339 shape), but Postgres has no year 0: a data exception for this row only.
    const yearZero = builder.custom({ issued_at: '0000-01-01T00:00:00Z' });
    const after = builder.decide([good.executionId]);
    const skipped: unknown[] = [];
    await append(
      w.topics.attestations,
      [
        { key: 'junk', value: Buffer.from('not avro') },
        { key: 'empty', value: null },
        ...recordsOf([good, nul, yearZero, after]),
      ],
      10,
    );
    const p = await start(w, {
      log: (event, fields) => event === 'record skipped' && skipped.push(fields),
    });
    await waitCaughtUp(w);
    await p.stop();

    expect(await lines(w)).toEqual(expectedLines([good, nul, after]));
    expect(skipped).toEqual([
      expect.objectContaining({ reason: 'UNDECODABLE', partition: 0, offset: '0' }),
      expect.objectContaining({ reason: 'EMPTY_RECORD', partition: 0, offset: '1' }),
      expect.objectContaining({ reason: 'UNSTORABLE', partition: 0, offset: '4' }),
    ]);
    const { rows } = await pool.query<{ agent: string; reasons: string[] }>(
      `SELECT agent, reasons FROM "${w.schema}".executions WHERE attestation_digest = $1`,
      [nul.digest],
    );
    expect(rows).toEqual([{ agent: 'agent\ufffdx', reasons: ['a\ufffdb'] }]);
  });

  it('(b) resumes after a stop mid-stream with no duplicate or missing rows', async () => {
    const w = await world();
    const ledger = randomDag(new LedgerBuilder(keys.signer), 300, 11);
    await append(w.topics.attestations, recordsOf(ledger), 5);

    // Small fetches: about one record batch (5 records) per kafkajs batch.
    const consumer = { maxBytesPerPartition: 1024, maxWaitTimeInMs: 200 };
    const batches: BatchCommitted[] = [];
    let enough!: () => void;
    const someBatches = new Promise<void>((resolve) => (enough = resolve));
    const first = await start(w, {
      consumer,
      onBatch: (b) => {
        batches.push(b);
        if (batches.length === 4) enough();
      },
    });
    await someBatches;
    await first.stop();
    const midway = await counts(w.schema);
    expect(midway.executions).toBeGreaterThan(0);
    expect(midway.executions).toBeLessThan(300);
    // What was committed is consistent: rows match the stored positions.
    const storedMidway = await readOffsets(pool, w.schema, w.groupId, w.topics.attestations);
    expect([...storedMidway.values()].reduce((n, o) => n + Number(o), 0)).toBe(midway.executions);

    let projectedBySecond = 0;
    const second = await start(w, { consumer, onBatch: (b) => (projectedBySecond += b.projected) });
    await waitCaughtUp(w);
    await second.stop();

    expect(await lines(w)).toEqual(expectedLines(ledger));
    expect(projectedBySecond).toBe(300 - midway.executions);
    expect(await readOffsets(pool, w.schema, w.groupId, w.topics.attestations)).toEqual(
      await topicEnd(w.topics.attestations),
    );
  });

  it('(c) redelivery and replay change nothing; a rebuild from offset 0 gives identical tables', async () => {
    const w = await world();
    const ledger = randomDag(new LedgerBuilder(keys.signer), 120, 23);
    await append(w.topics.attestations, recordsOf(ledger), 10);
    const p = await start(w);
    await waitCaughtUp(w);
    const before = await dump(w.schema);
    expect(before.executions).toHaveLength(120);

    // The same attestations appended again (a redelivered append): new offsets, same rows.
    await append(w.topics.attestations, recordsOf(ledger), 10);
    await waitCaughtUp(w);
    await p.stop();
    expect(await dump(w.schema)).toEqual(before);

    // Rewind the stored positions to 0: the next projector re-reads the whole ledger, nothing changes.
    await pool.query(`UPDATE "${w.schema}".projection_offsets SET next_offset = 0`);
    let replayed = 0;
    const again = await start(w, { onBatch: (b) => (replayed += b.projected) });
    await waitCaughtUp(w);
    await again.stop();
    expect(replayed).toBe(240);
    expect(await dump(w.schema)).toEqual(before);

    // A projection rebuilt from offset 0 in a fresh schema holds identical rows.
    const rebuilt = { ...w, schema: newSchema(), groupId: `projector-${random()}` };
    const fresh = await start(rebuilt);
    await waitCaughtUp(rebuilt);
    await fresh.stop();
    expect(await dump(rebuilt.schema)).toEqual(before);
  });

  it('(d) projects the policies topic exactly once: the last record of each hash, inconsistent ones skipped', async () => {
    const w = await world();
    const v1 = policyRecord('payments', 1, '2025-01-01T00:00:00.000Z');
    const v2 = policyRecord('payments', 2, '2025-02-01T00:00:00.000Z');
    // Governance republished v1 later (a restart): the later record is the one compaction keeps.
    const v1Again = policyRecord('payments', 1, '2025-03-01T00:00:00.000Z');
    // A record filed under v2's hash whose document is another one.
    const v3 = policyRecord('payments', 3);
    const forged = {
      hash: v2.hash,
      value: policyCodec.encode({
        hash: v2.hash,
        id: 'payments',
        version: 3,
        document: canonicalize(v3.document),
        activated_at: '2025-02-02T00:00:00.000Z',
      }),
    };
    const skipped: Record<string, unknown>[] = [];
    await append(
      w.topics.policies,
      [v1, v2, forged, v1Again].map((p) => ({ key: p.hash, value: p.value })),
      1,
    );
    const p = await start(w, {
      log: (event, fields) => event === 'record skipped' && skipped.push(fields ?? {}),
    });
    const deadline = Date.now() + 60_000;
    while (
      ((await readOffsets(pool, w.schema, w.groupId, w.topics.policies)).get(0) ?? 0n) < 4n &&
      Date.now() < deadline
    )
      await new Promise((r) => setTimeout(r, 100));
    const policies = async () =>
      (
        await pool.query<{ line: string }>(
          `SELECT concat_ws('|', hash, id, version, to_char(activated_at AT TIME ZONE 'UTC', 'YYYY-MM'), partition, "offset", document::text) AS line
           FROM "${w.schema}".policies ORDER BY version`,
        )
      ).rows.map((r) => r.line);
    expect((await policies()).map((l) => l.split('|').slice(0, 6))).toEqual([
      [v1.hash, 'payments', '1', '2025-03', '0', '3'],
      [v2.hash, 'payments', '2', '2025-02', '0', '1'],
    ]);
    const documents = await pool.query<{ hash: string; document: unknown }>(
      `SELECT hash, document FROM "${w.schema}".policies`,
    );
    for (const row of documents.rows) expect(digestOf(row.document as never)).toBe(row.hash);
    expect(skipped).toEqual([
      expect.objectContaining({ reason: 'POLICY_INCONSISTENT', partition: 0, offset: '2' }),
    ]);

    // Rewound to 0, the projection reads every record again and ends where it was.
    const before = await policies();
    await pool.query(`UPDATE "${w.schema}".projection_offsets SET next_offset = 0`);
    await p.stop();
    const again = await start(w);
    await waitCaughtUp(w);
    const until = Date.now() + 60_000;
    while (
      ((await readOffsets(pool, w.schema, w.groupId, w.topics.policies)).get(0) ?? 0n) < 4n &&
      Date.now() < until
    )
      await new Promise((r) => setTimeout(r, 100));
    await again.stop();
    expect(await policies()).toEqual(before);
  });
});
