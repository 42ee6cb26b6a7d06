import { describe, expect, it } from 'vitest';
import { MIGRATION, PROJECTION_MIGRATIONS } from './migrations.js';
import { TABLES } from './tables.js';
import { QUERYABLE_VERSION } from './version.js';

// Given the projection's migrations, then each named version is one migration, in order, and every
// table the readers and writers name is created by one of them.

describe('projection migrations', () => {
  it('are the named versions, ascending, each once', () => {
    expect(PROJECTION_MIGRATIONS.map((m) => m.version)).toEqual(Object.values(MIGRATION));
    expect(QUERYABLE_VERSION).toBeLessThanOrEqual(PROJECTION_MIGRATIONS.at(-1)!.version);
  });

  it.each(Object.values(TABLES))('create the table %s', (table) => {
    const sql = PROJECTION_MIGRATIONS.map((m) => m.sql('"s"')).join('\n');
    expect(sql).toMatch(new RegExp(`CREATE TABLE (IF NOT EXISTS )?"s"\\.${table} \\(`));
  });
});
