import { describe, expect, it } from 'vitest';
import { StoreError } from './errors.js';
import { isIdentifier, qualifiedName, quoteIdentifier, quoteSchema } from './identifier.js';

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    return error instanceof StoreError ? error.code : 'NOT_A_STORE_ERROR';
  }
  return undefined;
}

describe('identifiers', () => {
  it('accepts lowercase names of up to 41 characters', () => {
    for (const name of ['lineage', '_x', 't_0123abc', 'a', `a${'b'.repeat(40)}`]) {
      expect(isIdentifier(name), name).toBe(true);
      expect(quoteIdentifier(name)).toBe(`"${name}"`);
    }
  });

  it('rejects anything that could be more than a name', () => {
    const bad = [
      '',
      'Lineage',
      '0abc',
      'a-b',
      'a b',
      'a"b',
      'a;drop table x',
      'a.b',
      'ä',
      `a${'b'.repeat(41)}`,
      'x\n',
      'x\u0000',
    ];
    for (const name of bad) {
      expect(isIdentifier(name), JSON.stringify(name)).toBe(false);
      expect(
        codeOf(() => quoteIdentifier(name)),
        JSON.stringify(name),
      ).toBe('INVALID_IDENTIFIER');
    }
    expect(isIdentifier(undefined)).toBe(false);
    expect(isIdentifier(42)).toBe(false);
  });

  it('rejects schemas in the reserved pg_ namespace', () => {
    expect(codeOf(() => quoteSchema('pg_catalog'))).toBe('INVALID_IDENTIFIER');
    expect(quoteSchema('pgx')).toBe('"pgx"');
    expect(quoteIdentifier('pg_table')).toBe('"pg_table"');
  });

  it('qualifies a table with its schema, validating both', () => {
    expect(qualifiedName('lineage', 'executions')).toBe('"lineage"."executions"');
    expect(codeOf(() => qualifiedName('lineage', 'Executions'))).toBe('INVALID_IDENTIFIER');
    expect(codeOf(() => qualifiedName('a"; --', 'executions'))).toBe('INVALID_IDENTIFIER');
  });
});
