import { randomBytes } from 'node:crypto';
import type { Pool } from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { StoreError } from './errors.js';
import type { Migration } from './migrate.js';
import { migrate } from './migrate.js';
import { createPool } from './pool.js';

let pool: Pool;
const schemas: string[] = [];

function freshSchema(): string {
  const schema = `t_${randomBytes(6).toString('hex')}`;
  schemas.push(schema);
  return schema;
}

async function codeOf(promise: Promise<unknown>): Promise<string | undefined> {
  try {
    await promise;
  } catch (error) {
    return error instanceof StoreError ? error.code : `NOT_A_STORE_ERROR: ${String(error)}`;
  }
  return undefined;
}

// Plain CREATE TABLE (no IF NOT EXISTS): running a migration twice fails loudly.
const migrations: Migration[] = [
  { version: 1, name: 'accounts', sql: (s) => `CREATE TABLE ${s}.accounts (id int PRIMARY KEY)` },
  {
    version: 2,
    name: 'ledger',
    sql: (s) =>
      `CREATE TABLE ${s}.ledger (id int PRIMARY KEY); INSERT INTO ${s}.accounts VALUES (1)`,
  },
  { version: 5, name: 'index', sql: (s) => `CREATE INDEX ledger_id ON ${s}.ledger (id)` },
];

beforeAll(() => {
  pool = createPool(inject('databaseUrl'), { max: 12 });
});

afterAll(async () => {
  for (const schema of schemas) await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  await pool.end();
});

describe('migrate', () => {
  it('applies missing migrations in order, once', async () => {
    const schema = freshSchema();
    expect(await migrate(pool, schema, migrations.slice(0, 1))).toEqual({
      applied: [1],
      version: 1,
    });
    expect(await migrate(pool, schema, migrations)).toEqual({ applied: [2, 5], version: 5 });
    expect(await migrate(pool, schema, migrations)).toEqual({ applied: [], version: 5 });
    const { rows } = await pool.query<{ version: number; name: string }>(
      `SELECT version, name FROM "${schema}".schema_migrations ORDER BY version`,
    );
    expect(rows).toEqual([
      { version: 1, name: 'accounts' },
      { version: 2, name: 'ledger' },
      { version: 5, name: 'index' },
    ]);
    const accounts = await pool.query(`SELECT id FROM "${schema}".accounts`);
    expect(accounts.rowCount).toBe(1);
  });

  it('lets concurrent starts race: each migration runs exactly once', async () => {
    const schema = freshSchema();
    const results = await Promise.all(
      Array.from({ length: 8 }, () => migrate(pool, schema, migrations)),
    );
    expect(results.flatMap((r) => r.applied).sort((a, b) => a - b)).toEqual([1, 2, 5]);
    const accounts = await pool.query(`SELECT id FROM "${schema}".accounts`);
    expect(accounts.rowCount).toBe(1);
  });

  it('rolls back a failing migration whole and keeps the ones before it', async () => {
    const schema = freshSchema();
    const failing: Migration[] = [
      migrations[0]!,
      { version: 2, name: 'half', sql: (s) => `CREATE TABLE ${s}.half (id int); SELECT 1/0` },
    ];
    expect(await codeOf(migrate(pool, schema, failing))).toBe('MIGRATION_FAILED');
    const { rows } = await pool.query<{ version: number }>(
      `SELECT version FROM "${schema}".schema_migrations`,
    );
    expect(rows.map((r) => r.version)).toEqual([1]);
    const half = await pool.query(`SELECT to_regclass($1) AS t`, [`"${schema}".half`]);
    expect(half.rows[0]).toEqual({ t: null });
    // Fixed code then applies it.
    expect(await migrate(pool, schema, migrations)).toEqual({ applied: [2, 5], version: 5 });
  });

  it('refuses a database migrated by other code', async () => {
    const schema = freshSchema();
    await migrate(pool, schema, migrations);
    expect(await codeOf(migrate(pool, schema, migrations.slice(0, 2)))).toBe('MIGRATIONS_DIVERGED');
    const renamed = migrations.map((m) => (m.version === 2 ? { ...m, name: 'other' } : m));
    expect(await codeOf(migrate(pool, schema, renamed))).toBe('MIGRATIONS_DIVERGED');
  });

  it('validates the schema name and the migration list before touching the database', async () => {
    expect(await codeOf(migrate(pool, 'bad-name', migrations))).toBe('INVALID_IDENTIFIER');
    const schema = freshSchema();
    expect(await codeOf(migrate(pool, schema, [migrations[1]!, migrations[0]!]))).toBe(
      'INVALID_MIGRATIONS',
    );
    expect(await codeOf(migrate(pool, schema, [{ ...migrations[0]!, version: 0 }]))).toBe(
      'INVALID_MIGRATIONS',
    );
    const exists = await pool.query(`SELECT 1 FROM pg_namespace WHERE nspname = $1`, [schema]);
    expect(exists.rowCount).toBe(0);
  });
});
