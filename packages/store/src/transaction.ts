// One transaction on a pooled client: BEGIN, the work, COMMIT; on failure ROLLBACK. A client whose
// ROLLBACK fails too is released as broken, so the pool closes it instead of handing it out again.
import type { Pool, PoolClient } from 'pg';

/**
 * Runs `work` in one transaction on a client of `pool` and returns what it returns.
 * @throws whatever `work`, BEGIN or COMMIT throws, after the rollback.
 */
export async function inTransaction<T>(
  pool: Pool,
  work: (client: PoolClient) => Promise<T>,
  begin = 'BEGIN',
): Promise<T> {
  const client = await pool.connect();
  let broken: Error | undefined;
  try {
    await client.query(begin);
    try {
      const result = await work(client);
      await client.query('COMMIT');
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch((rollbackError: unknown) => {
        broken = rollbackError instanceof Error ? rollbackError : new Error(String(rollbackError));
      });
      throw error;
    }
  } finally {
    client.release(broken);
  }
}
