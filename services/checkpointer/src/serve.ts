import { Gauge } from 'prom-client';
import type { Registry } from 'prom-client';
import { nodeEd25519, readKeyFile } from '@lineage/keys';
import { flagCheck, KAFKA_FLAGS, openServiceEdge } from '@lineage/runtime';
import type { FlagMap, RunningService, ServeRole } from '@lineage/runtime';
import { startCheckpointer } from './service.js';
import type { CheckpointerService } from './service.js';

/** The checkpointer's command-line flags, each overriding a setting (`--config <file>` names the file). */
export const CHECKPOINTER_FLAGS: FlagMap = {
  ...KAFKA_FLAGS,
  key: { path: 'keys.governanceKey' },
  every: { path: 'checkpointer.every' },
  interval: { path: 'checkpointer.intervalSeconds' },
  witnesses: { path: 'checkpointer.witnesses' },
  port: { path: 'checkpointer.port' },
};

/** A running checkpointer role, and the checkpointer it runs (its totals). */
export interface CheckpointerRole extends RunningService {
  readonly service: CheckpointerService;
}

/**
 * Runs the checkpointer from `settings`, with `/healthz`, `/readyz` (broker answers, ledger folded)
 * and `/metrics` (checkpoint size and age per partition) on `checkpointer.port`.
 */
export const serveCheckpointer: ServeRole<CheckpointerRole> = async (settings, logger) => {
  const { kafka: k, checkpointer: c } = settings;
  const edge = openServiceEdge(settings, 'checkpointer', logger);
  const key = await readKeyFile(settings.keys.governanceKey);
  const folded = flagCheck('ledger', 'folding');
  const ops = await edge.serveOps(c.port, [folded]);
  const publishedAt = new Map<number, number>();
  const service = await edge.untilKafkaAnswers(() =>
    startCheckpointer({
      kafka: edge.kafka,
      topics: edge.topics,
      key,
      ed25519: nodeEd25519(),
      every: c.every,
      intervalMs: c.intervalSeconds * 1000,
      partitions: k.partitions,
      witnesses: c.witnesses.split(',').filter((w) => w.length > 0),
      log: (msg, fields) => {
        if (msg === 'checkpoint published' && typeof fields?.partition === 'number')
          publishedAt.set(fields.partition, Date.now());
        logger.info(fields ?? {}, msg);
      },
    }),
  );
  folded.set(true);
  checkpointGauges(edge.registry, service, publishedAt);
  logger.info(
    { every: c.every, interval: c.intervalSeconds, port: ops.port },
    'checkpointer started',
  );
  return {
    name: 'checkpointer',
    port: ops.port,
    service,
    stop: async () => {
      // What is pending is published, then the consumer leaves its group.
      await service.stop();
      logger.info({ stats: service.stats }, 'checkpointer stopped');
      await edge.close();
    },
  };
};

/** Per partition: the size of its last signed checkpoint, and the seconds since this process published one. */
function checkpointGauges(
  registry: Registry,
  service: CheckpointerService,
  publishedAt: ReadonlyMap<number, number>,
): void {
  new Gauge({
    name: 'lineage_checkpoint_tree_size',
    help: 'Attestations covered by the last signed checkpoint of each partition',
    labelNames: ['partition'],
    registers: [registry],
    collect() {
      for (const [p, size] of Object.entries(service.stats.checkpointed))
        this.set({ partition: p }, size);
    },
  });
  new Gauge({
    name: 'lineage_checkpoint_age_seconds',
    help: 'Seconds since this checkpointer last published a checkpoint of each partition',
    labelNames: ['partition'],
    registers: [registry],
    collect() {
      const now = Date.now();
      for (const [p, at] of publishedAt) this.set({ partition: String(p) }, (now - at) / 1000);
    },
  });
  new Gauge({
    name: 'lineage_checkpoint_broken_partitions',
    help: 'Partitions refused checkpoints (a broken chain or a checkpoint that is not a prefix)',
    registers: [registry],
    collect() {
      this.set(Object.keys(service.stats.broken).length);
    },
  });
}
