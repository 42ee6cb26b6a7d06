import type { Pool, PoolClient } from 'pg';
import type { WalkCursor } from './cursor.js';
import { decodeWalkCursor, encodeWalkCursor } from './cursor.js';
import { QueryError } from './errors.js';
import type { AuthorizationPath, LineageNode, Page, WalkOptions } from './types.js';
import { depthArg, limitArg } from './validate.js';
import type { Direction } from './walk.sql.js';
import { agentExecutionsSql, knownSql, latestSql, stepSql } from './walk.sql.js';

// The graph walks are breadth-first, one parameterised query per level, with the visited set kept
// here: each node is expanded once, at its shortest distance, whatever the number of paths to it or
// the number of distinct distances it is reached at (ARCHITECTURE.md §6). A recursive CTE whose rows
// are (node, distance) expands a node once per distinct distance, which on a 1M-execution graph was
// seconds per page at depth 50; this is why the walk is not one. Since levels come in depth order, a
// page stops the walk as soon as the levels done hold every item it needs.

type Edge = { from: string; to: string; parent_attestation: string };

interface Walked {
  /** Every node reached, with its shortest distance (the starts at 0). */
  depths: Map<string, number>;
  /** The edges followed, when asked to keep them. */
  edges: Edge[];
}

const before = (a: WalkCursor, b: WalkCursor) =>
  a.depth < b.depth || (a.depth === b.depth && a.execution_id < b.execution_id);

async function bfs(
  client: PoolClient,
  schema: string,
  direction: Direction,
  starts: readonly string[],
  maxDepth: number,
  options: { keepEdges?: boolean; done?: (depths: Map<string, number>) => boolean } = {},
): Promise<Walked> {
  const sql = stepSql(schema, direction);
  const depths = new Map<string, number>(starts.map((id) => [id, 0]));
  const edges: Edge[] = [];
  let frontier = [...depths.keys()];
  for (let depth = 1; depth <= maxDepth && frontier.length > 0; depth++) {
    const { rows } = await client.query<Edge>(sql, [frontier]);
    const next: string[] = [];
    for (const edge of rows) {
      if (options.keepEdges) edges.push(edge);
      if (!depths.has(edge.to)) {
        depths.set(edge.to, depth);
        next.push(edge.to);
      }
    }
    frontier = next;
    if (options.done?.(depths)) break;
  }
  return { depths, edges };
}

