// LINEAGE_INFRA=containers: Kafka and Postgres in Docker via testcontainers, for machines with a Docker engine.
import { KafkaContainer } from '@testcontainers/kafka';
import { PostgreSqlContainer } from '@testcontainers/postgresql';
import { BROKER_SETTINGS } from '@lineage/infra';

/** cp-kafka 7.8 is Apache Kafka 3.8; @testcontainers/kafka 10.x drives Confluent images only. */
const KAFKA_IMAGE = 'confluentinc/cp-kafka:7.8.0';
const POSTGRES_IMAGE = 'postgres:15';
/** The port @testcontainers/kafka exposes to the host for clients. */
const KAFKA_CLIENT_PORT = 9093;

/** Where the containers are, and how to remove them. */
export interface Containers {
  readonly brokers: string[];
  readonly databaseUrl: string;
  stop(): Promise<void>;
}

/**
 * Starts a single-node KRaft Kafka with the same broker settings as the local broker, and Postgres 15
 * with database `lineage_test`. If either fails, the other is stopped before the error propagates.
 */
export async function startContainers(): Promise<Containers> {
  const [kafka, postgres] = await Promise.allSettled([
    new KafkaContainer(KAFKA_IMAGE)
      .withKraft()
      .withEnvironment(confluentEnvironment(BROKER_SETTINGS))
      .start(),
    new PostgreSqlContainer(POSTGRES_IMAGE)
      .withDatabase('lineage_test')
      .withUsername('postgres')
      .withPassword('postgres')
      .start(),
  ]);
  if (kafka.status === 'rejected' || postgres.status === 'rejected') {
    await Promise.allSettled(
      [kafka, postgres].flatMap((started) =>
        started.status === 'fulfilled' ? [started.value.stop()] : [],
      ),
    );
    throw kafka.status === 'rejected' ? kafka.reason : (postgres as PromiseRejectedResult).reason;
  }
  return {
    brokers: [`${kafka.value.getHost()}:${kafka.value.getMappedPort(KAFKA_CLIENT_PORT)}`],
    databaseUrl: postgres.value.getConnectionUri(),
    stop: async () => {
      await Promise.all([kafka.value.stop(), postgres.value.stop()]);
    },
  };
}

/** Broker settings as cp-kafka environment: `a.b.c` → `KAFKA_A_B_C`. */
function confluentEnvironment(settings: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(settings).map(([key, value]) => [
      `KAFKA_${key.toUpperCase().replace(/\./g, '_')}`,
      value,
    ]),
  );
}
