import type { Pool, PoolClient } from 'pg';
import { MAX_WALK_WIDTH } from '@lineage/contract';
import { prepared } from '@lineage/store';
import type { WalkCursor } from './cursor.js';
import { decodeWalkCursor, encodeWalkCursor } from './cursor.js';
import { QueryError } from './errors.js';
import type { StartReader } from './levels.js';
import { Levels } from './levels.js';
import { inSnapshot, withLatest } from './snapshot.js';
import type { LineageNode, Page, WalkOptions } from './types.js';
import { depthArg, limitArg } from './validate.js';
import type { Direction } from './walk.sql.js';
import { agentExecutionsSql, knownSql, narrowLevelsSql, narrowPageSql } from './walk.sql.js';

// A walk page lists nodes by (shortest depth, execution id) after its cursor. It reads the levels
// breadth-first (see Levels): the levels before the cursor's whole (it must know them to tell a
// node's shortest depth), the level it ends in only as far as the page needs — so a page of 1
// below a node of 200,000 children reads 2 of them. A page from one execution whose levels are
// narrow is one statement (narrowPageSql); otherwise the narrow first levels come from one
// statement and each further level from one more, all in one snapshot.

/** Edges read at most per level by the one-statement start of a walk (narrowLevelsSql). */
const narrow = (limit: number) => Math.max(2 * limit + 16, 256);
/** Nodes seen at most by the one-statement start of a walk, whose seen-set check is linear. */
const NARROW_SEEN = 1_000;

/** What a page found: its nodes in order (limit + 1 of them when there is a next page). */
interface Found {
  nodes: WalkCursor[];
  /** The walk stopped at a level it may not pass (MAX_WALK_WIDTH). */
  truncated: boolean;
}

/**
 * Reads levels until the page holds `limit` + 1 nodes past `after`, the walk ends, or passing a
 * level would hold more than MAX_WALK_WIDTH nodes.
 */
async function collect(
  levels: Levels,
  after: WalkCursor,
  listStarts: boolean,
  limit: number,
  maxDepth: number,
): Promise<Found> {
  const nodes: WalkCursor[] = [];
  let held = 0;
  for (let depth = 0; depth <= maxDepth; depth++) {
    // This level's share of the page: its ids past the cursor, as many as the page still needs.
    const listed = depth >= after.depth && (depth > 0 || listStarts);
    const from = depth === after.depth ? after.execution_id : '';
    const part = listed ? await levels.read(from, limit + 1 - nodes.length) : [];
    for (const execution_id of part) nodes.push({ depth, execution_id });
    if (nodes.length > limit || depth === maxDepth) break;
    // Going deeper needs the whole level; what was read from its start, short of the page, is it.
    const whole = listed && from === '' ? part : await levels.read('', MAX_WALK_WIDTH - held + 1);
    held += whole.length;
    if (held > MAX_WALK_WIDTH) return { nodes, truncated: true };
    if (whole.length === 0) break;
    levels.advance(whole);
  }
  return { nodes, truncated: false };
}

type NarrowRow = LineageNode & { ended: boolean };

/** Parameters of the narrow-levels statements: `$1`..`$6` of narrowLevelsSql and narrowPageSql. */
const narrowParams = (start: string, after: WalkCursor, limit: number, maxDepth: number) => [
  start,
  maxDepth,
  Math.max(after.depth, 1),
  limit,
  narrow(limit),
  NARROW_SEEN,
];

/**
 * The page of a walk from one node in one statement, when its narrow first levels hold it; null
 * when they do not (a wide level, or many nodes seen before the page).
 */
async function narrowPage(
  pool: Pool,
  schema: string,
  direction: Direction,
  start: string,
  after: WalkCursor,
  limit: number,
  maxDepth: number,
): Promise<Page<LineageNode> | null> {
  const { rows } = await pool.query<NarrowRow>(
    prepared(narrowPageSql(schema, direction), [
      ...narrowParams(start, after, limit, maxDepth),
      after.depth,
      after.execution_id,
    ]),
  );
  const nodes = rows.filter((r) => r.execution_id !== null);
  if (nodes.length <= limit && rows[0]?.ended !== true) return null;
  const items = nodes.slice(0, limit).map(({ execution_id, depth, decision, action, agent }) => ({
    execution_id,
    depth,
    decision,
    action,
    agent,
  }));
  const last = items.at(-1);
  return { items, next: nodes.length > limit && last ? encodeWalkCursor(last) : null };
}

