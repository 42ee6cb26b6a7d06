import type { Kafka } from 'kafkajs';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { createKafka, topicNames, untilKafkaAnswers } from '@lineage/kafka';
import type { TopicNames } from '@lineage/kafka';
import type { Settings } from '../settings.js';
import { kafkaLog } from './logger.js';
import { brokerCheck, createRegistry, lazyAdmin } from './metrics.js';
import type { LazyAdmin } from './metrics.js';
import { startOpsServer } from './server.js';
import type { OpsServer, ReadinessCheck } from './server.js';

/** What a role that reads Kafka opens before its service: metrics, a client, topics and an admin. */
export interface ServiceEdge {
  /** The process's metrics and the broker answers kafkajs retried (`lineage_kafka_*`). */
  readonly registry: Registry;
  /** Client `lineage-<role>` on `kafka.brokers`, logging to the role's logger. */
  readonly kafka: Kafka;
  readonly topics: TopicNames;
  /** For readiness and lag gauges, connected on first use. */
  readonly admin: LazyAdmin;
  /** Starts `/healthz`, `/readyz` (the broker answers, then `checks`) and `/metrics` on `port`. */
  serveOps(port: number, checks: readonly ReadinessCheck[]): Promise<OpsServer>;
  /**
   * Runs `start` again while the cluster does not answer (one broker may be down while a role
   * starts); when it fails for good, closes the edge and rethrows.
   */
  untilKafkaAnswers<T>(start: () => Promise<T>): Promise<T>;
  /** Closes the ops server (once started) and the admin client. */
  close(): Promise<void>;
}

/**
 * Opens a role's edge from `settings`: one registry, one Kafka client whose retried answers are
 * counted and logged at debug, the topic names under `kafka.topicPrefix`, and a lazy admin.
 */
export function openServiceEdge(settings: Settings, role: string, logger: Logger): ServiceEdge {
  const registry = createRegistry();
  const kafka = createKafka({
    brokers: settings.kafka.brokers.split(','),
    clientId: `lineage-${role}`,
    log: kafkaLog(registry, logger),
  });
  const admin = lazyAdmin(kafka);
  let ops: OpsServer | undefined;
  const close = async (): Promise<void> => {
    await Promise.all([ops?.close(), admin.close()]);
  };
  return {
    registry,
    kafka,
    topics: topicNames(settings.kafka.topicPrefix),
    admin,
    serveOps: async (port, checks) =>
      (ops = await startOpsServer({
        port,
        host: settings.ops.host,
        registry,
        checks: [brokerCheck(admin), ...checks],
      })),
    untilKafkaAnswers: (start) =>
      untilKafkaAnswers(start, {
        onRetry: (error, attempt, delayMs) =>
          logger.warn({ error: String(error), attempt, delayMs }, 'kafka unavailable, retrying'),
      }).catch(async (error: unknown) => {
        await close();
        throw error;
      }),
    close,
  };
}
