import { afterAll, describe, expect, inject, it } from 'vitest';
import { createPool } from './pool.js';

// Given a pool client checked out inside a transaction, when the server terminates its backend (as
// a Postgres restart does), then the process does not crash: the next query fails, the pool is told,
// and a fresh client works.
describe('createPool', () => {
  const lost: Error[] = [];
  const pool = createPool(inject('databaseUrl'), {
    max: 2,
    onConnectionError: (e) => lost.push(e),
  });
  const admin = createPool(inject('databaseUrl'), { max: 1 });
  afterAll(async () => {
    await pool.end();
    await admin.end();
  });

  it('survives losing the connection of a checked-out client', async () => {
    const client = await pool.connect();
    await client.query('BEGIN');
    const { rows } = await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
    await admin.query('SELECT pg_terminate_backend($1)', [rows[0]!.pid]);
    // The FATAL arrives on a client with no query running: pg emits it as an `error` event.
    await new Promise((r) => setTimeout(r, 300));
    await expect(client.query('SELECT 1')).rejects.toThrow();
    client.release(true);
    expect(lost.length).toBeGreaterThan(0);
    const { rows: again } = await pool.query<{ one: number }>('SELECT 1 AS one');
    expect(again[0]!.one).toBe(1);
  });
});

// Given a pool with session limits, then every connection starts with them: a long statement is
// cancelled (57014) and a lock wait fails (55P03) instead of waiting forever.
describe('createPool session limits', () => {
  const pool = createPool(inject('databaseUrl'), {
    max: 2,
    statementTimeoutMs: 200,
    lockTimeoutMs: 100,
  });
  const admin = createPool(inject('databaseUrl'), { max: 1 });
  afterAll(async () => {
    await pool.end();
    await admin.end();
  });

  it('starts sessions with statement_timeout and lock_timeout', async () => {
    const { rows } = await pool.query<{ s: string; l: string }>(
      `SELECT current_setting('statement_timeout') AS s, current_setting('lock_timeout') AS l`,
    );
    expect(rows[0]).toEqual({ s: '200ms', l: '100ms' });
    await expect(pool.query('SELECT pg_sleep(2)')).rejects.toMatchObject({ code: '57014' });
  });

  it('gives up a lock wait after lock_timeout', async () => {
    const holder = await admin.connect();
    try {
      await holder.query('BEGIN');
      await holder.query(`SELECT pg_advisory_xact_lock(424242)`);
      await expect(pool.query(`SELECT pg_advisory_lock(424242)`)).rejects.toMatchObject({
        code: '55P03',
      });
    } finally {
      await holder.query('ROLLBACK');
      holder.release();
    }
  });
});
