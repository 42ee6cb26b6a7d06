// Which Postgres a command gets: an explicit DATABASE_URL, else a server at the libpq default address,
// else the embedded PGlite. Uses the shared server on 127.0.0.1:5432 and a closed port beside it.
import { createServer } from 'node:net';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveDatabase } from './resolve-database.js';

let dir: string;
let closedPort: number;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'lineage-resolve-'));
  // A port that was free a moment ago and that nothing listens on.
  const probe = createServer();
  await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
  closedPort = (probe.address() as { port: number }).port;
  await new Promise((r) => probe.close(r));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('resolveDatabase', () => {
  it('an explicit DATABASE_URL that does not answer is an error, not a fallback', async () => {
    const env = { DATABASE_URL: `postgres://postgres@127.0.0.1:${closedPort}/lineage` };
    await expect(resolveDatabase({ env, stateDir: dir })).rejects.toMatchObject({
      code: 'POSTGRES_UNREACHABLE',
    });
    expect(await readdir(dir)).toEqual([]);
  });

  it('uses the server at the libpq default address when one answers', async () => {
    const env: NodeJS.ProcessEnv = { PGHOST: '127.0.0.1', PGPORT: '5432', PGUSER: 'postgres' };
    const db = await resolveDatabase({ env, stateDir: dir, name: 'lineage_test' });
    expect(db.embedded).toBe(false);
    expect(db.url).toBe('postgres://postgres@127.0.0.1:5432/lineage_test');
    expect(env.DATABASE_URL).toBe(db.url);
    await db.stop();
    expect(env.DATABASE_URL).toBeUndefined();
    expect(await readdir(dir)).toEqual([]);
  });

  it('starts the embedded PGlite under <stateDir>/pglite when nothing answers', async () => {
    const env: NodeJS.ProcessEnv = { PGPORT: String(closedPort) };
    const db = await resolveDatabase({ env, stateDir: dir });
    try {
      expect(db.embedded).toBe(true);
      expect(db.dataDir).toBe(join(dir, 'pglite'));
      const client = new pg.Client({ connectionString: env.DATABASE_URL });
      await client.connect();
      const version = await client.query<{ v: string }>('SELECT version() AS v');
      await client.end();
      expect(version.rows[0]?.v).toMatch(/PostgreSQL/);
    } finally {
      await db.stop();
    }
  });
});
