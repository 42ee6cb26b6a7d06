import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { nodeEd25519, readKeyFile, readTrustStore } from '@lineage/keys';
import { loadPolicy } from '@lineage/policy';
import { consumerLagGauge, flagCheck, KAFKA_FLAGS, openServiceEdge } from '@lineage/runtime';
import type { FlagMap, RunningService, ServeRole } from '@lineage/runtime';
import { loadRuntimeManifest, runtimeHash } from './runtime.js';
import { startGovernance } from './service.js';
import type { GovernanceService } from './service.js';
import { governanceGauges, governanceTelemetry } from './telemetry.js';

/** Governance's command-line flags, each overriding a setting (`--config <file>` names the file). */
export const GOVERNANCE_FLAGS: FlagMap = {
  ...KAFKA_FLAGS,
  key: { path: 'keys.governanceKey' },
  trust: { path: 'keys.trustStore' },
  policy: { path: 'governance.policy' },
  group: { path: 'governance.group' },
  'state-dir': { path: 'governance.stateDir' },
  // State in memory, rebuilt from offset 0 on every acquisition: for comparison runs only.
  'memory-state': { path: 'governance.memoryState', boolean: true },
  'stats-interval': { path: 'governance.statsIntervalSeconds' },
  'session-timeout': { path: 'governance.sessionTimeoutMs' },
  port: { path: 'governance.port' },
};

/** A running governance role, and the instance it runs (its totals, owned partitions). */
export interface GovernanceRole extends RunningService {
  readonly service: GovernanceService;
}

/**
 * Runs a governance instance from `settings`, with `/healthz`, `/readyz` (broker answers, group
 * joined, partitions owned or awaited) and `/metrics` on `governance.port`.
 */
export const serveGovernance: ServeRole<GovernanceRole> = async (settings, logger) => {
  const { kafka: k, governance: g } = settings;
  const edge = openServiceEdge(settings, 'governance', logger);
  const { registry, topics, admin } = edge;
  const manifest = await loadRuntimeManifest();
  // The manifest whose hash every attestation of this process names as `runtime_hash`.
  logger.info({ manifest, runtimeHash: runtimeHash(manifest) }, 'runtime manifest');
  const stateDir = g.memoryState
    ? undefined
    : g.stateDir || join('.lineage', 'governance', g.group);
  const started = flagCheck('group', 'joining');
  const ops = await edge.serveOps(g.port, [started]);
  const service = await edge.untilKafkaAnswers(async () =>
    startGovernance({
      kafka: edge.kafka,
      topics,
      groupId: g.group,
      key: await readKeyFile(settings.keys.governanceKey),
      trust: await readTrustStore(settings.keys.trustStore),
      policy: loadPolicy(JSON.parse(await readFile(g.policy, 'utf8'))),
      ed25519: nodeEd25519(),
      runtimeHash: runtimeHash(manifest),
      partitions: k.partitions,
      sessionTimeoutMs: g.sessionTimeoutMs,
      stateDir,
      observer: governanceTelemetry({ registry, groupId: g.group }),
      log: (msg, fields) => logger.info(fields ?? {}, msg),
    }),
  );
  started.set(true);
  governanceGauges(registry, stateDir, () => service.partitions());
  consumerLagGauge(registry, admin, [
    { group: g.group, topic: topics.intents },
    { group: g.group, topic: topics.overrides },
  ]);
  const stats = statsTimer(logger, g.statsIntervalSeconds, () => ({
    stats: service.stats,
    partitions: service.partitions(),
  }));
  logger.info({ port: ops.port }, 'governance health and metrics listening');
  return {
    name: 'governance',
    port: ops.port,
    service,
    stop: async () => {
      clearInterval(stats);
      started.set(false);
      // The batch in flight commits (or aborts), then the consumer leaves the group.
      await service.stop();
      logger.info({ stats: service.stats }, 'governance stopped');
      await edge.close();
    },
  };
};

/** Totals and memory now and then: what an operator watches for leaks and stalls. */
function statsTimer(
  logger: Logger,
  seconds: number,
  fields: () => object,
): NodeJS.Timeout | undefined {
  if (seconds <= 0) return undefined;
  const timer = setInterval(() => {
    const { rss, heapUsed, external } = process.memoryUsage();
    logger.info({ ...fields(), rss, heapUsed, external }, 'stats');
  }, seconds * 1000);
  timer.unref();
  return timer;
}
