// Projection lag benchmark: the projector service (`startProjector`, its real consumer, write path
// and Merkle tree upkeep) folds a fresh attestations topic fed at a fixed rate, and the lag — records
// appended but not yet projected, and the age of the oldest of them — is sampled every 250 ms.
// `pnpm bench:projection`; settings BENCH_PROJECTION_RATE (records/s, default 3,000),
// BENCH_PROJECTION_SECONDS (default 20), BENCH_PROJECTION_PARTITIONS (default 6, as the topics
// governance creates; records go round-robin, as governance's outputs follow its intents' keys;
// 1 is the projector's worst case: no partition runs beside another), BENCH_EMBED_INTENT=1 (records
// embed the agent-signed intent, as governance's do). Records are signed before any clock.
// Last lines: `lag_max_records <n>`, `lag_max_s <s>`, `lag_last_quarter_max_s <s>` (while sending).
import { randomUUID } from 'node:crypto';
import { loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Producer } from 'kafkajs';
import { databaseUrl, ensureDatabase, startKafka } from '@lineage/infra';
import { createKafka, ensureTopics, topicNames } from '@lineage/kafka';
import { startProjector } from '@lineage/projector';
import { createPool, quoteSchema } from '@lineage/store';
import { DEFAULT_SHAPE, GraphDrawer } from './lib/query-graph.js';
import { seededRandom } from '@lineage/testkit';
import { onSchedule } from './lib/publish.js';
import { RecordMaker } from './lib/query-records.js';

const env = (name: string, fallback: number): number => {
  const value = Number(process.env[name] ?? fallback);
  if (!Number.isFinite(value) || value <= 0) throw new RangeError(`${name} must be > 0`);
  return value;
};
const RATE = env('BENCH_PROJECTION_RATE', 3_000);
const SECONDS = env('BENCH_PROJECTION_SECONDS', 20);
const PARTITIONS = Math.round(env('BENCH_PROJECTION_PARTITIONS', 6));
const DRAIN_LIMIT_MS = 120_000;

interface Sample {
  /** Whether records were still being sent (else: draining after the last send). */
  sending: boolean;
  records: number;
  seconds: number;
}

/**
 * Sends `values` at `rate`/s on a fixed schedule, record i to partition i mod PARTITIONS;
 * `sentAt[p][k]` is when partition p's k-th record (its offset k) was handed over.
 */
async function publish(producer: Producer, topic: string, values: Buffer[], sentAt: number[][]) {
  await onSchedule(values.length, RATE, (from, to, now) => {
    const batch = [];
    for (let i = from; i < to; i++) {
      const partition = i % PARTITIONS;
      sentAt[partition]!.push(now);
      batch.push({ value: values[i]!, partition });
    }
    return producer.send({ topic, acks: -1, messages: batch });
  });
}

/**
 * The lag at `now`: records sent and not projected over all partitions, and how long the oldest of
 * them has waited.
 */
function lagAt(
  sending: boolean,
  sentAt: readonly number[][],
  projected: readonly number[],
): Sample {
  const now = performance.now();
  let records = 0;
  let seconds = 0;
  sentAt.forEach((sent, p) => {
    const done = projected[p]!;
    if (sent.length <= done) return;
    records += sent.length - done;
    seconds = Math.max(seconds, (now - sent[done]!) / 1000);
  });
  return { sending, records, seconds };
}

function report(samples: readonly Sample[], count: number, drainMs: number, signMs: number) {
  const max = (s: readonly Sample[], k: 'records' | 'seconds') =>
    Math.max(0, ...s.map((x) => x[k]));
  const publishing = samples.filter((s) => s.sending);
  const quarter = (q: number) =>
    publishing.slice(
      Math.floor((q * publishing.length) / 4),
      Math.floor(((q + 1) * publishing.length) / 4),
    );
  console.log(`records     ${count} (signed in ${(signMs / 1000).toFixed(1)} s, not timed)`);
  console.log(
    `offered     ${RATE}/s for ${SECONDS} s over ${PARTITIONS} partition${PARTITIONS === 1 ? '' : 's'}`,
  );
  for (let q = 0; q < 4; q++)
    console.log(
      `quarter ${q + 1}   lag max ${max(quarter(q), 'records')} records, ${max(quarter(q), 'seconds').toFixed(2)} s`,
    );
  console.log(`drained     ${(drainMs / 1000).toFixed(2)} s after the last send`);
  console.log(`host load   1-min load average ${loadavg()[0]!.toFixed(2)} (2 cores shared)`);
  console.log(`lag_max_records ${max(samples, 'records')}`);
  console.log(`lag_max_s ${max(samples, 'seconds').toFixed(2)}`);
  console.log(`lag_last_quarter_max_s ${max(quarter(3), 'seconds').toFixed(2)}`);
}

async function main(): Promise<void> {
  const count = Math.round(RATE * SECONDS);
  const signStart = performance.now();
  const drawer = new GraphDrawer(count, seededRandom(1), DEFAULT_SHAPE);
  const maker = new RecordMaker(seededRandom(2), process.env.BENCH_EMBED_INTENT === '1');
  const values = Array.from({ length: count }, () => maker.make(drawer.draw()).message.value!);
  const signMs = performance.now() - signStart;

  const url = databaseUrl('lineage_bench');
  await ensureDatabase(url);
  // The attestations projection writes up to four partitions at once; policies and checkpoints one.
  const pool = createPool(url, { max: 8 });
  const broker = await startKafka();
  const kafka = createKafka({ brokers: broker.brokers, clientId: 'lineage-bench' });
  const tag = randomUUID().slice(0, 8);
  const topics = topicNames(`bench-${tag}-`);
  const schema = `bench_projection_${tag}`;
  await ensureTopics(kafka, topics, { partitions: PARTITIONS });
  const producer = kafka.producer({ idempotent: true });
  await producer.connect();
  const sentAt = Array.from({ length: PARTITIONS }, (): number[] => []);
  const projected = new Array<number>(PARTITIONS).fill(0);
  const total = () => projected.reduce((a, b) => a + b, 0);
  let sending = true;
  const projector = await startProjector({
    ...{ kafka, pool, schema, topics, partitions: PARTITIONS, groupId: `bench-${tag}` },
    onBatch: (b) => void (projected[b.partition] = Number(b.nextOffset)),
  });
  const samples: Sample[] = [];
  let drainMs = 0;
  const sampler = setInterval(() => samples.push(lagAt(sending, sentAt, projected)), 250);
  try {
    await publish(producer, topics.attestations, values, sentAt);
    sending = false;
    const sent = performance.now();
    const drainUntil = performance.now() + DRAIN_LIMIT_MS;
    while (total() < count && performance.now() < drainUntil) await sleep(50);
    if (total() < count) throw new Error(`projected ${total()} of ${count} records`);
    drainMs = performance.now() - sent;
  } finally {
    clearInterval(sampler);
    await projector.stop();
    await producer.disconnect();
    await pool.query(`DROP SCHEMA IF EXISTS ${quoteSchema(schema)} CASCADE`);
    await pool.end();
    const admin = kafka.admin();
    await admin.connect();
    await admin.deleteTopics({ topics: Object.values(topics) }).catch(() => undefined);
    await admin.disconnect();
  }
  report(samples, count, drainMs, signMs);
}

await main();
