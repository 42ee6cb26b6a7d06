import pg from 'pg';
import type { Pool, PoolConfig } from 'pg';

/**
 * A connection pool for `url`. An idle client that loses its connection is dropped from the pool
 * rather than crashing the process (pg emits `error` on the pool for those); `onIdleError` hears of it.
 */
export function createPool(
  url: string,
  options: Omit<PoolConfig, 'connectionString'> & { onIdleError?: (error: Error) => void } = {},
): Pool {
  const { onIdleError, ...config } = options;
  const pool = new pg.Pool({
    max: 10,
    connectionTimeoutMillis: 10_000,
    ...config,
    connectionString: url,
  });
  pool.on('error', (error) => onIdleError?.(error));
  return pool;
}
