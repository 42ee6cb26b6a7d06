import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TrustStoreDocument } from '@lineage/protocol';
import { expect, inject } from 'vitest';
import { writeTrustStore } from '@lineage/keys';
import { startProjector } from '@lineage/projector';
import { createPool } from '@lineage/store';
import type { Pool } from 'pg';
import { runLineage } from './cli.js';
import type { TestLedger } from './ledger.js';
import type { Projector } from '@lineage/projector';
import { waitUntil } from '@lineage/testkit/kafka';

/** The projector over a test ledger's topics into `schema`, in its own consumer group (`group`). */
export function projectLedger(
  ledger: TestLedger,
  pool: Pool,
  schema: string,
  group: string,
): Promise<Projector> {
  return startProjector({
    kafka: ledger.kafka,
    pool,
    schema,
    topics: ledger.topics,
    groupId: `${ledger.groupId}-${group}`,
  });
}

/**
 * Runs `lineage replay-verify --all` — the real CLI, as an auditor would — over a test ledger: projects
 * the ledger into a fresh Postgres schema, waits for `attestations` rows, writes the trust store to a
 * file (`trust`, default the ledger's), and returns the CLI's exit code and output. Cleans up.
 */
export async function replayVerifyAll(
  ledger: TestLedger,
  brokers: string[],
  databaseUrl: string,
  attestations: number,
  trust: TrustStoreDocument = ledger.trustDocument,
): Promise<{ code: number; out: string }> {
  const schema = `rv_${randomUUID().slice(0, 8)}`;
  const pool = createPool(databaseUrl);
  const projector = await projectLedger(ledger, pool, schema, `replay-${schema}`);
  const dir = await mkdtemp(join(tmpdir(), 'lineage-rv-'));
  try {
    await writeTrustStore(join(dir, 'truststore.json'), trust);
    const count = async (table: string) =>
      Number((await pool.query(`SELECT count(*) AS n FROM ${schema}.${table}`)).rows[0]?.n ?? 0);
    await waitUntil(
      async () => (await count('executions')) >= attestations && (await count('policies')) > 0,
      60_000,
      `${attestations} attestations and the policy projected`,
    );
    return await runLineage(brokers, [
      ...['replay-verify', '--all'],
      ...['--schema', schema, '--database-url', databaseUrl],
      ...['--topic-prefix', ledger.topics.intents.replace('lineage.intents.v1', '')],
      ...['--trust', join(dir, 'truststore.json')],
    ]);
  } finally {
    await projector.stop();
    await pool.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await pool.end();
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * Asserts that `lineage replay-verify --all` re-derives every one of the ledger's `attestations`
 * identically from the recorded inputs (see {@link replayVerifyAll}).
 */
export async function expectReplayVerifies(
  ledger: TestLedger,
  attestations: number,
  trust: TrustStoreDocument = ledger.trustDocument,
): Promise<void> {
  const replay = await replayVerifyAll(
    ledger,
    inject('brokers'),
    inject('databaseUrl'),
    attestations,
    trust,
  );
  expect(replay.code, replay.out).toBe(0);
  expect(replay.out).toContain(`${attestations} re-derived identically, 0 mismatches`);
}
