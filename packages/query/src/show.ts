import type { Pool } from 'pg';
import { qualifiedName } from '@lineage/store';
import { decodeListCursor, encodeListCursor } from './cursor.js';
import { QueryError } from './errors.js';
import type { SummaryRow } from './summary.js';
import { SUMMARY_COLUMNS, toSummary } from './summary.js';
import type { ExecutionSummary, Page, PageOptions } from './types.js';
import { limitArg } from './validate.js';

/**
 * Every attestation row of an (already validated) execution id: its decision first, then in ledger
 * order (partition sequence, then issue time).
 * @throws QueryError NOT_FOUND when it has none.
 */
export async function show(
  pool: Pool,
  schema: string,
  executionId: string,
): Promise<ExecutionSummary[]> {
  const { rows } = await pool.query<SummaryRow>(
    `SELECT ${SUMMARY_COLUMNS} FROM ${qualifiedName(schema, 'executions')} x
     WHERE x.execution_id = $1
     ORDER BY (x.kind = 'decision') DESC, x.sequence, x.issued_at, x.attestation_digest`,
    [executionId],
  );
  if (rows.length === 0) throw new QueryError('NOT_FOUND', `no attestation of ${executionId}`);
  return rows.map(toSummary);
}

/** A replay index: the `executions` column(s) a listing filters on. */
export type ReplayIndex = 'fingerprint' | 'policy' | 'runtime' | 'agent';

const FILTERS: Record<ReplayIndex, string> = {
  fingerprint: 'x.fingerprint = $1',
  policy: 'x.policy_id = $1 AND x.policy_version = $2',
  runtime: 'x.runtime_hash = $1',
  agent: 'x.agent = $1',
};

/**
 * Every attestation matching a replay index, oldest first, each with its topic position. The
 * fingerprint index holds one execution's attestations, so it is not paged.
 */
export async function listAll(
  pool: Pool,
  schema: string,
  index: ReplayIndex,
  values: readonly unknown[],
): Promise<ExecutionSummary[]> {
  const { rows } = await pool.query<SummaryRow>(
    `SELECT ${SUMMARY_COLUMNS} FROM ${qualifiedName(schema, 'executions')} x
     WHERE ${FILTERS[index]}
     ORDER BY x.issued_at, x.attestation_digest`,
    [...values],
  );
  return rows.map(toSummary);
}

/**
 * One page of a replay index, oldest first, keyset-paged on (issued_at, attestation_digest).
 * @throws QueryError INVALID_ARGUMENT for a bad limit, INVALID_CURSOR for a bad cursor.
 */
export async function listPage(
  pool: Pool,
  schema: string,
  index: ReplayIndex,
  values: readonly unknown[],
  options: PageOptions = {},
): Promise<Page<ExecutionSummary>> {
  const limit = limitArg(options.limit);
  const after =
    options.cursor === undefined || options.cursor === null
      ? { issued_at: '-infinity', attestation_digest: '' }
      : decodeListCursor(options.cursor);
  const n = values.length;
  const { rows } = await pool.query<SummaryRow>(
    `SELECT ${SUMMARY_COLUMNS} FROM ${qualifiedName(schema, 'executions')} x
     WHERE ${FILTERS[index]} AND (x.issued_at, x.attestation_digest) > ($${n + 1}::timestamptz, $${n + 2}::text)
     ORDER BY x.issued_at, x.attestation_digest
     LIMIT $${n + 3}`,
    [...values, after.issued_at, after.attestation_digest, limit + 1],
  );
  const more = rows.length > limit;
  const items = more ? rows.slice(0, limit) : rows;
  const last = items.at(-1);
  return {
    items: items.map(toSummary),
    next:
      more && last
        ? encodeListCursor({
            issued_at: last.issued_at_key,
            attestation_digest: last.attestation_digest,
          })
        : null,
  };
}
