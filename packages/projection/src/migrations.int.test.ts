import { randomBytes } from 'node:crypto';
import type { Pool } from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createPool, migrate } from '@lineage/store';
import { MIGRATION, PROJECTION_MIGRATIONS } from './migrations.js';
import { QUERYABLE_VERSION, requireVersion } from './version.js';

// Given a schema the query API created `api_tokens` in by hand (before it was a migration), when the
// projection's migrations run, then the tokens stay; and a schema is queryable only once migrated.

let pool: Pool;
const schemas: string[] = [];
const fresh = () => {
  const schema = `t_${randomBytes(6).toString('hex')}`;
  schemas.push(schema);
  return schema;
};

beforeAll(() => {
  pool = createPool(inject('databaseUrl'));
});

afterAll(async () => {
  for (const schema of schemas) await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  await pool.end();
});

describe('the api_tokens migration', () => {
  it('keeps the tokens of a table created before it', async () => {
    const schema = fresh();
    const before = PROJECTION_MIGRATIONS.filter((m) => m.version < MIGRATION.API_TOKENS);
    await migrate(pool, schema, before);
    // What the query API used to create on start.
    await pool.query(`CREATE TABLE "${schema}".api_tokens (token_hash text PRIMARY KEY,
      name text NOT NULL, scopes text[] NOT NULL, created_at timestamptz NOT NULL DEFAULT now(),
      revoked_at timestamptz)`);
    await pool.query(
      `CREATE UNIQUE INDEX api_tokens_live_name ON "${schema}".api_tokens (name) WHERE revoked_at IS NULL`,
    );
    await pool.query(
      `INSERT INTO "${schema}".api_tokens VALUES ('h', 'ci', '{read}', now(), null)`,
    );

    const upTo5 = PROJECTION_MIGRATIONS.filter((m) => m.version <= MIGRATION.API_TOKENS);
    const result = await migrate(pool, schema, upTo5);
    expect(result.applied).toEqual([MIGRATION.API_TOKENS]);
    const { rows } = await pool.query(`SELECT name FROM "${schema}".api_tokens`);
    expect(rows).toEqual([{ name: 'ci' }]);
  });

  it('revokes unpeppered tokens when hardening, and peppers new rows by default', async () => {
    const schema = fresh();
    await migrate(
      pool,
      schema,
      PROJECTION_MIGRATIONS.filter((m) => m.version <= MIGRATION.API_TOKENS),
    );
    await pool.query(
      `INSERT INTO "${schema}".api_tokens (token_hash, name, scopes) VALUES ('h', 'ci', '{read}')`,
    );
    const result = await migrate(
      pool,
      schema,
      PROJECTION_MIGRATIONS.filter((m) => m.version <= MIGRATION.API_TOKEN_HARDENING),
    );
    expect(result.applied).toEqual([MIGRATION.API_TOKEN_HARDENING]);
    await pool.query(
      `INSERT INTO "${schema}".api_tokens (token_hash, name, scopes) VALUES ('k', 'ci', '{read}')`,
    );
    const { rows } = await pool.query(
      `SELECT token_hash, hash_alg, revoked_at IS NOT NULL AS revoked FROM "${schema}".api_tokens ORDER BY token_hash`,
    );
    expect(rows).toEqual([
      { token_hash: 'h', hash_alg: 'sha256', revoked: true },
      { token_hash: 'k', hash_alg: 'hmac-sha256', revoked: false },
    ]);
  });
});

describe('requireVersion', () => {
  it('refuses a schema behind the version, accepts it once migrated', async () => {
    const schema = fresh();
    await expect(requireVersion(pool, schema, QUERYABLE_VERSION)).rejects.toMatchObject({
      code: 'SCHEMA_BEHIND',
    });
    await migrate(
      pool,
      schema,
      PROJECTION_MIGRATIONS.filter((m) => m.version < QUERYABLE_VERSION),
    );
    await expect(requireVersion(pool, schema, QUERYABLE_VERSION)).rejects.toMatchObject({
      code: 'SCHEMA_BEHIND',
    });
    await migrate(pool, schema, PROJECTION_MIGRATIONS);
    await expect(requireVersion(pool, schema, QUERYABLE_VERSION)).resolves.toBeUndefined();
  });
});
