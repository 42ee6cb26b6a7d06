import { Type } from '@sinclair/typebox';

/** Schemas of the flags several services share; each carries the description an error prints. */

/** `--brokers`: a comma-separated `host:port` list. */
export const BrokersFlag = Type.String({
  minLength: 1,
  description: 'a comma-separated host:port list',
});

/** `--schema`: a projection schema name, as `@lineage/store`'s `isIdentifier` accepts it. */
export const SchemaFlag = Type.String({
  pattern: '^[a-z_][a-z0-9_]{0,40}$',
  description: 'a name matching ^[a-z_][a-z0-9_]{0,40}$',
});

/** `--database-url`: a Postgres connection URL. */
export const DatabaseUrlFlag = Type.String({ minLength: 1, description: 'a postgres:// URL' });

/** A whole number of at least 1, with what it counts (e.g. `ms`) for the error message. */
export const PositiveIntegerFlag = (unit?: string) =>
  Type.Integer({
    minimum: 1,
    description: unit ? `a positive integer (${unit})` : 'a positive integer',
  });

/** A required, non-empty string (a path, a group id), described for the error message. */
export const TextFlag = (description: string) => Type.String({ minLength: 1, description });
