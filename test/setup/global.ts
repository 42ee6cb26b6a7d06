// vitest globalSetup for the int and e2e projects: real Kafka and Postgres, started once per run.
// Default: the local broker (reused if it already runs) and the local Postgres; LINEAGE_INFRA=containers
// uses Docker via testcontainers instead; LINEAGE_INFRA=embedded runs the suites on the embedded PGlite
// the demo falls back to (README: its limits). Tests read `inject('brokers')` and `inject('databaseUrl')`.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { databaseUrl, ensureDatabase, startEmbeddedPostgres, startKafka } from '@lineage/infra';
import './context.js';

/** Starts (or reuses) the infrastructure, provides its addresses, and returns the teardown. */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  if (process.env.LINEAGE_INFRA === 'containers') {
    const { startContainers } = await import('./containers.js');
    const containers = await startContainers();
    project.provide('brokers', containers.brokers);
    project.provide('databaseUrl', containers.databaseUrl);
    return () => containers.stop();
  }
  if (process.env.LINEAGE_INFRA === 'embedded') {
    const dir = await mkdtemp(join(tmpdir(), 'lineage-pglite-'));
    const [kafka, pglite] = await Promise.all([
      startKafka(),
      startEmbeddedPostgres({ dataDir: join(dir, 'pglite') }),
    ]);
    project.provide('brokers', kafka.brokers);
    project.provide('databaseUrl', pglite.url);
    return async () => {
      await pglite.stop();
      await rm(dir, { recursive: true, force: true });
      await kafka.stop();
    };
  }
  const url = databaseUrl('lineage_test');
  const [kafka, database] = await Promise.allSettled([startKafka(), ensureDatabase(url)]);
  if (kafka.status === 'rejected') throw kafka.reason;
  if (database.status === 'rejected') {
    await kafka.value.stop();
    throw database.reason;
  }
  project.provide('brokers', kafka.value.brokers);
  project.provide('databaseUrl', url);
  // A no-op unless this run started the broker: a broker someone else started keeps running.
  return () => kafka.value.stop();
}
