import type { Pool, PoolClient } from 'pg';
import { MAX_PATH_EDGES, MAX_PATH_NODES } from '@lineage/contract';
import { QueryError } from './errors.js';
import { inSnapshot, withLatest } from './snapshot.js';
import type { AuthorizationPath } from './types.js';
import { depthArg } from './validate.js';
import { knownSql, stepSql } from './walk.sql.js';

type Edge = { from: string; to: string; parent_attestation: string };

/** The ancestor levels an authorization path holds, and what lies past its deepest one. */
interface Climbed {
  /** Every node kept, with its shortest distance (the execution at 0). */
  depths: Map<string, number>;
  /** The edges leaving the kept levels but the deepest. */
  edges: Edge[];
  /** Edges leaving the deepest kept level (to kept nodes or beyond). */
  beyond: Edge[];
  /** A cap cut the walk; `beyond` is complete only when `beyondWhole`. */
  capped: boolean;
  beyondWhole: boolean;
}

const byChildThenParent = (a: Edge, b: Edge) =>
  a.from < b.from ? -1 : a.from > b.from ? 1 : a.to < b.to ? -1 : a.to > b.to ? 1 : 0;

/**
 * Climbs breadth-first from `start`, one statement per level, keeping whole levels while they fit
 * `maxDepth`, MAX_PATH_NODES and MAX_PATH_EDGES; the first level that does not fit is read only
 * as far as the edges cap (+1), to tell roots from cut-off nodes.
 */
async function climb(
  client: PoolClient,
  schema: string,
  start: string,
  maxDepth: number,
): Promise<Climbed> {
  const sql = stepSql(schema, 'up');
  const depths = new Map<string, number>([[start, 0]]);
  const edges: Edge[] = [];
  let frontier = [start];
  for (let depth = 1; frontier.length > 0; depth++) {
    const room = MAX_PATH_EDGES - edges.length;
    const { rows } = await client.query<Edge>(sql, [frontier, room + 1]);
    const fresh = [...new Set(rows.map((e) => e.to).filter((id) => !depths.has(id)))];
    const capped = rows.length > room || depths.size + fresh.length > MAX_PATH_NODES;
    // The deepest level kept: past maxDepth or a cap, these edges only say what lies beyond.
    if (depth > maxDepth || capped)
      return { depths, edges, beyond: rows, capped, beyondWhole: rows.length <= room };
    edges.push(...rows);
    for (const id of fresh) depths.set(id, depth);
    frontier = fresh;
  }
  return { depths, edges, beyond: [], capped: false, beyondWhole: true };
}

/**
 * The ancestor subgraph of an (already validated) execution up to its roots, or `maxDepth` links,
 * or as many whole levels as fit MAX_PATH_NODES nodes and MAX_PATH_EDGES edges: the execution at
 * depth 0, its ancestors, the edges between them, the roots (nodes without parents), and
 * `truncated` when the depth limit or a cap cut some parent off.
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
    const c = await climb(client, schema, executionId, maxDepth);
    const withParents = new Set([...c.edges, ...c.beyond].map((e) => e.from));
    if (c.depths.size === 1 && withParents.size === 0) {
      const known = await client.query<{ known: boolean }>(knownSql(schema), [executionId]);
      if (known.rows[0]?.known !== true)
        throw new QueryError('NOT_FOUND', `unknown execution ${executionId}`);
    }
    const ordered = [...c.depths]
      .map(([execution_id, depth]) => ({ execution_id, depth }))
      .sort((a, b) => a.depth - b.depth || (a.execution_id < b.execution_id ? -1 : 1));
    const deepest = ordered.at(-1)?.depth ?? 0;
    // When the deepest level's edges were cut short, its nodes may have parents not seen: not roots.
    const isRoot = (n: { execution_id: string; depth: number }) =>
      !withParents.has(n.execution_id) && (c.beyondWhole || n.depth < deepest);
    const inside = [...c.edges, ...c.beyond.filter((e) => c.depths.has(e.to))].slice(
      0,
      MAX_PATH_EDGES,
    );
    return {
      execution_id: executionId,
      nodes: await withLatest(client, schema, ordered),
      edges: inside
        .sort(byChildThenParent)
        .map((e) => ({ child: e.from, parent: e.to, parent_attestation: e.parent_attestation })),
      roots: ordered.filter(isRoot).map((n) => n.execution_id),
      truncated: c.capped || c.beyond.some((e) => !c.depths.has(e.to)),
    };
  });
}
