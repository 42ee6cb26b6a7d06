// One test file's Postgres: a pool, and every schema its tests make dropped after them.
import type { Pool } from 'pg';
import { afterAll } from 'vitest';
import { createPool } from '@lineage/store';
import { freshSchemaName } from './project.js';

/** A pool for one test file, and the schemas to drop once its tests are done. */
export interface TestDatabase {
  readonly pool: Pool;
  /** A unique schema name (`<prefix>_<hex>`), dropped after the file's tests. */
  newSchema(prefix?: string): string;
  /** Drops `schema` after the file's tests; returns it. */
  dropLater(schema: string): string;
}

/**
 * A pool on `url` for the calling test file (created now, connecting on first use). After the file's
 * tests, every schema named by `newSchema` or `dropLater` is dropped, with the `<schema>_…` schemas a
 * rebuild makes beside it, and the pool is ended.
 */
export function testDatabase(url: string, options: { max?: number } = {}): TestDatabase {
  const pool = createPool(url, options);
  const schemas: string[] = [];
  afterAll(async () => {
    const { rows } = await pool.query<{ nspname: string }>(
      `SELECT nspname FROM pg_namespace WHERE nspname = ANY($1) OR nspname LIKE ANY($2)`,
      [schemas, schemas.map((s) => `${s}\\_%`)],
    );
    for (const { nspname } of rows) await pool.query(`DROP SCHEMA IF EXISTS "${nspname}" CASCADE`);
    await pool.end();
  });
  const dropLater = (schema: string): string => {
    schemas.push(schema);
    return schema;
  };
  return { pool, newSchema: (prefix) => dropLater(freshSchemaName(prefix)), dropLater };
}
