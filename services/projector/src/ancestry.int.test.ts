import { randomBytes } from 'node:crypto';
import type { Pool, PoolClient } from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { generateKeyPair } from '@lineage/keys';
import { createPool, migrate } from '@lineage/store';
import { ancestors } from './ancestry.js';
import { ProjectorError } from './errors.js';
import type { FixtureAttestation } from './fixtures.js';
import { diamondLadder, LedgerBuilder } from './fixtures.js';
import { PROJECTOR_MIGRATIONS } from './migrations.js';
import { projectAttestations } from './project.js';

// Given lineage projected from attestations, when asking for an execution's ancestors, then each
// ancestor comes once, at its shortest distance, with its latest decision — without walking paths.

const keys = generateKeyPair();
let pool: Pool;
const schemas: string[] = [];

beforeAll(() => {
  pool = createPool(inject('databaseUrl'));
});

afterAll(async () => {
  for (const schema of schemas) await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  await pool.end();
});

/** A migrated schema holding the given attestations, projected by the projector's own `project`. */
async function projected(attestations: FixtureAttestation[]): Promise<string> {
  const schema = `t_${randomBytes(6).toString('hex')}`;
  schemas.push(schema);
  await migrate(pool, schema, PROJECTOR_MIGRATIONS);
  const project = projectAttestations(schema);
  const client: PoolClient = await pool.connect();
  try {
    await client.query('BEGIN');
    await project(
      client,
      0,
      attestations.map((a, i) => ({
        key: Buffer.from(a.executionId),
        value: a.value,
        offset: String(i),
        timestamp: '0',
        attributes: 0,
        headers: {},
      })),
    );
    await client.query('COMMIT');
  } finally {
    client.release();
  }
  return schema;
}

describe('ancestors', () => {
  it('(d) walks a ladder of 30 diamonds (2^30 paths) in one pass: 60 ancestors', async () => {
    const { attestations, leaf } = diamondLadder(new LedgerBuilder(keys.signer), 30);
    const schema = await projected(attestations);
    const started = performance.now();
    const rows = await ancestors(pool, schema, leaf.executionId);
    const ms = performance.now() - started;
    expect(rows).toHaveLength(60);
    // Layer 30 (the leaf's parents) is depth 1, layer 1 is depth 30: two ancestors per depth.
    const byDepth = new Map<number, string[]>();
    for (const r of rows) byDepth.set(r.depth, [...(byDepth.get(r.depth) ?? []), r.execution_id]);
    expect([...byDepth.keys()]).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
    for (let depth = 1; depth <= 30; depth++) {
      const layer = attestations
        .slice((30 - depth) * 2, (30 - depth) * 2 + 2)
        .map((a) => a.executionId)
        .sort();
      expect(byDepth.get(depth)!.sort()).toEqual(layer);
    }
    expect(new Set(rows.map((r) => r.execution_id)).size).toBe(60);
    expect(rows.every((r) => r.decision === 'allow' && r.agent !== null && r.action !== null)).toBe(
      true,
    );
    expect(ms).toBeLessThan(2_000);
  });

  it('stops at maxDepth', async () => {
    const { attestations, leaf } = diamondLadder(new LedgerBuilder(keys.signer), 30);
    const schema = await projected(attestations);
    const rows = await ancestors(pool, schema, leaf.executionId, 5);
    expect(rows).toHaveLength(10);
    expect(Math.max(...rows.map((r) => r.depth))).toBe(5);
  });

  it('reports the shortest distance and the latest decision', async () => {
    const builder = new LedgerBuilder(keys.signer);
    const a = builder.decide();
    const b = builder.decide([a.executionId], 'pending_override');
    const c = builder.decide([b.executionId]);
    // d has a long path to a (d → c → b → a) and a short one (d → a).
    const d = builder.decide([c.executionId, a.executionId]);
    const override = builder.override(b.executionId, 'allow');
    const schema = await projected([a, b, c, d, override]);

    const rows = await ancestors(pool, schema, d.executionId);
    expect(rows.map((r) => [r.execution_id, r.depth])).toEqual(
      [
        [a.executionId, 1],
        [c.executionId, 1],
        [b.executionId, 2],
      ].sort((x, y) => Number(x[1]) - Number(y[1]) || String(x[0]).localeCompare(String(y[0]))),
    );
    expect(rows.find((r) => r.execution_id === b.executionId)).toMatchObject({
      decision: 'allow',
      action: 'action-1',
      agent: 'agent-1',
    });
    expect(await ancestors(pool, schema, a.executionId)).toEqual([]);
    expect(await ancestors(pool, schema, 'no-such-execution')).toEqual([]);
  });

  it('rejects a maxDepth out of range', async () => {
    for (const maxDepth of [0, -1, 1.5, 1_001, Number.NaN]) {
      const error: unknown = await ancestors(pool, 'lineage', 'x', maxDepth).catch(
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(ProjectorError);
      expect((error as ProjectorError).code).toBe('INVALID_ARGUMENT');
    }
  });
});
