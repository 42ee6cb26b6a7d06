import { Counter } from 'prom-client';
import {
  consumerLagGauge,
  ensureDatabase,
  flagCheck,
  KAFKA_FLAGS,
  openServiceEdge,
} from '@lineage/runtime';
import type { FlagMap, ServeRole } from '@lineage/runtime';
import { createPool, readOffsets } from '@lineage/store';
import { describeError, untilPostgresAnswers } from './availability.js';
import { startProjector } from './service.js';

/** The projector's command-line flags, each overriding a setting (`--config <file>` names the file). */
export const PROJECTOR_FLAGS: FlagMap = {
  ...KAFKA_FLAGS,
  'database-url': { path: 'postgres.url' },
  schema: { path: 'postgres.schema' },
  group: { path: 'projector.group' },
  'session-timeout': { path: 'projector.sessionTimeoutMs' },
  port: { path: 'projector.port' },
};

/**
 * Runs a projector from `settings`, with `/healthz`, `/readyz` (broker and Postgres answer, group
 * joined) and `/metrics` (`lineage_projector_*`) on `projector.port`. A projection that stops on an
 * error it cannot restart from ends the process (exit 1), for its supervisor to restart.
 */
// Over 60 lines: start-up wiring in order (metrics, pool, Kafka, ops server, projections).
export const serveProjector: ServeRole = async (settings, logger) => {
  const { kafka: k, postgres, projector: p } = settings;
  const edge = openServiceEdge(settings, 'projector', logger);
  const { registry, topics } = edge;
  // A projector started while Postgres restarts waits for it instead of exiting.
  const waitForPostgres = <T>(work: () => Promise<T>): Promise<T> =>
    untilPostgresAnswers(work, {
      onRetry: (error, attempt, delayMs) =>
        logger.warn(
          { ...describeError(error), attempt, delayMs },
          'postgres unavailable, retrying',
        ),
    });
  await waitForPostgres(() => ensureDatabase(postgres.url));
  const pool = createPool(postgres.url, {
    // A connection lost mid-batch rolls the batch back; it is retried once Postgres answers.
    onConnectionError: (error) => logger.warn(describeError(error), 'postgres connection lost'),
  });
  const started = flagCheck('group', 'joining');
  const ops = await edge.serveOps(p.port, [
    { name: 'postgres', check: async () => void (await pool.query('SELECT 1')) },
    started,
  ]);
  const records = new Counter({
    name: 'lineage_projector_records_total',
    help: 'Attestation records projected into Postgres (rate() is rows per second)',
    registers: [registry],
  });
  const projector = await waitForPostgres(() =>
    startProjector({
      kafka: edge.kafka,
      pool,
      schema: postgres.schema,
      topics,
      groupId: p.group,
      partitions: k.partitions,
      // A killed instance's partitions move to the others once its session times out.
      consumer: {
        sessionTimeout: p.sessionTimeoutMs,
        heartbeatInterval: Math.max(100, Math.floor(p.sessionTimeoutMs / 10)),
      },
      onBatch: (batch) => records.inc(batch.projected),
      log: (msg, fields) =>
        msg === 'record skipped' ? logger.warn(fields ?? {}, msg) : logger.info(fields ?? {}, msg),
      onCrash: (error) => {
        logger.error({ err: error }, 'projection crashed');
        void pool.end().finally(() => process.exit(1));
      },
    }),
  ).catch(async (error: unknown) => {
    await Promise.all([edge.close(), pool.end()]);
    throw error;
  });
  started.set(true);
  // Positions live in Postgres with the rows, under the projection's name (the group id).
  const positions = (topic: string) => () => readOffsets(pool, postgres.schema, p.group, topic);
  consumerLagGauge(
    registry,
    edge.admin,
    [topics.attestations, topics.policies, topics.checkpoints].map((topic) => ({
      group: p.group,
      topic,
      positions: positions(topic),
    })),
    'lineage_projector_lag_records',
  );
  logger.info({ port: ops.port }, 'projector health and metrics listening');
  return {
    name: 'projector',
    port: ops.port,
    stop: async () => {
      started.set(false);
      // The batch in flight commits (or rolls back), then the consumers leave their groups.
      await projector.stop();
      await edge.close();
      await pool.end();
    },
  };
};
