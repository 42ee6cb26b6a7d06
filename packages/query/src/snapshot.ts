import type { Pool, PoolClient } from 'pg';
import { prepared } from '@lineage/store';
import type { WalkCursor } from './cursor.js';
import type { LineageNode } from './types.js';
import { latestSql } from './walk.sql.js';

/** Runs `body` on one client inside a read-only snapshot, so every statement sees the same graph. */
export async function inSnapshot<T>(
  pool: Pool,
  body: (client: PoolClient) => Promise<T>,
): Promise<T> {
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

/** The walked nodes with their latest decision, action and agent (null when never attested). */
export async function withLatest(
  client: PoolClient,
  schema: string,
  nodes: readonly WalkCursor[],
): Promise<LineageNode[]> {
  if (nodes.length === 0) return [];
  const { rows } = await client.query<Omit<LineageNode, 'depth'>>(
    prepared(latestSql(schema), [nodes.map((n) => n.execution_id)]),
  );
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
