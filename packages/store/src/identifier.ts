import { StoreError } from './errors.js';

const IDENTIFIER = /^[a-z_][a-z0-9_]{0,40}$/;

/** True when `name` may be used as a schema or table name: `^[a-z_][a-z0-9_]{0,40}$`. */
export function isIdentifier(name: unknown): name is string {
  return typeof name === 'string' && IDENTIFIER.test(name);
}

/**
 * Validates a SQL identifier and returns it double-quoted, ready to splice into SQL text.
 * Identifiers cannot be bound as query parameters, so this check is what keeps them from being SQL.
 * @throws StoreError INVALID_IDENTIFIER.
 */
export function quoteIdentifier(name: string): string {
  if (!isIdentifier(name))
    throw new StoreError('INVALID_IDENTIFIER', `not a valid identifier: ${JSON.stringify(name)}`);
  return `"${name}"`;
}

/**
 * Validates a schema name (an identifier that does not start with the reserved `pg_`) and returns
 * it double-quoted.
 * @throws StoreError INVALID_IDENTIFIER.
 */
export function quoteSchema(schema: string): string {
  if (!isIdentifier(schema) || schema.startsWith('pg_')) {
    throw new StoreError(
      'INVALID_IDENTIFIER',
      `not a valid schema name: ${JSON.stringify(schema)}`,
    );
  }
  return `"${schema}"`;
}

/**
 * `"schema"."table"` after validating both names.
 * @throws StoreError INVALID_IDENTIFIER.
 */
export function qualifiedName(schema: string, table: string): string {
  return `${quoteSchema(schema)}.${quoteIdentifier(table)}`;
}
