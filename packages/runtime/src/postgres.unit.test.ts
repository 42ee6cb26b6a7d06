import { afterEach, describe, expect, it, vi } from 'vitest';
import { databaseName, databaseUrl, maintenanceUrl, redactUrl } from './postgres.js';

describe('databaseUrl', () => {
  afterEach(() => {
    vi.unstubAllEnvs();
  });

  it('points at the local trust-auth server by default', () => {
    vi.stubEnv('DATABASE_URL', '');
    expect(databaseUrl()).toBe('postgres://postgres@127.0.0.1:5432/lineage');
    expect(databaseUrl('lineage_test')).toBe('postgres://postgres@127.0.0.1:5432/lineage_test');
  });

  it('yields to DATABASE_URL', () => {
    vi.stubEnv('DATABASE_URL', 'postgres://app:pw@db.internal:6543/ledger');
    expect(databaseUrl('lineage_test')).toBe('postgres://app:pw@db.internal:6543/ledger');
  });
});

describe('URL helpers', () => {
  it('finds the database name, defaulting to the user as libpq does', () => {
    expect(databaseName('postgres://postgres@127.0.0.1:5432/lineage_test')).toBe('lineage_test');
    expect(databaseName('postgres://app@127.0.0.1:5432')).toBe('app');
  });

  it('swaps in the maintenance database and keeps the rest', () => {
    expect(maintenanceUrl('postgres://app:pw@db:6543/ledger?sslmode=require')).toBe(
      'postgres://app:pw@db:6543/postgres?sslmode=require',
    );
  });

  it('masks passwords', () => {
    expect(redactUrl('postgres://app:secret@db:6543/ledger')).toBe(
      'postgres://app:***@db:6543/ledger',
    );
    expect(redactUrl('postgres://postgres@127.0.0.1:5432/lineage')).toBe(
      'postgres://postgres@127.0.0.1:5432/lineage',
    );
  });
});
