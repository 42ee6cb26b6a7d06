import type { Pool, PoolClient } from 'pg';

/**
 * Runs `fn` on one connection while holding a session-level advisory lock named after `schema`, so
 * processes that migrate or set up the same schema concurrently take turns. The lock goes with the
 * session, so a process that dies mid-way releases it.
 */
export async function withSchemaLock<T>(
  pool: Pool,
  schema: string,
  fn: (client: PoolClient) => Promise<T>,
): Promise<T> {
  const client = await pool.connect();
  let broken: Error | undefined;
  try {
    await client.query('SELECT pg_advisory_lock(hashtextextended($1, 0))', [
      `lineage.store:${schema}`,
    ]);
    try {
      return await fn(client);
    } finally {
      await client
        .query('SELECT pg_advisory_unlock(hashtextextended($1, 0))', [`lineage.store:${schema}`])
        .catch((error: unknown) => {
          // The session is unusable; destroying it releases the lock.
          broken = error instanceof Error ? error : new Error(String(error));
        });
    }
  } finally {
    client.release(broken);
  }
}
