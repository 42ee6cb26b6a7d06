// End-to-end benchmark: governance against a bare kafkajs relay, an exactly-once relay (the
// project's transactional path, forwarding) and the Ed25519 floor, on the same broker with the same
// record bytes. The publisher and observer run in a child process (lib/load.ts), governance and the
// relays in this one. `pnpm bench:e2e`; settings in lib/config.ts. It ends with `ratio`,
// `ratio_eos`, `ratio_floor`, `p99_ratio_eos`, `eos_p99_ratio` and `cpu_us_per_intent` lines.
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
import type { GovernanceService } from '@lineage/governance';
import { readConfig } from './lib/config.js';
import type { BenchConfig } from './lib/config.js';
import { cpuMeter } from './lib/cpu.js';
import type { CpuSpan } from './lib/cpu.js';
import { startEosRelay } from './lib/eos-relay.js';
import { measureFloor } from './lib/floor.js';
import { drainProfiler } from './lib/profile.js';
import { measurePipeline } from './lib/measure.js';
import type { PipelineSpec, Workload } from './lib/measure.js';
import { formatFigures, formatReport } from './lib/report.js';
import { startRelay } from './lib/relay.js';
import type { Relay, RelayOptions } from './lib/relay.js';
import { benchGrant, buildRecords } from './lib/workload.js';

const BENCH_POLICY = {
  id: 'bench',
  version: 1,
  allow: [{ id: 'all', agents: ['*'], actions: ['read.*'] }],
  deny: [],
};

/** What governance did while it drained its backlog: main-thread and process CPU, intents. */
interface DrainCpu {
  span?: CpuSpan;
  intents: number;
}

async function governanceSpec(
  kafka: Kafka,
  topics: TopicNames,
  config: BenchConfig,
  groupId: string,
  agentKey: KeyPair,
  principalKey: KeyPair,
  cpu: DrainCpu,
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
  let service: GovernanceService | undefined;
  let meter: (() => CpuSpan) | undefined;
  let decidedBefore = 0;
  const profiler = drainProfiler();
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
      const started = await startGovernance({
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
      service = started;
      return async () => {
        await started.stop();
        if (stateDir !== undefined) await rm(stateDir, { recursive: true, force: true });
      };
    },
    onDrainStart: () => {
      profiler.start();
      meter = cpuMeter();
      decidedBefore = service!.stats.attestations;
    },
    onDrained: () => {
      cpu.span = meter!();
      cpu.intents = service!.stats.attestations - decidedBefore;
      profiler.stop();
    },
    check: (published) => {
      // Every intent must have become exactly one allow attestation: no dead letter, no redelivery.
      const s = service!.stats;
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
  name: string,
  run: (options: RelayOptions) => Promise<Relay>,
  options: RelayOptions,
): PipelineSpec {
  let relayed = () => 0;
  return {
    name,
    inputTopic: options.from,
    outputTopic: options.to,
    start: async () => {
      const relay = await run(options);
      relayed = relay.relayed;
      return () => relay.stop();
    },
    check: (published) => {
      if (relayed() !== published)
        throw new Error(`${name}: ${published} published but ${relayed()} relayed`);
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

/** The same signed records for every pipeline: the agent's cost, paid before any clock starts. */
function buildWorkload(config: BenchConfig, agentKey: KeyPair, principalKey: KeyPair): Workload {
  // Every root intent carries the principal's grant, as real roots do; governance verifies it.
  const grant = benchGrant(agentKey, principalKey, BENCH_POLICY.id);
  return {
    warmup: buildRecords(config.warmup, agentKey.signer, grant),
    throughput: buildRecords(config.n, agentKey.signer, grant, config.warmup),
    latency: buildRecords(config.latencyN, agentKey.signer, grant, config.warmup + config.n),
  };
}

function sizes(workload: Workload): { min: number; mean: number; max: number } {
  const all = [...workload.warmup, ...workload.throughput, ...workload.latency].map(
    (r) => r.value.length,
  );
  return {
    min: all.reduce((a, b) => Math.min(a, b)),
    mean: all.reduce((a, b) => a + b, 0) / all.length,
    max: all.reduce((a, b) => Math.max(a, b)),
  };
}

async function runAll(kafka: Kafka, brokers: string[], config: BenchConfig, prefix: string) {
  const [gov, relay, eos] = ['gov-', 'relay-', 'eos-'].map((p) => topicNames(`${prefix}${p}`));
  // Every pipeline's topics alike: same partitions and settings.
  for (const t of [gov!, relay!, eos!])
    await ensureTopics(kafka, t, { partitions: config.partitions });
  const agentKey = generateKeyPair();
  const principalKey = generateKeyPair();
  const workload = buildWorkload(config, agentKey, principalKey);
  const cpu: DrainCpu = { intents: 0 };
  try {
    const spec = await governanceSpec(
      kafka,
      gov!,
      config,
      `${prefix}governance`,
      agentKey,
      principalKey,
      cpu,
    );
    const governance = await measurePipeline(brokers, spec, workload, config);
    const relayOf = (t: TopicNames, group: string): RelayOptions => ({
      groupId: `${prefix}${group}`,
      from: t.intents,
      to: t.attestations,
      partitions: config.partitions,
    });
    const bareSpec = relaySpec('bare relay', (o) => startRelay(kafka, o), relayOf(relay!, 'relay'));
    const bare = await measurePipeline(brokers, bareSpec, workload, config);
    const eosSpec = relaySpec(
      'exactly-once relay',
      (o) => startEosRelay(kafka, o),
      relayOf(eos!, 'eos'),
    );
    const exactlyOnce = await measurePipeline(brokers, eosSpec, workload, config);
    // The floor last, with the broker idle: one core verifying and signing what governance does.
    const floor = measureFloor(workload.throughput, agentKey.publicKey, governance.outputBytes);
    return { governance, bare, eos: exactlyOnce, floor, cpu, workload };
  } finally {
    const topics = [gov!, relay!, eos!].flatMap((t) => Object.values(t));
    await deleteTopics(kafka, topics).catch((error: unknown) => {
      console.error('could not delete the benchmark topics:', error);
    });
  }
}

async function main(): Promise<void> {
  const began = performance.now();
  const config = readConfig();
  const broker = await startKafka();
  try {
    const kafka = createKafka({ brokers: broker.brokers, clientId: 'lineage-bench' });
    const prefix = `bench-${randomUUID().slice(0, 8)}-`;
    const r = await runAll(kafka, broker.brokers, config, prefix);
    const facts = {
      config,
      recordBytes: sizes(r.workload),
      keyBytes: Buffer.byteLength(r.workload.throughput[0]?.id ?? ''),
      brokers: broker.brokers,
      brokerOwned: broker.owned,
    };
    const rows = [
      { unit: 'intents', result: r.governance },
      { unit: 'msgs', result: r.bare },
      { unit: 'msgs', result: r.eos },
    ];
    console.log(formatReport(facts, rows));
    console.log(
      `\nrss ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MiB, wall time ${((performance.now() - began) / 1000).toFixed(1)} s`,
    );
    const span = r.cpu.span ?? { mainMs: Number.NaN, processMs: Number.NaN };
    console.log(
      formatFigures({
        ...r,
        cpuUsPerIntent: (span.mainMs * 1000) / r.cpu.intents,
        processUsPerIntent: (span.processMs * 1000) / r.cpu.intents,
      }),
    );
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
