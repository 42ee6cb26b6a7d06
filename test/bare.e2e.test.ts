// The quick start on a bare machine: no DATABASE_URL, nothing listening where libpq would look, no
// Maven on PATH, and an empty .lineage/ (the demo runs in a fresh directory). The demo falls back to
// the embedded PGlite, completes, and its evidence bundle verifies. The broker is the run's shared one
// (KAFKA_BROKERS); infra/src/jars.int.test.ts shows the broker jars download without Maven.
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readdir, rm, symlink } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';

const run = promisify(execFile);
const repo = fileURLToPath(new URL('..', import.meta.url));
const TSX = join(repo, 'node_modules', 'tsx', 'dist', 'cli.mjs');
const MAIN = join(repo, 'packages', 'cli', 'src', 'main.ts');

let cwd: string;
let env: NodeJS.ProcessEnv;

/** Runs `lineage <args>` in the bare directory; resolves its exit code and output. */
async function lineage(...args: string[]): Promise<{ code: number; out: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [TSX, MAIN, ...args], {
      cwd,
      env,
      maxBuffer: 16 << 20,
    });
    return { code: 0, out: stdout + stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, out: err.stdout + err.stderr };
  }
}

beforeAll(async () => {
  cwd = await mkdtemp(join(tmpdir(), 'lineage-bare-'));
  // PATH holds node alone: no mvn, no psql, no pg_ctl.
  const bin = join(cwd, 'bin');
  await mkdir(bin);
  await symlink(process.execPath, join(bin, 'node'));
  // A port nothing listens on, for libpq's PGPORT.
  const probe = createServer();
  await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
  const closedPort = (probe.address() as { port: number }).port;
  await new Promise((r) => probe.close(r));
  env = {
    HOME: process.env.HOME,
    PATH: bin,
    PGHOST: '127.0.0.1',
    PGPORT: String(closedPort),
    KAFKA_BROKERS: inject('brokers').join(','),
    // tsx on the TypeScript sources of the workspace packages (their `@lineage/source` export).
    NODE_OPTIONS: '--conditions=@lineage/source',
  };
});
afterAll(() => rm(cwd, { recursive: true, force: true }));

describe('the demo on a bare machine', () => {
  it('runs on the embedded PGlite without Maven, from an empty .lineage/, and its bundle verifies', async () => {
    await expect(run('mvn', ['-v'], { env })).rejects.toMatchObject({ code: 'ENOENT' });
    expect(await readdir(cwd)).toEqual(['bin']);

    const demo = await lineage('demo');
    expect(demo.code, demo.out).toBe(0);
    expect(demo.out).toMatch(
      /postgres {3}postgres:\/\/127\.0\.0\.1:\d+\/postgres .*embedded PGlite/,
    );
    expect(demo.out).toContain('14/14 verify with only the public keys');
    expect(demo.out).toMatch(/14 re-derived identically, 0 mismatches/);
    expect(demo.out).toMatch(/lineage log verify: ok: 14 attestations in 3 partitions/);
    expect((await readdir(join(cwd, '.lineage'))).sort()).toEqual(['demo', 'pglite']);

    const verified = await lineage(
      'verify',
      '.lineage/demo/evidence.json',
      '--trust',
      '.lineage/demo/truststore.json',
    );
    expect(verified.code, verified.out).toBe(0);
    expect(verified.out).toContain('decision allow');
  });
});
