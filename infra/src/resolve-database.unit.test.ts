import { describe, expect, it } from 'vitest';
import { libpqUrl } from './resolve-database.js';

describe('libpqUrl', () => {
  it('is our local server when no libpq variable is set', () => {
    expect(libpqUrl({})).toBe('postgres://postgres@127.0.0.1:5432/lineage');
  });

  it('takes PGHOST, PGPORT and PGUSER as psql would', () => {
    expect(libpqUrl({ PGHOST: 'db.internal', PGPORT: '6543', PGUSER: 'me' }, 'x')).toBe(
      'postgres://me@db.internal:6543/x',
    );
    expect(libpqUrl({ PGHOST: '::1' })).toBe('postgres://postgres@[::1]:5432/lineage');
  });

  it('turns a PGHOST socket directory into a host parameter', () => {
    expect(libpqUrl({ PGHOST: '/var/run/postgresql' })).toBe(
      'postgres://postgres@localhost:5432/lineage?host=%2Fvar%2Frun%2Fpostgresql',
    );
  });
});
