import { TABLES } from '@lineage/projection';
import { qualifiedName } from '@lineage/store';

/** Which way a walk follows `lineage_edges`: to parents (`up`) or to children (`down`). */
export type Direction = 'up' | 'down';

/**
 * One level of a breadth-first walk: the lineage edges leaving the frontier `$1::text[]`, as
 * `(from, to, parent_attestation)`, at most `$2`. Served by the primary key (up) or
 * `lineage_edges_parent` (down).
 */
export function stepSql(schema: string, direction: Direction): string {
  const edges = qualifiedName(schema, TABLES.lineageEdges);
  return direction === 'up'
    ? `SELECT e.child_id AS "from", e.parent_id AS "to", e.parent_attestation
       FROM ${edges} e WHERE e.child_id = ANY($1::text[]) LIMIT $2`
    : `SELECT e.parent_id AS "from", e.child_id AS "to", e.parent_attestation
       FROM ${edges} e WHERE e.parent_id = ANY($1::text[]) LIMIT $2`;
}

/**
 * Part of one level of a breadth-first walk, in id order: the nodes one link from the frontier
 * `$1::text[]` (the whole previous level), not in `$2::text[]` (every node of the earlier levels),
 * with ids after `$3`, at most `$4` of them. Each frontier node reads at most `$4` of its
 * neighbours from the index, in id order, so a page of 1 below a node of 200,000 children reads 1
 * index entry, not 200,000: the cost is O(|frontier| × limit) at most, and the sum of the
 * frontier's degrees when that is smaller. Served by the primary key (up) or `lineage_edges_parent`
 * (down), both ordered by the far end's id.
 */
export function levelSql(schema: string, direction: Direction): string {
  const edges = qualifiedName(schema, TABLES.lineageEdges);
  const [near, far] = direction === 'up' ? ['child_id', 'parent_id'] : ['parent_id', 'child_id'];
  return `SELECT DISTINCT n.id FROM unnest($1::text[]) AS f(id)
     CROSS JOIN LATERAL (
       SELECT e.${far} AS id FROM ${edges} e
       WHERE e.${near} = f.id AND e.${far} > $3 AND e.${far} <> ALL($2::text[])
       ORDER BY e.${far}
       LIMIT $4
     ) n
     ORDER BY n.id
     LIMIT $4`;
}

/**
 * The first levels of a walk from `$1`, while they are narrow, as the recursive CTE `level`: one
 * row per level `(depth, ids, seen, listed, whole)`, level 0 being `$1` itself. A level is the
 * nodes one link from the previous level not in any earlier one; the recursive row holds a whole
 * level and the nodes seen so far (node ids only, each node once: ARCHITECTURE.md §6 — no row per
 * path or per distance). The recursion stops at depth `$2`, at an empty level, once the levels
 * from depth `$3` on hold more than `$4` nodes (the page is full), at a level that would read more
 * than `$5` edges (not whole: the caller reads that level a page at a time, see
 * {@link levelSql}), or once more than `$6` nodes are seen (the seen-set check here is linear in
 * them; the caller's is hashed).
 */
function levelsCte(schema: string, direction: Direction): string {
  const edges = qualifiedName(schema, TABLES.lineageEdges);
  const [near, far] = direction === 'up' ? ['child_id', 'parent_id'] : ['parent_id', 'child_id'];
  return `WITH RECURSIVE level(depth, ids, seen, listed, whole) AS (
       SELECT 0, ARRAY[$1::text], ARRAY[$1::text], 0::bigint, true
       UNION ALL
       SELECT l.depth + 1, n.ids, l.seen || n.ids,
         l.listed + CASE WHEN l.depth + 1 >= $3 THEN cardinality(n.ids) ELSE 0 END,
         n.edges <= $5
       FROM level l
       CROSS JOIN LATERAL (
         SELECT coalesce(array_agg(DISTINCT c.id), '{}'::text[]) AS ids, count(*) AS edges
         FROM (
           SELECT e.${far} AS id FROM ${edges} e
           WHERE e.${near} = ANY(l.ids) AND e.${far} <> ALL(l.seen)
           LIMIT $5 + 1
         ) c
       ) n
       WHERE l.whole AND l.depth < $2 AND cardinality(l.ids) > 0 AND l.listed <= $4
         AND cardinality(l.seen) <= $6
     )`;
}

