import type { KafkaMessage } from 'kafkajs';
import { describe, expect, inject, it } from 'vitest';
import { generateKeyPair } from '@lineage/keys';
import { MIGRATION, PROJECTION_MIGRATIONS } from './index.js';
import { migrate } from '@lineage/store';
import { testDatabase } from '@lineage/testkit/pg';
import { projectionChecksum } from './checksum.js';
import { decodeAttestation } from './index.js';
import { LedgerBuilder, randomDag } from '@lineage/testkit';
import { projectAttestations } from './index.js';

// Given rows projected before migration 3 (without the override and authority columns), when the
// schema is migrated, then the new columns are filled from the stored envelopes: the tables equal a
// projection made from scratch with every migration.

const keys = generateKeyPair();
const { pool, newSchema } = testDatabase(inject('databaseUrl'));

const message = (value: Buffer, offset: number): KafkaMessage => ({
  key: null,
  value,
  offset: String(offset),
  timestamp: '0',
  attributes: 0,
  headers: {},
});

describe('migration 3', () => {
  it('fills the override and authority columns of rows projected before it', async () => {
    const builder = new LedgerBuilder(keys.signer);
    const dag = randomDag(builder, 60, 3);
    const pending = [
      builder.decide([], 'pending_override'),
      builder.decide([dag[5]!.executionId], 'pending_override'),
    ];
    const ledger = [
      ...dag,
      ...pending,
      ...pending.map((a) => builder.override(a.executionId)),
      builder.refuse(pending[0]!.executionId),
      builder.decide([pending[0]!.executionId]),
    ];
    const messages = ledger.map((a, i) => message(a.value, i));

    // Version 2: the columns it had, written as the projector of that version wrote them.
    const old = newSchema();
    await migrate(
      pool,
      old,
      PROJECTION_MIGRATIONS.filter((m) => m.version <= MIGRATION.QUERY_INDEXES),
    );
    const rows = messages.map((m) => decodeAttestation(0, m)).filter((d) => d.type === 'row');
    await pool.query(
      `INSERT INTO "${old}".executions (execution_id, attestation_digest, kind, decision, reasons, agent,
         action, resource, policy_id, policy_version, policy_hash, runtime_hash, fingerprint, issued_at,
         issuer, partition, "offset", sequence, envelope)
       SELECT execution_id, attestation_digest, kind, decision, reasons, agent, action, resource,
         policy_id, policy_version, policy_hash, runtime_hash, fingerprint, issued_at, issuer, partition,
         "offset", sequence, envelope
       FROM jsonb_to_recordset($1::jsonb) AS r(execution_id text, attestation_digest text, kind text,
         decision text, reasons text[], agent text, action text, resource text, policy_id text,
         policy_version int, policy_hash text, runtime_hash text, fingerprint text,
         issued_at timestamptz, issuer text, partition int, "offset" bigint, sequence bigint,
         envelope jsonb)`,
      [JSON.stringify(rows.map((r) => r.row))],
    );
    await pool.query(
      `INSERT INTO "${old}".lineage_edges SELECT * FROM jsonb_to_recordset($1::jsonb)
         AS r(child_id text, parent_id text, parent_attestation text)`,
      [JSON.stringify(rows.flatMap((r) => r.edges))],
    );
    const result = await migrate(pool, old, PROJECTION_MIGRATIONS);
    expect(result.applied).toEqual(
      PROJECTION_MIGRATIONS.map((m) => m.version).filter((v) => v > MIGRATION.QUERY_INDEXES),
    );
    expect(result.applied[0]).toBe(MIGRATION.OVERRIDES_AUTHORITY_POLICIES);

    // From scratch, every migration, the projector's own write path.
    const now = newSchema();
    await migrate(pool, now, PROJECTION_MIGRATIONS);
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      await projectAttestations(now)(client, 0, messages);
      await client.query('COMMIT');
    } finally {
      client.release();
    }

    const upgraded = await projectionChecksum(pool, old);
    expect(upgraded.executions.rows).toBe(ledger.length);
    expect(upgraded).toEqual(await projectionChecksum(pool, now));
    const { rows: answers } = await pool.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM "${old}".executions WHERE overrides IS NOT NULL AND approver = $1`,
      [keys.keyid],
    );
    expect(answers[0]!.n).toBe(pending.length + 1);
  });
});
