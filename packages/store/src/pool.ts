import pg from 'pg';
import type { Pool, PoolConfig } from 'pg';

/**
 * A connection pool for `url`. A client that loses its connection (Postgres restarted, a backend
 * terminated) never crashes the process: an idle one is dropped from the pool (pg emits `error` on
 * the pool), and a checked-out one gets its own listener — pg gives it none, so without one the
 * `error` event would be uncaught — and its next query fails instead. `onConnectionError` hears of both.
 */
export function createPool(
  url: string,
  options: Omit<PoolConfig, 'connectionString'> & {
    onConnectionError?: (error: Error) => void;
  } = {},
): Pool {
  const { onConnectionError, ...config } = options;
  const pool = new pg.Pool({
    max: 10,
    connectionTimeoutMillis: 10_000,
    ...config,
    connectionString: url,
  });
  pool.on('error', (error) => onConnectionError?.(error));
  pool.on('connect', (client) => client.on('error', (error) => onConnectionError?.(error)));
  return pool;
}