/**
 * The narrow first levels of a walk (see {@link levelsCte}, `$1`..`$6`) as `(depth, ids, whole)`,
 * the ids of a level not whole left out.
 */
export function narrowLevelsSql(schema: string, direction: Direction): string {
  return `${levelsCte(schema, direction)}
     SELECT depth, CASE WHEN whole THEN ids ELSE '{}'::text[] END AS ids, whole
     FROM level ORDER BY depth`;
}

/**
 * A whole walk page in one statement when the narrow first levels (see {@link levelsCte},
 * `$1`..`$6`) hold it: the nodes after (depth `$7`, id `$8`), at most `$4` + 1, in (depth, id)
 * order, with their latest decision, action and agent (as {@link latestSql}); each row says
 * whether the walk `ended` within those levels. One row with null node columns when none. The page
 * is complete when it has `$4` + 1 nodes or the walk ended; otherwise the caller reads on. Each
 * node's latest decision is an index-only read of `executions_latest`.
 */
export function narrowPageSql(schema: string, direction: Direction): string {
  const executions = qualifiedName(schema, TABLES.executions);
  return `${levelsCte(schema, direction)},
     last AS (SELECT depth, whole, cardinality(ids) AS width FROM level ORDER BY depth DESC LIMIT 1),
     page AS (
       SELECT l.depth, u.id FROM level l CROSS JOIN LATERAL unnest(l.ids) AS u(id)
       WHERE l.whole AND l.depth >= 1 AND (l.depth, u.id) > ($7::int, $8::text)
       ORDER BY l.depth, u.id
       LIMIT $4 + 1
     )
     SELECT t.whole AND (t.width = 0 OR t.depth >= $2) AS ended, p.depth, p.id AS execution_id,
       x.decision, x.action, x.agent
     FROM last t
     LEFT JOIN page p ON true
     LEFT JOIN LATERAL (
       SELECT x.decision, x.action, x.agent FROM ${executions} x
       WHERE x.execution_id = p.id AND x.kind IN ('decision', 'override')
       ORDER BY x.issued_at DESC, x.sequence DESC, x.attestation_digest
       LIMIT 1
     ) x ON true
     ORDER BY p.depth, p.id`;
}

/**
 * The executions of agent key `$1` with ids after `$2`, in id order, at most `$3`: the start of
 * its blast radius (depth 0). Reads every attestation of the agent (no index orders them by
 * execution id) but keeps only `$3` (a top-N sort).
 */
export function agentExecutionsSql(schema: string): string {
  return `SELECT DISTINCT x.execution_id AS id FROM ${qualifiedName(schema, TABLES.executions)} x
     WHERE x.agent = $1 AND x.execution_id > $2
     ORDER BY x.execution_id
     LIMIT $3`;
}

/**
 * The latest `decision` or `override` of each execution in `$1::text[]` (replay rejections are
 * about another intent reusing the id and are ignored). Served by `executions_latest`, index-only.
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
 * How many ancestors `$1` has, counted up to `$2` + 1 only: the recursion (node ids, `UNION`) is pulled
 * row by row, so it stops once `$2` are found, however many there are.
 */
export function ancestorCountSql(schema: string): string {
  const edges = qualifiedName(schema, TABLES.lineageEdges);
  return `WITH RECURSIVE up(id) AS (
       SELECT $1::text
       UNION
       SELECT e.parent_id FROM up u JOIN ${edges} e ON e.child_id = u.id
     )
     SELECT count(*)::int - 1 AS n FROM (SELECT id FROM up LIMIT $2::int + 2) a`;
}

/**
 * The attestations an evidence bundle of `$1` needs besides its own decision and override
 * (`$2::text[]`): every attestation a lineage edge of it or of an ancestor names (a parent's
 * decision, or the override that approved it), and every ancestor's decision (so an approved
 * ancestor brings its `pending_override` beside its override). The
 * recursive rows are node ids only and the recursion uses `UNION`, so each ancestor is visited once
 * however many paths lead to it (ARCHITECTURE.md §6). At most `$3` rows.
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
     ORDER BY x.issued_at, x.sequence, x.attestation_digest
     LIMIT $3`;
}
