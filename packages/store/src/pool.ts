import pg from 'pg';
import type { Pool, PoolConfig } from 'pg';

/** Session settings every connection of a pool starts with (sent at connect, no extra round trip). */
export interface SessionLimits {
  /** Postgres `statement_timeout`: a statement running longer is cancelled (SQLSTATE 57014). */
  statementTimeoutMs?: number;
  /** Postgres `lock_timeout`: a lock wait longer than this fails (SQLSTATE 55P03). */
  lockTimeoutMs?: number;
  /** Postgres `idle_in_transaction_session_timeout`; defaults to the statement timeout. */
  idleInTransactionTimeoutMs?: number;
}

/**
 * A connection pool for `url`. A client that loses its connection (Postgres restarted, a backend
 * terminated) never crashes the process: an idle one is dropped from the pool (pg emits `error` on
 * the pool), and a checked-out one gets its own listener — pg gives it none, so without one the
 * `error` event would be uncaught — and its next query fails instead. `onConnectionError` hears of both.
 * `SessionLimits` bound each statement and lock wait; `connectionTimeoutMillis` bounds the wait for
 * a free connection (10 s by default).
 */
export function createPool(
  url: string,
  options: Omit<PoolConfig, 'connectionString'> &
    SessionLimits & { onConnectionError?: (error: Error) => void } = {},
): Pool {
  const {
    onConnectionError,
    statementTimeoutMs,
    lockTimeoutMs,
    idleInTransactionTimeoutMs,
    ...config
  } = options;
  const idle = idleInTransactionTimeoutMs ?? statementTimeoutMs;
  const pool = new pg.Pool({
    max: 10,
    connectionTimeoutMillis: 10_000,
    ...(statementTimeoutMs !== undefined && { statement_timeout: statementTimeoutMs }),
    ...(lockTimeoutMs !== undefined && { lock_timeout: lockTimeoutMs }),
    ...(idle !== undefined && { idle_in_transaction_session_timeout: idle }),
    ...config,
    connectionString: url,
  });
  pool.on('error', (error) => onConnectionError?.(error));
  pool.on('connect', (client) => client.on('error', (error) => onConnectionError?.(error)));
  return pool;
}
