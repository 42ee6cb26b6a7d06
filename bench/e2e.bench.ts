// End-to-end benchmark: the governance pipeline against a bare kafkajs relay on the same broker,
// with the same record bytes. `pnpm bench:e2e`; settings in lib/config.ts. The last line is
// `ratio <governance intents/s ÷ relay msgs/s>`.
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Kafka } from 'kafkajs';
import { startKafka } from '@lineage/infra';
import { createKafka, ensureTopics, topicNames } from '@lineage/kafka';
import type { TopicNames } from '@lineage/kafka';
import { generateKeyPair, nodeEd25519, trustedKey } from '@lineage/keys';
import type { KeyPair } from '@lineage/keys';
import { loadTrustStore } from '@lineage/protocol';
import { loadPolicy } from '@lineage/policy';
import { loadRuntimeManifest, runtimeHash, startGovernance } from '@lineage/governance';
import { readConfig } from './lib/config.js';
import type { BenchConfig } from './lib/config.js';
import { measurePipeline } from './lib/measure.js';
import type { PipelineSpec, Workload } from './lib/measure.js';
import { formatReport } from './lib/report.js';
import { startRelay } from './lib/relay.js';
import { benchGrant, buildRecords } from './lib/workload.js';

const BENCH_POLICY = {
  id: 'bench',
  version: 1,
  allow: [{ id: 'all', agents: ['*'], actions: ['read.*'] }],
  deny: [],
};

async function governanceSpec(
  kafka: Kafka,
  topics: TopicNames,
  config: BenchConfig,
  groupId: string,
  agentKey: KeyPair,
  principalKey: KeyPair,
): Promise<PipelineSpec> {
  const key = generateKeyPair();
  const trust = loadTrustStore({
    version: 1,
    keys: [
      trustedKey(key, ['governance'], { name: 'governance' }),
      trustedKey(agentKey, ['agent'], { name: 'bench-agent' }),
      trustedKey(principalKey, ['principal'], { name: 'bench-principal' }),
    ],
  });
  const policy = loadPolicy(BENCH_POLICY);
  const hash = runtimeHash(await loadRuntimeManifest());
  let stats:
    | { attestations: number; allowed: number; deadLetters: number; redeliveries: number }
    | undefined;
  return {
    name: 'governance',
    inputTopic: topics.intents,
    outputTopic: topics.attestations,
    start: async () => {
      // As deployed: the replay state in the instance's own state store on disk
      // (BENCH_STATE=memory keeps it in memory instead, for comparison).
      const stateDir =
        process.env.BENCH_STATE === 'memory'
          ? undefined
          : await mkdtemp(join(tmpdir(), 'lineage-bench-state-'));
      const service = await startGovernance({
        kafka,
        topics,
        groupId,
        key,
        trust,
        policy,
        ed25519: nodeEd25519(),
        runtimeHash: hash,
        partitions: config.partitions,
        stateDir,
      });
      stats = service.stats;
      return async () => {
        await service.stop();
        if (stateDir !== undefined) await rm(stateDir, { recursive: true, force: true });
      };
    },
    check: (published) => {
      // Every intent must have become exactly one allow attestation: no dead letter, no redelivery.
      const s = stats!;
      if (
        s.attestations !== published ||
        s.allowed !== published ||
        s.deadLetters !== 0 ||
        s.redeliveries !== 0
      ) {
        throw new Error(
          `governance: ${published} intents published but stats say ${JSON.stringify(s)}`,
        );
      }
    },
  };
}

function relaySpec(
  kafka: Kafka,
  from: string,
  to: string,
  config: BenchConfig,
  groupId: string,
): PipelineSpec {
  let relayed = () => 0;
  return {
    name: 'bare relay',
    inputTopic: from,
    outputTopic: to,
    start: async () => {
      const relay = await startRelay(kafka, { groupId, from, to, partitions: config.partitions });
      relayed = relay.relayed;
      return () => relay.stop();
    },
    check: (published) => {
      if (relayed() !== published)
        throw new Error(`bare relay: ${published} published but ${relayed()} relayed`);
    },
  };
}

async function deleteTopics(kafka: Kafka, topics: string[]): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.deleteTopics({ topics });
  } finally {
    await admin.disconnect();
  }
}

async function main(): Promise<void> {
  const began = performance.now();
  const config = readConfig();
  const broker = await startKafka();
  try {
    const kafka = createKafka({ brokers: broker.brokers, clientId: 'lineage-bench' });
    const prefix = `bench-${randomUUID().slice(0, 8)}-`;
    const gov = topicNames(`${prefix}gov-`);
    const relay = topicNames(`${prefix}relay-`);
    // Both pipelines' topics alike: same partitions and settings.
    await ensureTopics(kafka, gov, { partitions: config.partitions });
    await ensureTopics(kafka, relay, { partitions: config.partitions });

    // The agent signs before any clock starts; both pipelines get the very same bytes.
    const agentKey = generateKeyPair();
    // Every root intent carries the principal's grant, as real roots do; governance verifies it.
    const principalKey = generateKeyPair();
    const grant = benchGrant(agentKey, principalKey, BENCH_POLICY.id);
    const workload: Workload = {
      warmup: buildRecords(config.warmup, agentKey.signer, grant),
      throughput: buildRecords(config.n, agentKey.signer, grant, config.warmup),
      latency: buildRecords(config.latencyN, agentKey.signer, grant, config.warmup + config.n),
    };
    const sizes = [...workload.warmup, ...workload.throughput, ...workload.latency].map(
      (r) => r.value.length,
    );
    const recordBytes = {
      min: sizes.reduce((a, b) => Math.min(a, b)),
      mean: sizes.reduce((a, b) => a + b, 0) / sizes.length,
      max: sizes.reduce((a, b) => Math.max(a, b)),
    };

    try {
      const governance = await measurePipeline(
        kafka,
        await governanceSpec(kafka, gov, config, `${prefix}governance`, agentKey, principalKey),
        workload,
        config,
      );
      const bare = await measurePipeline(
        kafka,
        relaySpec(kafka, relay.intents, relay.attestations, config, `${prefix}relay`),
        workload,
        config,
      );

      console.log(
        formatReport(
          {
            config,
            recordBytes,
            keyBytes: Buffer.byteLength(workload.throughput[0]?.id ?? ''),
            brokers: broker.brokers,
            brokerOwned: broker.owned,
          },
          [
            { unit: 'intents', result: governance },
            { unit: 'msgs', result: bare },
          ],
        ),
      );
      console.log(
        `\nrss ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MiB, wall time ${((performance.now() - began) / 1000).toFixed(1)} s`,
      );
      console.log(`ratio ${(governance.perSecond / bare.perSecond).toFixed(3)}`);
    } finally {
      await deleteTopics(kafka, [...Object.values(gov), ...Object.values(relay)]).catch(
        (error: unknown) => {
          console.error('could not delete the benchmark topics:', error);
        },
      );
    }
  } finally {
    if (broker.owned) await broker.stop();
  }
}

main().then(
  () => process.exit(process.exitCode ?? 0),
  (error: unknown) => {
    console.error('benchmark failed:', error);
    process.exit(1);
  },
);
