// vitest globalSetup of the browser tier, after test/setup/global.ts (Kafka and Postgres): builds the
// console, runs the real demo (`lineage demo`: governance, projector, checkpointer on the real broker)
// and serves its projection with the real query API, which serves the built console. Tests read
// `inject('console')`.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { TestProject } from 'vitest/node';
import { readTrustStore } from '@lineage/keys';
import type { DsseEnvelope } from '@lineage/protocol';
import { createQueryApi, createToken } from '@lineage/query-api';
import { createPool } from '@lineage/store';
import { REPO } from '../kit/serve.js';
import './context.js';

const run = promisify(execFile);
export const DEMO_DIR = join(REPO, '.lineage/demo');

/** What `lineage demo` records of its run (`.lineage/demo/run.json`). */
interface DemoRun {
  schema: string;
  executions: Record<string, string>;
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const { databaseUrl, brokers } = project.getProvidedContext();
  await run('pnpm', ['--filter', '@lineage/console', 'build'], { cwd: REPO });
  await run('npx', ['tsx', 'packages/cli/src/main.ts', 'demo'], {
    cwd: REPO,
    env: { ...process.env, DATABASE_URL: databaseUrl, KAFKA_BROKERS: brokers.join(',') },
    maxBuffer: 16 * 1024 * 1024,
  });
  const demo = JSON.parse(await readFile(join(DEMO_DIR, 'run.json'), 'utf8')) as DemoRun;
  const keys = (await readTrustStore(join(DEMO_DIR, 'truststore.json'))).document.keys;
  const release = JSON.parse(
    await readFile(join(DEMO_DIR, 'release.json'), 'utf8'),
  ) as DsseEnvelope;
  const pool = createPool(databaseUrl, { max: 4 });
  const pepper = randomBytes(32);
  const { token } = await createToken(pool, demo.schema, {
    name: 'browser-tier',
    scopes: ['read', 'export'],
    pepper,
  });
  const api = createQueryApi({
    pool,
    schema: demo.schema,
    pepper,
    bundleSources: () => ({ keys, policies: [], releases: [release] }),
  });
  await api.listen({ port: 0, host: '127.0.0.1' });
  const { port } = api.server.address() as { port: number };
  project.provide('console', {
    baseUrl: `http://127.0.0.1:${port}`,
    token,
    executions: demo.executions,
    demoDir: DEMO_DIR,
  });
  return async () => {
    await api.close();
    await pool.query(`DROP SCHEMA IF EXISTS "${demo.schema}" CASCADE`);
    await pool.end();
  };
}
