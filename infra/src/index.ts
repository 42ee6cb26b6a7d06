export { InfraError } from './errors.js';
export type { InfraErrorCode } from './errors.js';
export {
  DEFAULT_CONTROLLER_PORT,
  DEFAULT_KAFKA_PORT,
  kafkaBrokers,
  kafkaStatus,
  startKafka,
  stopKafka,
} from './kafka.js';
export type { KafkaHandle, KafkaOptions, KafkaStatus } from './kafka.js';
export { BROKER_SETTINGS } from './broker-config.js';
export { kafkaClusterStatus, openKafkaCluster, startKafkaCluster } from './cluster.js';
export type { ClusterNodeStatus, KafkaCluster, KafkaClusterNode } from './cluster.js';
export { DEFAULT_CLUSTER_PORT } from './cluster-layout.js';
export type { KafkaClusterOptions } from './cluster-layout.js';
// The database URL default and creation moved to `@lineage/runtime` (services need them at run time).
export { DEFAULT_POSTGRES, databaseUrl, ensureDatabase } from '@lineage/runtime';
export { DEFAULT_PG_SERVER_PORT, startPostgresServer } from './pgserver.js';
export type { PostgresServer, PostgresServerOptions } from './pgserver.js';
export { startEmbeddedPostgres } from './embedded-postgres.js';
export type { EmbeddedPostgres, EmbeddedPostgresOptions } from './embedded-postgres.js';
export { libpqUrl, resolveDatabase } from './resolve-database.js';
export type { ResolveDatabaseOptions, ResolvedDatabase } from './resolve-database.js';
