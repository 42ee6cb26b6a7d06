// Test glue: the kit's ledgers projected through the projector's own write path, for query tests.
import type { Pool } from 'pg';
import { expect } from 'vitest';
import { PROJECTION_MIGRATIONS } from '@lineage/projection';
import { projectAttestations, projectPolicies } from '@lineage/projection';
import { policyMessages } from '@lineage/testkit';
import type { FixturePolicy, LedgerRecord } from '@lineage/testkit';
import { ledgerMessages, projectedSchema } from '@lineage/testkit/pg';
import { QueryError } from './errors.js';

/** A fresh schema holding `attestations` and `policies`, as the projector writes them. */
export function projected(
  pool: Pool,
  attestations: readonly LedgerRecord[],
  policies: readonly FixturePolicy[] = [],
): Promise<string> {
  return projectedSchema(pool, PROJECTION_MIGRATIONS, [
    { project: projectAttestations, records: ledgerMessages(attestations) },
    { project: projectPolicies, records: policyMessages(policies) },
  ]);
}

/** The code of the {@link QueryError} `promise` rejects with; fails the test on anything else. */
export async function queryErrorCode(promise: Promise<unknown>): Promise<string> {
  const error: unknown = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(QueryError);
  return (error as QueryError).code;
}
