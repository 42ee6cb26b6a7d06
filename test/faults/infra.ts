import {
  databaseUrl,
  ensureDatabase,
  startKafkaCluster,
  startPostgresServer,
} from '@lineage/infra';

/** The Kafka and Postgres a fault run uses, and the faults it can inject into them. */
export interface FaultInfra {
  /** `cluster` (private 3-broker cluster and Postgres server) or `shared` (the local broker and Postgres). */
  readonly kind: 'cluster' | 'shared';
  readonly brokers: string[];
  /** Replication factor of the run's topics. */
  readonly replicationFactor: number;
  /** Postgres URL of the run's database. */
  readonly databaseUrl: string;
  /** Ids of brokers the run may kill; empty when the broker is shared. */
  readonly brokerIds: readonly number[];
  killBroker(id: number): Promise<void>;
  startBroker(id: number): Promise<void>;
  /** Waits until every partition's replicas are in sync again. */
  waitInSync(timeoutMs?: number): Promise<void>;
  /** Restarts the Postgres server (`immediate`: no checkpoint, connections cut); false when shared. */
  readonly canRestartPostgres: boolean;
  restartPostgres(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * The broker and Postgres every int test uses (KAFKA_BROKERS, DATABASE_URL or the local defaults):
 * nothing in them may be killed or restarted, so a run on them injects process faults only. The run
 * projects into a fresh schema of database `lineage_test`.
 */
export async function sharedInfra(): Promise<FaultInfra> {
  const url = databaseUrl('lineage_test');
  await ensureDatabase(url);
  const refuse = () => Promise.reject(new Error('the shared broker and Postgres are not faulted'));
  return {
    kind: 'shared',
    brokers: (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(','),
    replicationFactor: 1,
    databaseUrl: url,
    brokerIds: [],
    killBroker: refuse,
    startBroker: refuse,
    waitInSync: () => Promise.resolve(),
    canRestartPostgres: false,
    restartPostgres: refuse,
    stop: () => Promise.resolve(),
  };
}

/** Where the private cluster and Postgres server listen (clear of the shared 9092/9093 and 5432). */
export const PRIVATE_PORTS = { kafka: 29092, postgres: 25433 } as const;

/**
 * A fresh 3-broker KRaft cluster (topics with replication factor 3, `min.insync.replicas=2`) and a
 * fresh private Postgres server, both the run's own: it may kill a broker and restart Postgres.
 * Stopped (both) when the run ends. If one fails to start, the other is stopped first.
 * @throws InfraError from either.
 */
export async function privateInfra(): Promise<FaultInfra> {
  const [cluster, pg] = await Promise.allSettled([
    startKafkaCluster({ nodes: 3, basePort: PRIVATE_PORTS.kafka, fresh: true }),
    startPostgresServer({ port: PRIVATE_PORTS.postgres, fresh: true }),
  ]);
  if (cluster.status === 'rejected' || pg.status === 'rejected') {
    await Promise.allSettled([
      ...(cluster.status === 'fulfilled' ? [cluster.value.stop()] : []),
      ...(pg.status === 'fulfilled' ? [pg.value.stop()] : []),
    ]);
    throw cluster.status === 'rejected' ? cluster.reason : (pg as PromiseRejectedResult).reason;
  }
  const kafka = cluster.value;
  const server = pg.value;
  const url = server.url('lineage_faults');
  await ensureDatabase(url);
  return {
    kind: 'cluster',
    brokers: kafka.brokers,
    replicationFactor: Math.min(3, kafka.nodes.length),
    databaseUrl: url,
    brokerIds: kafka.nodes.map((n) => n.id),
    killBroker: (id) => kafka.kill(id),
    startBroker: (id) => kafka.start(id),
    waitInSync: (timeoutMs) => kafka.waitInSync(timeoutMs),
    canRestartPostgres: true,
    restartPostgres: () => server.restart('immediate'),
    stop: async () => {
      await Promise.allSettled([kafka.stop(), server.stop()]);
    },
  };
}
