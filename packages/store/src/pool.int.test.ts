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
