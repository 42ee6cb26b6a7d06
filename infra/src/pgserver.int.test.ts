import { createServer } from 'node:net';
import type { Server } from 'node:net';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InfraError } from './errors.js';
import { startPostgresServer } from './pgserver.js';
import type { PostgresServer } from './pgserver.js';

// Ports below 32768 stay clear of the ephemeral range, where client sockets come and go.
// Given a private server, when it is crashed (immediate stop) while a transaction is open and started
// again, then committed rows survive and the open transaction's rows are gone.

const PORT = 25440;
let server: PostgresServer;

beforeAll(async () => {
  server = await startPostgresServer({ port: PORT, fresh: true });
});

afterAll(async () => {
  await server.stop();
});

async function connect(url: string): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5_000 });
  const errors: Error[] = [];
  client.on('error', (error) => errors.push(error));
  await client.connect();
  return client;
}

async function startedAt(): Promise<string> {
  const client = await connect(server.url('postgres'));
  try {
    const { rows } = await client.query<{ at: string }>(
      'SELECT pg_postmaster_start_time()::text AS at',
    );
    return rows[0]!.at;
  } finally {
    await client.end();
  }
}

describe('startPostgresServer', () => {
  it('listens on its port with the lineage database and trust auth on 127.0.0.1', async () => {
    expect(server.port).toBe(PORT);
    expect(server.url()).toBe(`postgres://postgres@127.0.0.1:${PORT}/lineage`);
    const client = await connect(server.url());
    try {
      const { rows } = await client.query<{ db: string; fsync: string; port: string }>(
        `SELECT current_database() AS db, current_setting('fsync') AS fsync, current_setting('port') AS port`,
      );
      expect(rows[0]).toEqual({ db: 'lineage', fsync: 'on', port: String(PORT) });
    } finally {
      await client.end();
    }
  });

  it('an immediate restart loses the open transaction and keeps the committed row', async () => {
    const writer = await connect(server.url());
    await writer.query('CREATE TABLE crash (id int PRIMARY KEY, note text)');
    await writer.query(`INSERT INTO crash VALUES (1, 'committed')`);
    await writer.query('BEGIN');
    await writer.query(`INSERT INTO crash VALUES (2, 'in flight')`);
    const before = await startedAt();

    await server.restart('immediate');

    // The open transaction's connection is gone: its COMMIT cannot reach the server.
    await expect(writer.query('COMMIT')).rejects.toThrow();
    await writer.end().catch(() => undefined);
    const reader = await connect(server.url());
    try {
      const { rows } = await reader.query<{ id: number; note: string }>(
        'SELECT id, note FROM crash ORDER BY id',
      );
      expect(rows).toEqual([{ id: 1, note: 'committed' }]);
    } finally {
      await reader.end();
    }
    expect(await startedAt()).not.toBe(before);
  });

  it('a fast restart keeps data; starting again on the same directory reuses the running server', async () => {
    await server.restart('fast');
    const running = await startedAt();
    const again = await startPostgresServer({ port: PORT });
    expect(await startedAt()).toBe(running);
    const client = await connect(again.url());
    try {
      const { rows } = await client.query<{ n: number }>('SELECT count(*)::int AS n FROM crash');
      expect(rows[0]!.n).toBe(1);
    } finally {
      await client.end();
    }
  });

  it('refuses a port another process holds with PORT_TAKEN', async () => {
    const holder: Server = createServer();
    await new Promise<void>((resolve) => holder.listen(PORT + 1, '127.0.0.1', resolve));
    try {
      const error = await startPostgresServer({ port: PORT + 1, fresh: true }).catch(
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(InfraError);
      expect((error as InfraError).code).toBe('PORT_TAKEN');
    } finally {
      await new Promise((resolve) => holder.close(resolve));
    }
  });

  it('stop shuts the server down; connections are refused after it', async () => {
    const other = await startPostgresServer({ port: PORT + 2, fresh: true });
    await other.stop();
    await other.stop();
    const client = new pg.Client({ connectionString: other.url(), connectionTimeoutMillis: 2_000 });
    client.on('error', () => undefined);
    await expect(client.connect()).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  });
});