/** Whole narrow levels from the start of a walk from one node, in one statement. */
async function narrowLevels(
  client: PoolClient,
  schema: string,
  direction: Direction,
  start: string,
  after: WalkCursor,
  limit: number,
  maxDepth: number,
): Promise<string[][]> {
  const { rows } = await client.query<{ depth: number; ids: string[]; whole: boolean }>(
    prepared(narrowLevelsSql(schema, direction), narrowParams(start, after, limit, maxDepth)),
  );
  const known: string[][] = [];
  for (const row of rows) {
    if (!row.whole || row.depth !== known.length) break;
    known.push(row.ids);
  }
  return known;
}

/** The walk cursor of `options`, or the position before everything. */
const afterOf = (options: WalkOptions): WalkCursor =>
  options.cursor === undefined || options.cursor === null
    ? { depth: -1, execution_id: '' }
    : decodeWalkCursor(options.cursor);

/** Level 0 of a walk page: how to read it, whether it is listed, the levels known in advance. */
interface Start {
  reader: (client: PoolClient) => StartReader;
  /** Level 0 is part of the walk (blast radius), not only where it starts (one execution). */
  listed: boolean;
  /** Whole levels 0..k read in advance, by depth. */
  known?: (
    client: PoolClient,
    after: WalkCursor,
    limit: number,
    maxDepth: number,
  ) => Promise<string[][]>;
}

/** Level 0 is the one execution `id`. */
const fromOne = (id: string) => () => async (afterId: string, n: number) =>
  [id].filter((x) => x > afterId).slice(0, n);

/** One page of a walk whose level 0 is `start`, level by level in one snapshot. */
async function page(
  pool: Pool,
  schema: string,
  direction: Direction,
  start: Start,
  options: WalkOptions,
): Promise<Page<LineageNode>> {
  const maxDepth = depthArg(options.maxDepth);
  const limit = limitArg(options.limit);
  const after = afterOf(options);
  return inSnapshot(pool, async (client) => {
    const known = (await start.known?.(client, after, limit, maxDepth)) ?? [];
    const levels = new Levels(client, schema, direction, start.reader(client), known);
    const found = await collect(levels, after, start.listed, limit, maxDepth);
    const more = found.nodes.length > limit;
    const items = await withLatest(client, schema, found.nodes.slice(0, limit));
    const last = items.at(-1);
    const next = more && last ? encodeWalkCursor(last) : null;
    return found.truncated ? { items, next, truncated: true } : { items, next };
  });
}

/**
 * One page of a walk from one execution read one statement per level, never in one statement:
 * the reference the one-statement page is tested against. Not exported by the package.
 */
export const walkLevelByLevel: typeof walk = (pool, schema, direction, executionId, options = {}) =>
  page(pool, schema, direction, { reader: fromOne(executionId), listed: false }, options);

/** Whether the projection knows an execution at all (attested or linked). */
export async function isKnown(pool: Pool, schema: string, executionId: string): Promise<boolean> {
  const { rows } = await pool.query<{ known: boolean }>(prepared(knownSql(schema), [executionId]));
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
  // One statement when the first levels are narrow; else level by level in one snapshot.
  const [maxDepth, limit] = [depthArg(options.maxDepth), limitArg(options.limit)];
  const after = afterOf(options);
  const fast = await narrowPage(pool, schema, direction, executionId, after, limit, maxDepth);
  // From one execution: it is level 0 (not listed), and narrow levels come in one statement.
  const start: Start = {
    reader: fromOne(executionId),
    listed: false,
    known: (client, a, l, d) => narrowLevels(client, schema, direction, executionId, a, l, d),
  };
  const result = fast ?? (await page(pool, schema, direction, start, options));
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
  const reader = (client: PoolClient) => async (afterId: string, n: number) => {
    const { rows } = await client.query<{ id: string }>(agentExecutionsSql(schema), [
      agentKeyId,
      afterId,
      n,
    ]);
    return rows.map((r) => r.id);
  };
  return page(pool, schema, 'down', { reader, listed: true }, options);
}
