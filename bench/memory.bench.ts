// Memory benchmark: one governance process (its real entry point, as deployed) decides a long
// stream of root intents while its resident set size is sampled. `pnpm bench:memory`; settings:
// BENCH_MEMORY_N (200000 intents), BENCH_PARTITIONS (6), BENCH_MEMORY_MODES ("store", or
// "store,memory" to also run the in-memory state the store replaces, in the same run).
// Prints RSS and heap at the start, middle and end of each run (medians of the samples taken over
// 5–15%, 45–55% and 90–100% of the intents), the peak, and the growth per 100k intents.
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Admin, Producer } from 'kafkajs';
import { startKafka } from '@lineage/infra';
import { createKafka, ensureTopics, topicNames } from '@lineage/kafka';
import type { TopicNames } from '@lineage/kafka';
import { generateKeyPair, trustedKey, writeKeyFile, writeTrustStore } from '@lineage/keys';
import { benchGrant, buildRecords } from './lib/workload.js';

const GOVERNANCE = fileURLToPath(new URL('../services/governance/src/main.ts', import.meta.url));
const N = Number(process.env.BENCH_MEMORY_N ?? 200_000);
const PARTITIONS = Number(process.env.BENCH_PARTITIONS ?? 6);
const MODES = (process.env.BENCH_MEMORY_MODES ?? 'store').split(',') as ('store' | 'memory')[];
/** Intents signed and published per step; the publisher stays at most AHEAD intents ahead. */
const CHUNK = 2_000;
const AHEAD = 10_000;
const POLICY = {
  id: 'bench',
  version: 1,
  allow: [{ id: 'all', agents: ['*'], actions: ['read.*'] }],
  deny: [],
};

interface Sample {
  decided: number;
  rss: number;
  heapUsed: number;
}

/** Resident set size of a process, from /proc (Linux). */
async function rssOf(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kb = /VmRSS:\s+(\d+) kB/.exec(status)?.[1];
  return kb === undefined ? 0 : Number(kb) * 1024;
}

/** Intents decided: the governance group's committed offsets on the intents topic. */
async function decided(admin: Admin, groupId: string, topic: string): Promise<number> {
  const [t] = await admin.fetchOffsets({ groupId, topics: [topic] });
  return (t?.partitions ?? []).reduce((n, p) => n + Math.max(0, Number(p.offset)), 0);
}

