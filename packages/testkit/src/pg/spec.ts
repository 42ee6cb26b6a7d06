// Given/when/then for projections, modelled on emmett's projection specifications: given these
// records were projected, when this one arrives, then these rows exist.
import type { Pool } from 'pg';
import { expect } from 'vitest';
import { inTransaction } from '@lineage/store';
import { freshSchema, messagesOf } from './project.js';
import type { FixtureMessage, ProjectionUnderTest } from './project.js';

/** Reads rows of the schema under test: `sql` gets the (quoted) schema name. */
export type RowsQuery = (schema: string) => string;

/** The `then` step of a projection specification. */
export interface ProjectionThen {
  /** Asserts `query` returns exactly `rows`, in order; returns the schema for further checks. */
  then(query: RowsQuery, rows: readonly Record<string, unknown>[]): Promise<string>;
  /** Asserts projecting throws an error carrying `code`. */
  thenThrows(code: string): Promise<void>;
}

/** The `when` step of a projection specification given some records. */
export interface ProjectionWhen {
  when(...records: FixtureMessage[]): ProjectionThen;
}

/** `given(records)`, and the clean-up of every schema its runs made. */
export type ProjectionSpecification = ((...given: FixtureMessage[]) => ProjectionWhen) & {
  dropSchemas(): Promise<void>;
};

/**
 * A specification for `projection` on `pool`: `given(records).when(record).then(query, rows)`.
 * Each run migrates a fresh schema, projects the given records in one transaction (partition 0,
 * offsets from 0) and the new ones in the next, then reads the rows.
 */
export function projectionSpecification(
  pool: () => Pool,
  projection: ProjectionUnderTest,
): ProjectionSpecification {
  const schemas: string[] = [];
  const given = (...given: FixtureMessage[]): ProjectionWhen => ({
    when(...arriving) {
      const run = async () => {
        const schema = await freshSchema(pool(), projection.migrations);
        schemas.push(schema);
        const project = projection.project(schema);
        if (given.length > 0) await inTransaction(pool(), (c) => project(c, 0, messagesOf(given)));
        await inTransaction(pool(), (c) => project(c, 0, messagesOf(arriving, given.length)));
        return schema;
      };
      return {
        async then(query, rows) {
          const schema = await run();
          expect((await pool().query(query(`"${schema}"`))).rows).toEqual(rows);
          return schema;
        },
        async thenThrows(code) {
          await expect(run()).rejects.toMatchObject({ code });
        },
      };
    },
  });
  return Object.assign(given, {
    async dropSchemas() {
      for (const schema of schemas.splice(0))
        await pool().query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    },
  });
}
