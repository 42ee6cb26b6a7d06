import type { Pool } from 'pg';
import type { Decision } from '@lineage/protocol';
import { qualifiedName } from '@lineage/store';
import { ProjectorError } from './errors.js';

/** One ancestor of an execution. */
export interface AncestorRow {
  execution_id: string;
  /** Shortest number of parent links from the execution asked about (parents are 1). */
  depth: number;
  /** The latest decision or override for it; null when its attestation is not projected yet. */
  decision: Decision | null;
  action: string | null;
  agent: string | null;
}

/** The largest `maxDepth` accepted. */
export const MAX_ANCESTRY_DEPTH = 1_000;

/**
 * The ancestors of `executionId` up to `maxDepth` parent links away, nearest first, each once with
 * its shortest distance.
 *
 * The recursive walk's rows are `(node, distance)` and it recurses with `UNION`, which drops any row
 * already produced. A node is therefore expanded at most once per distinct distance (at most
 * `maxDepth` times), never once per path: a multi-parent DAG costs O(edges × maxDepth) in the worst
 * case instead of exploding with the number of paths (ARCHITECTURE.md §6). The shortest distance is
 * taken afterwards. A node's decision is that of its latest `decision` or `override` attestation;
 * `replay_rejection`s are about another intent reusing the id and are ignored.
 * @throws ProjectorError INVALID_ARGUMENT when maxDepth is not an integer in 1..1000;
 *   StoreError INVALID_IDENTIFIER for a bad schema name.
 */
export async function ancestors(
  pool: Pool,
  schema: string,
  executionId: string,
  maxDepth = 50,
): Promise<AncestorRow[]> {
  if (!Number.isInteger(maxDepth) || maxDepth < 1 || maxDepth > MAX_ANCESTRY_DEPTH) {
    throw new ProjectorError(
      'INVALID_ARGUMENT',
      `maxDepth must be an integer in 1..${MAX_ANCESTRY_DEPTH}, got ${maxDepth}`,
    );
  }
  const edges = qualifiedName(schema, 'lineage_edges');
  const executions = qualifiedName(schema, 'executions');
  const { rows } = await pool.query<AncestorRow>(
    `WITH RECURSIVE walk(id, depth) AS (
       SELECT e.parent_id, 1 FROM ${edges} e WHERE e.child_id = $1
       UNION
       SELECT e.parent_id, w.depth + 1 FROM walk w JOIN ${edges} e ON e.child_id = w.id WHERE w.depth < $2
     ),
     nearest AS (
       SELECT id, min(depth) AS depth FROM walk WHERE id <> $1 GROUP BY id
     ),
     latest AS (
       SELECT DISTINCT ON (x.execution_id) x.execution_id, x.decision, x.action, x.agent
       FROM ${executions} x JOIN nearest n ON n.id = x.execution_id
       WHERE x.kind IN ('decision', 'override')
       ORDER BY x.execution_id, x.issued_at DESC, x.sequence DESC, x.attestation_digest
     )
     SELECT n.id AS execution_id, n.depth::int AS depth, l.decision, l.action, l.agent
     FROM nearest n LEFT JOIN latest l ON l.execution_id = n.id
     ORDER BY n.depth, n.id`,
    [executionId, maxDepth],
  );
  return rows;
}