/** Runs `body` on one client inside a read-only snapshot, so every level sees the same graph. */
async function inSnapshot<T>(pool: Pool, body: (client: PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    const result = await body(client);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}

async function withLatest(
  client: PoolClient,
  schema: string,
  nodes: WalkCursor[],
): Promise<LineageNode[]> {
  const { rows } = await client.query<Omit<LineageNode, 'depth'>>(latestSql(schema), [
    nodes.map((n) => n.execution_id),
  ]);
  const latest = new Map(rows.map((r) => [r.execution_id, r]));
  return nodes.map((n) => {
    const l = latest.get(n.execution_id);
    return {
      execution_id: n.execution_id,
      depth: n.depth,
      decision: l?.decision ?? null,
      action: l?.action ?? null,
      agent: l?.agent ?? null,
    };
  });
}

async function page(
  pool: Pool,
  schema: string,
  direction: Direction,
  starts: (client: PoolClient) => Promise<string[]>,
  includeStarts: boolean,
  options: WalkOptions,
): Promise<Page<LineageNode>> {
  const maxDepth = depthArg(options.maxDepth);
  const limit = limitArg(options.limit);
  const after: WalkCursor =
    options.cursor === undefined || options.cursor === null
      ? { depth: -1, execution_id: '' }
      : decodeWalkCursor(options.cursor);
  return inSnapshot(pool, async (client) => {
    const seeds = await starts(client);
    const wanted = (id: string, depth: number) =>
      (includeStarts || depth > 0) && before(after, { depth, execution_id: id });
    // Stop once the finished levels hold limit + 1 items past the cursor: later levels are deeper.
    const done = (depths: Map<string, number>) => {
      let count = 0;
      for (const [id, depth] of depths) if (wanted(id, depth) && ++count > limit) return true;
      return false;
    };
    const { depths } = await bfs(client, schema, direction, seeds, maxDepth, {
      done: (d) => d.size > limit && done(d),
    });
    const found: WalkCursor[] = [];
    for (const [execution_id, depth] of depths)
      if (wanted(execution_id, depth)) found.push({ execution_id, depth });
    found.sort((a, b) => (before(a, b) ? -1 : before(b, a) ? 1 : 0));
    const more = found.length > limit;
    const items = await withLatest(client, schema, found.slice(0, limit));
    const last = items.at(-1);
    return { items, next: more && last ? encodeWalkCursor(last) : null };
  });
}

/** Whether the projection knows an execution at all (attested or linked). */
export async function isKnown(pool: Pool, schema: string, executionId: string): Promise<boolean> {
  const { rows } = await pool.query<{ known: boolean }>(knownSql(schema), [executionId]);
  return rows[0]?.known === true;
}

/**
 * One page of an (already validated) execution's ancestors (`up`) or descendants (`down`), the
 * execution itself excluded, ordered by (shortest depth, execution_id).
 * @throws QueryError NOT_FOUND when the execution is unknown, INVALID_ARGUMENT, INVALID_CURSOR.
 */
export async function walk(
  pool: Pool,
  schema: string,
  direction: Direction,
  executionId: string,
  options: WalkOptions = {},
): Promise<Page<LineageNode>> {
  const result = await page(pool, schema, direction, async () => [executionId], false, options);
  // An empty page is a root, a leaf, the end of the walk, or an id nobody knows: tell them apart.
  if (result.items.length === 0 && !(await isKnown(pool, schema, executionId)))
    throw new QueryError('NOT_FOUND', `unknown execution ${executionId}`);
  return result;
}

/**
 * One page of the blast radius of an (already validated) agent key: its executions (depth 0) and
 * their descendants. An agent with no executions has an empty blast radius.
 * @throws QueryError INVALID_ARGUMENT, INVALID_CURSOR.
 */
export function blastRadius(
  pool: Pool,
  schema: string,
  agentKeyId: string,
  options: WalkOptions = {},
): Promise<Page<LineageNode>> {
  const starts = async (client: PoolClient) => {
    const { rows } = await client.query<{ id: string }>(agentExecutionsSql(schema), [agentKeyId]);
    return rows.map((r) => r.id);
  };
  return page(pool, schema, 'down', starts, true, options);
}

/**
 * The ancestor subgraph of an (already validated) execution up to its roots, or `maxDepth` links:
 * the execution at depth 0, its ancestors, the edges between them, the roots (nodes without
 * parents), and `truncated` when the depth limit cut some parent off.
 * @throws QueryError NOT_FOUND when the execution is unknown, INVALID_ARGUMENT.
 */
export async function authorizationPath(
  pool: Pool,
  schema: string,
  executionId: string,
  options: { maxDepth?: number } = {},
): Promise<AuthorizationPath> {
  const maxDepth = depthArg(options.maxDepth);
  return inSnapshot(pool, async (client) => {
    const { depths, edges } = await bfs(client, schema, 'up', [executionId], maxDepth, {
      keepEdges: true,
    });
    // The last level's own parents were not asked for: ask, to know roots from cut-off nodes.
    const deepest = [...depths].filter(([, d]) => d === maxDepth).map(([id]) => id);
    const beyond =
      deepest.length > 0 ? (await client.query<Edge>(stepSql(schema, 'up'), [deepest])).rows : [];
    const withParents = new Set([...edges, ...beyond].map((e) => e.from));
    if (depths.size === 1 && withParents.size === 0) {
      const known = await client.query<{ known: boolean }>(knownSql(schema), [executionId]);
      if (known.rows[0]?.known !== true)
        throw new QueryError('NOT_FOUND', `unknown execution ${executionId}`);
    }
    const ordered = [...depths]
      .map(([execution_id, depth]) => ({ execution_id, depth }))
      .sort((a, b) => (before(a, b) ? -1 : before(b, a) ? 1 : 0));
    const inside = [...edges, ...beyond].filter((e) => depths.has(e.to));
    return {
      execution_id: executionId,
      nodes: await withLatest(client, schema, ordered),
      edges: inside
        .map((e) => ({ child: e.from, parent: e.to, parent_attestation: e.parent_attestation }))
        .sort((a, b) =>
          a.child < b.child
            ? -1
            : a.child > b.child
              ? 1
              : a.parent < b.parent
                ? -1
                : a.parent > b.parent
                  ? 1
                  : 0,
        ),
      roots: ordered.filter((n) => !withParents.has(n.execution_id)).map((n) => n.execution_id),
      truncated: beyond.some((e) => !depths.has(e.to)),
    };
  });
}
