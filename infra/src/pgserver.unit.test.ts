import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { InfraError } from './errors.js';
import { findBinDir, serverSettings } from './pgserver.js';

const made: string[] = [];
afterAll(async () => {
  for (const dir of made) await rm(dir, { recursive: true, force: true });
});

describe('findBinDir', () => {
  it('takes PG_BIN when it holds initdb and pg_ctl', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'pgbin-'));
    made.push(dir);
    for (const name of ['initdb', 'pg_ctl']) {
      await writeFile(join(dir, name), '#!/bin/sh\n');
      await chmod(join(dir, name), 0o755);
    }
    expect(await findBinDir({ PG_BIN: dir })).toBe(dir);
  });

  it('refuses a PG_BIN without the server tools with POSTGRES_BIN_MISSING', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'pgbin-'));
    made.push(dir);
    await writeFile(join(dir, 'initdb'), '');
    const error = await findBinDir({ PG_BIN: dir }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InfraError);
    expect((error as InfraError).code).toBe('POSTGRES_BIN_MISSING');
  });
});

describe('serverSettings', () => {
  it('listens on loopback only, keeps fsync on and quotes the socket directory', () => {
    const text = serverSettings(55440, "/srv/it's/data");
    expect(text).toContain(`listen_addresses = '127.0.0.1'`);
    expect(text).toContain('port = 55440');
    expect(text).toContain(`unix_socket_directories = '/srv/it''s/data'`);
    expect(text).toContain('fsync = on');
  });
});
