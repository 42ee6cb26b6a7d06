import { TABLES } from '@lineage/projection';
import { qualifiedName } from '@lineage/store';

/** Which way a walk follows `lineage_edges`: to parents (`up`) or to children (`down`). */
export type Direction = 'up' | 'down';

/**
 * One level of a breadth-first walk: the lineage edges leaving the frontier `$1::text[]`, as
 * `(from, to, parent_attestation)`. Served by the primary key (up) or `lineage_edges_parent` (down).
 */
export function stepSql(schema: string, direction: Direction): string {
  const edges = qualifiedName(schema, TABLES.lineageEdges);
  return direction === 'up'
    ? `SELECT e.child_id AS "from", e.parent_id AS "to", e.parent_attestation
       FROM ${edges} e WHERE e.child_id = ANY($1::text[])`
    : `SELECT e.parent_id AS "from", e.child_id AS "to", e.parent_attestation
       FROM ${edges} e WHERE e.parent_id = ANY($1::text[])`;
}

/** The executions of agent key `$1`: where its blast radius starts. */
export function agentExecutionsSql(schema: string): string {
  return `SELECT DISTINCT x.execution_id AS id FROM ${qualifiedName(schema, TABLES.executions)} x
     WHERE x.agent = $1`;
}

/**
 * The latest `decision` or `override` of each execution in `$1::text[]` (replay rejections are
 * about another intent reusing the id and are ignored).
 */
export function latestSql(schema: string): string {
  return `SELECT DISTINCT ON (x.execution_id) x.execution_id, x.decision, x.action, x.agent
     FROM ${qualifiedName(schema, TABLES.executions)} x
     WHERE x.execution_id = ANY($1::text[]) AND x.kind IN ('decision', 'override')
     ORDER BY x.execution_id, x.issued_at DESC, x.sequence DESC, x.attestation_digest`;
}

/** Whether `$1` is known to the projection at all: attested, or named as a parent or child. */
export function knownSql(schema: string): string {
  const edges = qualifiedName(schema, TABLES.lineageEdges);
  const executions = qualifiedName(schema, TABLES.executions);
  return `SELECT EXISTS (SELECT 1 FROM ${executions} WHERE execution_id = $1)
       OR EXISTS (SELECT 1 FROM ${edges} WHERE child_id = $1)
       OR EXISTS (SELECT 1 FROM ${edges} WHERE parent_id = $1) AS known`;
}

/**
 * The attestations an evidence bundle of `$1` needs besides its own decision and override
 * (`$2::text[]`): every attestation a lineage edge of it or of an ancestor names (a parent's
 * decision, or the override that approved it), and every ancestor's decision (so an approved
 * ancestor brings its `pending_override` beside its override). The
 * recursive rows are node ids only and the recursion uses `UNION`, so each ancestor is visited once
 * however many paths lead to it (ARCHITECTURE.md §6).
 */
export function bundleAncestorsSql(schema: string): string {
  const edges = qualifiedName(schema, TABLES.lineageEdges);
  const executions = qualifiedName(schema, TABLES.executions);
  return `WITH RECURSIVE up(id) AS (
       SELECT $1::text
       UNION
       SELECT e.parent_id FROM up u JOIN ${edges} e ON e.child_id = u.id
     ),
     wanted AS (
       SELECT e.parent_attestation AS digest FROM up u JOIN ${edges} e ON e.child_id = u.id
       UNION
       SELECT x.attestation_digest FROM up u JOIN ${executions} x ON x.execution_id = u.id
       WHERE u.id <> $1 AND x.kind = 'decision'
     )
     SELECT x.attestation_digest, x.policy_hash, x.envelope
     FROM wanted w JOIN ${executions} x ON x.attestation_digest = w.digest
     WHERE x.attestation_digest <> ALL($2::text[])
     ORDER BY x.issued_at, x.sequence, x.attestation_digest`;
}