async function run(mode: 'store' | 'memory', brokers: string[], dir: string): Promise<Sample[]> {
  const prefix = `bench-mem-${randomUUID().slice(0, 8)}-`;
  const topics: TopicNames = topicNames(prefix);
  const kafka = createKafka({ brokers, clientId: `bench-${prefix}` });
  await ensureTopics(kafka, topics, { partitions: PARTITIONS });
  const governanceKey = generateKeyPair();
  const agent = generateKeyPair();
  const principal = generateKeyPair();
  await writeKeyFile(join(dir, `${mode}.key`), governanceKey);
  await writeTrustStore(join(dir, `${mode}.trust.json`), {
    version: 1,
    keys: [
      trustedKey(governanceKey, ['governance'], { name: 'governance' }),
      trustedKey(agent, ['agent'], { name: 'agent' }),
      trustedKey(principal, ['principal'], { name: 'principal' }),
    ],
  });
  await writeFile(join(dir, 'policy.json'), JSON.stringify(POLICY));
  const groupId = `${prefix}governance`;
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      GOVERNANCE,
      ...['--brokers', brokers.join(',')],
      ...['--key', join(dir, `${mode}.key`)],
      ...['--trust', join(dir, `${mode}.trust.json`)],
      ...['--policy', join(dir, 'policy.json')],
      ...['--topic-prefix', prefix],
      ...['--group', groupId],
      ...['--partitions', String(PARTITIONS)],
      ...['--stats-interval', '1'],
      ...(mode === 'store' ? ['--state-dir', join(dir, `${mode}-state`)] : ['--memory-state']),
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  // The newest heap figure from the process's own `stats` log line.
  let heapUsed = 0;
  let pending = '';
  child.stdout.on('data', (chunk: Buffer) => {
    pending += chunk.toString('utf8');
    const lines = pending.split('\n');
    pending = lines.pop()!;
    for (const line of lines) {
      const m = /"heapUsed":(\d+)/.exec(line);
      if (m) heapUsed = Number(m[1]);
    }
  });
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));

  const admin = kafka.admin();
  await admin.connect();
  const producer: Producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  const grant = benchGrant(agent, principal, POLICY.id);

  const samples: Sample[] = [];
  const started = Date.now();
  let published = 0;
  let done = 0;
  let nextReport = 0;
  try {
    while (done < N) {
      if (child.exitCode !== null) throw new Error(`governance exited ${child.exitCode}`);
      done = await decided(admin, groupId, topics.intents);
      if (published < N && published - done < AHEAD) {
        const count = Math.min(CHUNK, N - published);
        const records = buildRecords(count, agent.signer, grant, published);
        await producer.send({
          topic: topics.intents,
          acks: -1,
          messages: records.map((r) => ({ key: r.id, value: r.value })),
        });
        published += count;
        continue;
      }
      if (heapUsed > 0) samples.push({ decided: done, rss: await rssOf(child.pid!), heapUsed });
      while (done >= nextReport) {
        const s = samples.at(-1);
        console.error(
          `  ${mode}: ${done}/${N} decided, rss ${mb(s?.rss ?? 0)}, heap ${mb(s?.heapUsed ?? 0)}, ${((Date.now() - started) / 1000).toFixed(0)} s`,
        );
        nextReport += N / 10;
      }
      await new Promise((r) => setTimeout(r, 500));
    }
    // One last sample once everything is decided and the stats line has caught up.
    await new Promise((r) => setTimeout(r, 1_500));
    samples.push({ decided: done, rss: await rssOf(child.pid!), heapUsed });
  } finally {
    child.kill('SIGTERM');
    await exited;
    await producer.disconnect();
    await admin.disconnect();
  }
  return samples;
}

const mb = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MB`;

/**
 * The median sample (by RSS; heap likewise, separately) among those taken while the run was between
 * `from` and `to` of its intents: one sample can catch a collection or a LevelDB compaction mid-way.
 */
function window(samples: Sample[], from: number, to: number): Sample {
  const inside = samples.filter((s) => s.decided >= from * N && s.decided <= to * N);
  const median = (values: number[]) =>
    values.sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;
  return {
    decided: median(inside.map((s) => s.decided)),
    rss: median(inside.map((s) => s.rss)),
    heapUsed: median(inside.map((s) => s.heapUsed)),
  };
}

const kafka = await startKafka();
const dir = await mkdtemp(join(tmpdir(), 'lineage-bench-memory-'));
try {
  console.log(`memory: ${N} root intents, ${PARTITIONS} partitions, governance as a process`);
  for (const mode of MODES) {
    const samples = await run(mode, kafka.brokers, dir);
    const [start, middle, end] = [
      window(samples, 0.05, 0.15),
      window(samples, 0.45, 0.55),
      window(samples, 0.9, 1),
    ];
    // After warm-up: from the middle of the run to its end.
    const growth = ((end.rss - middle.rss) / (end.decided - middle.decided)) * 100_000;
    const peak = Math.max(...samples.map((s) => s.rss));
    console.log(
      `${mode.padEnd(6)} rss start ${mb(start.rss)} (${start.decided}) middle ${mb(middle.rss)} (${middle.decided}) end ${mb(end.rss)} (${end.decided}) peak ${mb(peak)}; heap start ${mb(start.heapUsed)} middle ${mb(middle.heapUsed)} end ${mb(end.heapUsed)}; rss growth middle→end ${mb(growth)} per 100k intents`,
    );
  }
} finally {
  await rm(dir, { recursive: true, force: true });
  await kafka.stop();
}
