// vitest globalSetup for the int and e2e projects: real Kafka and Postgres, started once per run.
// Default: the local broker (reused if it already runs) and the local Postgres; LINEAGE_INFRA=containers
// uses Docker via testcontainers instead. Tests read `inject('brokers')` and `inject('databaseUrl')`.
import type { TestProject } from 'vitest/node';
import { databaseUrl, ensureDatabase, startKafka } from '@lineage/infra';
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
