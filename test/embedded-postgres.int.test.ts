// The embedded PGlite the demo falls back to is one Postgres backend shared by every connection.
// Given the pg client code paths the services use, when they run on it, then the guarantees hold as on
// a server — and where PGlite behaves differently, these tests pin down how (README: embedded Postgres).
// The projector, rebuild and query suites themselves run on it with LINEAGE_INFRA=embedded.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedPostgres } from '@lineage/infra';
import type { EmbeddedPostgres } from '@lineage/infra';

let dir: string;
let embedded: EmbeddedPostgres;
let pool: pg.Pool;

const client = async () => {
  const c = new pg.Client({ connectionString: embedded.url });
  c.on('error', () => undefined);
  await c.connect();
  return c;
};
/** Resolves `'pending'` if `promise` has not settled after `ms`. */
const within = <T>(promise: Promise<T>, ms: number) =>
  Promise.race([promise, new Promise<'pending'>((r) => setTimeout(() => r('pending'), ms))]);
const counts = async (c: pg.ClientBase | pg.Pool) =>
  (
    await c.query<{ rows: number; offsets: number }>(
      'SELECT (SELECT count(*)::int FROM t.rows) AS rows, (SELECT count(*)::int FROM t.offsets) AS offsets',
    )
  ).rows[0];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'lineage-pglite-'));
  embedded = await startEmbeddedPostgres({ dataDir: join(dir, 'pglite') });
  pool = new pg.Pool({ connectionString: embedded.url, max: 10 });
  await pool.query(`CREATE SCHEMA t;
    CREATE TABLE t.rows (id int PRIMARY KEY, body text);
    CREATE TABLE t.offsets (part int PRIMARY KEY, next bigint)`);
});
afterAll(async () => {
  await pool.end();
  await embedded.stop();
  await rm(dir, { recursive: true, force: true });
});

describe('the embedded Postgres', () => {
  it('commits rows and their offset together: a reader sees both or neither, never one', async () => {
    const writer = await client();
    try {
      await writer.query('BEGIN');
      await writer.query("INSERT INTO t.rows VALUES (1, 'a')");
      await writer.query('INSERT INTO t.offsets VALUES (0, 1)');
      // A server answers from the snapshot before COMMIT (0, 0); PGlite makes the reader wait.
      const read = counts(pool);
      expect(await within(read, 500)).toBe('pending');
      await writer.query('COMMIT');
      expect(await read).toEqual({ rows: 1, offsets: 1 });
    } finally {
      await writer.end();
    }
  });

  it('rolls back the transaction of a connection that dies mid-way, and serves the others after', async () => {
    const doomed = await client();
    await doomed.query('BEGIN');
    await doomed.query("INSERT INTO t.rows VALUES (2, 'b')");
    await doomed.query('UPDATE t.offsets SET next = 2 WHERE part = 0');
    // kill -9 of the projector, as the socket sees it.
    (
      doomed as unknown as { connection: { stream: { destroy(): void } } }
    ).connection.stream.destroy();
    expect(await counts(pool)).toEqual({ rows: 1, offsets: 1 });
    expect((await pool.query('SELECT next FROM t.offsets')).rows).toEqual([{ next: '1' }]);
  });

  it('answers many concurrent parameterized readers each with their own rows, beside a writer', async () => {
    const writes = (async () => {
      for (let i = 10; i < 40; i++) {
        const c = await pool.connect();
        try {
          await c.query('BEGIN');
          await c.query('INSERT INTO t.rows VALUES ($1, $2)', [i, `w${i}`]);
          await c.query('UPDATE t.offsets SET next = $1 WHERE part = 0', [i + 1]);
          await c.query('COMMIT');
        } finally {
          c.release();
        }
      }
    })();
    // Parse/Bind/Execute of different connections must not interleave on the one backend.
    const reads = Array.from({ length: 300 }, async (_, i) => {
      const r = await pool.query<{ v: string; n: number }>('SELECT $1::text AS v, $2::int AS n', [
        `r${i}`,
        i,
      ]);
      return r.rows[0]?.v === `r${i}` && r.rows[0]?.n === i;
    });
    expect((await Promise.all(reads)).every(Boolean)).toBe(true);
    await writes;
    expect(await counts(pool)).toEqual({ rows: 31, offsets: 1 });
  });

  it('LIMIT: a transaction has the backend to itself, so one that waits on another connection stalls it', async () => {
    const holder = await client();
    try {
      await holder.query('BEGIN');
      await holder.query('SELECT 1');
      // On a server this read returns at once; here it waits for the holder's COMMIT.
      const other = pool.query('SELECT 1 AS one');
      expect(await within(other, 500)).toBe('pending');
      await holder.query('COMMIT');
      expect((await other).rows).toEqual([{ one: 1 }]);
    } finally {
      await holder.end();
    }
  });

  it('LIMIT: session settings are shared by every connection (one backend)', async () => {
    const a = await client();
    const b = await client();
    try {
      await a.query("SET application_name = 'lineage-a'");
      // On a server b keeps its own session; on PGlite it sees a's setting.
      const seen = (await b.query<{ application_name: string }>('SHOW application_name')).rows[0];
      expect(seen?.application_name).toBe('lineage-a');
    } finally {
      await a.query('RESET application_name');
      await a.end();
      await b.end();
    }
  });

  it('keeps its data in its directory across a restart', async () => {
    await pool.end();
    await embedded.stop();
    embedded = await startEmbeddedPostgres({ dataDir: join(dir, 'pglite') });
    pool = new pg.Pool({ connectionString: embedded.url, max: 10 });
    expect(await counts(pool)).toEqual({ rows: 31, offsets: 1 });
  });

  it('refuses a second server on the same data directory (POSTGRES_EMBEDDED_BUSY)', async () => {
    await expect(startEmbeddedPostgres({ dataDir: join(dir, 'pglite') })).rejects.toMatchObject({
      code: 'POSTGRES_EMBEDDED_BUSY',
    });
    // The one that holds it still answers.
    expect(await counts(pool)).toEqual({ rows: 31, offsets: 1 });
  });
});
