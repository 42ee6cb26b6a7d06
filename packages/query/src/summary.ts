import type { ExecutionSummary } from '@lineage/contract';
import type { ExecutionRow } from '@lineage/projection';

/** The `executions` columns of an {@link ExecutionSummary}, plus `issued_at_key` for cursors. */
export const SUMMARY_COLUMNS = `x.execution_id, x.attestation_digest, x.kind, x.decision, x.reasons,
  x.agent, x.action, x.resource, x.policy_id, x.policy_version, x.policy_hash, x.runtime_hash,
  x.fingerprint,
  to_char(x.issued_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS issued_at,
  to_char(x.issued_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS issued_at_key,
  x.issuer, x.partition, x."offset"::text AS "offset", x.sequence::text AS sequence,
  x.overrides, x.approver, x.resolution, x.grant_digest, x.principals, x.depth`;

/**
 * A row selected with {@link SUMMARY_COLUMNS}: the projection's `executions` row, with its 64-bit
 * `sequence` read as text, and `issued_at_key` for cursors.
 */
export type SummaryRow = Omit<ExecutionRow, 'envelope' | 'sequence'> & {
  sequence: string;
  issued_at_key: string;
};

/** The summary a row describes. */
export function toSummary(r: SummaryRow): ExecutionSummary {
  return {
    execution_id: r.execution_id,
    attestation_digest: r.attestation_digest,
    kind: r.kind,
    decision: r.decision,
    reasons: r.reasons,
    agent: r.agent,
    action: r.action,
    resource: r.resource,
    policy: { id: r.policy_id, version: r.policy_version, hash: r.policy_hash },
    runtime_hash: r.runtime_hash,
    fingerprint: r.fingerprint,
    issued_at: r.issued_at,
    issuer: r.issuer,
    partition: r.partition,
    offset: r.offset,
    // Predicates hold sequences as safe integers.
    sequence: Number(r.sequence),
    overrides: r.overrides,
    approver: r.approver,
    resolution: r.resolution,
    grant_digest: r.grant_digest,
    principals: r.principals,
    depth: r.depth,
  };
}
