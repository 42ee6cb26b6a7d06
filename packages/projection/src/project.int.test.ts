import type { Pool } from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { generateKeyPair } from '@lineage/keys';
import { createPool } from '@lineage/store';
import { LedgerBuilder } from '@lineage/testkit';
import { ledgerMessages, projectionSpecification } from '@lineage/testkit/pg';
import { PROJECTION_MIGRATIONS } from './index.js';
import { projectAttestations } from './index.js';

// Given these attestations were projected, when this one arrives, then these rows exist: the
// projector's write path on real Postgres, one fresh schema per specification.

let pool: Pool;
beforeAll(() => {
  pool = createPool(inject('databaseUrl'));
});
afterAll(async () => {
  await given.dropSchemas();
  await pool.end();
});

const given = projectionSpecification(() => pool, {
  migrations: PROJECTION_MIGRATIONS,
  project: projectAttestations,
});
const one = <T extends { executionId: string; value: Buffer }>(a: T) => ledgerMessages([a])[0]!;
const executions = (s: string) =>
  `SELECT execution_id, kind, decision, "offset"::int AS offset FROM ${s}.executions ORDER BY "offset"`;
const edges = (s: string) =>
  `SELECT child_id, parent_id, parent_attestation FROM ${s}.lineage_edges ORDER BY parent_id`;

describe('projecting attestations: given a ledger, when one arrives, then rows', () => {
  const builder = new LedgerBuilder(generateKeyPair().signer);

  it('a child decision adds its row and one edge per parent', async () => {
    const a = builder.decide();
    const b = builder.decide();
    const child = builder.decide([a.executionId, b.executionId], 'deny');
    await given(one(a), one(b))
      .when(one(child))
      .then(
        edges,
        [
          { child_id: child.executionId, parent_id: a.executionId, parent_attestation: a.digest },
          { child_id: child.executionId, parent_id: b.executionId, parent_attestation: b.digest },
        ].sort((x, y) => x.parent_id.localeCompare(y.parent_id)),
      );
  });

  it('an override of a pending decision adds its own row and no edge', async () => {
    const pending = builder.decide([], 'pending_override');
    const override = builder.override(pending.executionId);
    const schema = await given(one(pending))
      .when(one(override))
      .then(executions, [
        {
          execution_id: pending.executionId,
          kind: 'decision',
          decision: 'pending_override',
          offset: 0,
        },
        { execution_id: pending.executionId, kind: 'override', decision: 'allow', offset: 1 },
      ]);
    expect((await pool.query(edges(`"${schema}"`))).rows).toEqual([]);
  });

  it('a redelivered attestation changes nothing', async () => {
    const a = builder.decide();
    await given(one(a))
      .when(one(a))
      .then(executions, [
        { execution_id: a.executionId, kind: 'decision', decision: 'allow', offset: 0 },
      ]);
  });
});
