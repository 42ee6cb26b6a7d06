import type { Pool } from 'pg';
import { fromDsse, parseResolution, parseStatement, ProtocolError } from '@lineage/protocol';
import type { DsseEnvelope, Predicate, ResolutionBody } from '@lineage/protocol';
import { TABLES } from '@lineage/projection';
import { qualifiedName } from '@lineage/store';
import { decodeListCursor, encodeListCursor } from './cursor.js';
import { QueryError } from './errors.js';
import type { SummaryRow } from './summary.js';
import { SUMMARY_COLUMNS, toSummary } from './summary.js';
import type {
  ExecutionSummary,
  ExecutionView,
  Page,
  PageOptions,
  ResolutionView,
  StoredPolicy,
} from './types.js';
import { limitArg } from './validate.js';

type ShownRow = SummaryRow & { envelope: DsseEnvelope };

/**
 * An (already validated) execution id as `show` reports it: its decision, the override that
 * answers it (kind `override` naming the decision's digest), refused resolutions, the authority its
 * decision records, and every attestation row, its decision first, then in ledger order (partition
 * sequence, then issue time). Details come from the stored signed envelopes.
 * @throws QueryError NOT_FOUND when it has no attestation; VerificationError if a stored envelope
 *   is not a statement (the projector stores only statements).
 */
export async function show(
  pool: Pool,
  schema: string,
  executionId: string,
): Promise<ExecutionView> {
  const { rows } = await pool.query<ShownRow>(
    `SELECT ${SUMMARY_COLUMNS}, x.envelope FROM ${qualifiedName(schema, TABLES.executions)} x
     WHERE x.execution_id = $1
     ORDER BY (x.kind = 'decision') DESC, x.sequence, x.issued_at, x.attestation_digest`,
    [executionId],
  );
  if (rows.length === 0) throw new QueryError('NOT_FOUND', `no attestation of ${executionId}`);
  const decision = rows.find((r) => r.kind === 'decision');
  const override =
    decision === undefined
      ? undefined
      : rows.find((r) => r.kind === 'override' && r.overrides === decision.attestation_digest);
  const predicate = decision === undefined ? undefined : predicateOf(decision.envelope);
  const settling = override ?? decision;
  return {
    execution_id: executionId,
    outcome:
      settling === undefined
        ? null
        : {
            decision: settling.decision,
            kind: settling.kind as 'decision' | 'override',
            attestation_digest: settling.attestation_digest,
          },
    decision: decision === undefined ? null : toSummary(decision),
    override: override === undefined ? null : resolutionView(override),
    refused: rows.filter((r) => r.kind === 'override_rejection').map(resolutionView),
    authorization:
      predicate === undefined
        ? null
        : {
            grant: predicate.authorization.grant,
            inherited_from: predicate.authorization.inherited_from,
            principals: predicate.authorization.principals,
            scope: predicate.authorization.scope,
            depth: predicate.authorization.depth,
          },
    attestations: rows.map(toSummary),
  };
}

function predicateOf(envelope: DsseEnvelope): Predicate {
  return parseStatement(fromDsse(envelope).payload).predicate;
}

/** An override or refusal with the content of its resolution (null fields if unreadable). */
function resolutionView(row: ShownRow): ResolutionView {
  const ref = predicateOf(row.envelope).override;
  let body: ResolutionBody | null = null;
  // A refused resolution may be malformed: report it as unreadable, not as an error.
  try {
    body = ref === null ? null : parseResolution(fromDsse(ref.resolution).payload);
  } catch (error) {
    if (!(error instanceof ProtocolError)) throw error;
  }
  return {
    attestation_digest: row.attestation_digest,
    pending: ref?.pending ?? row.overrides ?? '',
    decision: row.decision,
    reasons: row.reasons,
    approver: body?.approver ?? null,
    resolution: body?.resolution ?? null,
    reason: body?.reason ?? null,
    resolved_at: body?.resolved_at ?? null,
    issued_at: row.issued_at,
    envelope: ref?.resolution ?? { payloadType: '', payload: '', signatures: [] },
  };
}

/**
 * The policy document stored under an (already validated) hash.
 * @throws QueryError NOT_FOUND when the policies topic never published it.
 */
export async function policy(pool: Pool, schema: string, hash: string): Promise<StoredPolicy> {
  const { rows } = await pool.query<StoredPolicy>(
    `SELECT p.hash, p.id, p.version, p.document,
       to_char(p.activated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS activated_at,
       p.partition, p."offset"::text AS "offset"
     FROM ${qualifiedName(schema, TABLES.policies)} p WHERE p.hash = $1`,
    [hash],
  );
  const found = rows[0];
  if (found === undefined) throw new QueryError('NOT_FOUND', `no policy document ${hash}`);
  return found;
}

/** A replay index: the `executions` column(s) a listing filters on. */
export type ReplayIndex = 'fingerprint' | 'policy' | 'runtime' | 'agent' | 'principal';

const FILTERS: Record<ReplayIndex, string> = {
  fingerprint: 'x.fingerprint = $1',
  policy: 'x.policy_id = $1 AND x.policy_version = $2',
  runtime: 'x.runtime_hash = $1',
  agent: 'x.agent = $1',
  principal: 'x.principals @> ARRAY[$1::text]',
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
    `SELECT ${SUMMARY_COLUMNS} FROM ${qualifiedName(schema, TABLES.executions)} x
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
    `SELECT ${SUMMARY_COLUMNS} FROM ${qualifiedName(schema, TABLES.executions)} x
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
