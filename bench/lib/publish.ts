import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Producer } from 'kafkajs';
import type { Phase } from './observer.js';

/** One pre-built input record: the execution id (also the Kafka key) and the encoded intent. */
export interface BenchRecord {
  id: string;
  value: Buffer;
}

function send(producer: Producer, topic: string, records: readonly BenchRecord[]) {
  return producer.send({
    topic,
    acks: -1,
    messages: records.map((r) => ({ key: r.id, value: r.value })),
  });
}

/**
 * Publishes records as fast as the producer takes them: sequential sends of `batchSize` records,
 * each marked sent just before its send. Resolves with the time of the first send.
 * @throws KafkaJSError when a send fails.
 */
export async function publishBurst(
  producer: Producer,
  topic: string,
  records: readonly BenchRecord[],
  phase: Phase,
  batchSize = 500,
): Promise<number> {
  const start = performance.now();
  for (let i = 0; i < records.length; i += batchSize) {
    const batch = records.slice(i, i + batchSize);
    phase.markSent(
      batch.map((r) => r.id),
      i === 0 ? start : performance.now(),
    );
    await send(producer, topic, batch);
  }
  return start;
}

/**
 * Runs `sendDue(from, to, now)` for `count` items at `ratePerSecond` on a fixed schedule: the items
 * that fall due while a send is in flight go out together in the next call. Resolves with the
 * achieved rate (items/s).
 */
export async function onSchedule(
  count: number,
  ratePerSecond: number,
  sendDue: (from: number, to: number, now: number) => Promise<unknown>,
): Promise<number> {
  const interval = 1000 / ratePerSecond;
  const start = performance.now();
  let next = 0;
  while (next < count) {
    const now = performance.now();
    const due = Math.min(count, Math.floor((now - start) / interval) + 1);
    if (due <= next) {
      await sleep(start + next * interval - now);
      continue;
    }
    const from = next;
    next = due;
    await sendDue(from, due, now);
  }
  return (count / (performance.now() - start)) * 1000;
}

/**
 * Publishes records at `ratePerSecond` on a fixed schedule ({@link onSchedule}). Each is marked sent
 * when its send is issued. Resolves with the achieved rate (records/s).
 * @throws KafkaJSError when a send fails.
 */
export function publishPaced(
  producer: Producer,
  topic: string,
  records: readonly BenchRecord[],
  phase: Phase,
  ratePerSecond: number,
): Promise<number> {
  return onSchedule(records.length, ratePerSecond, (from, to, now) => {
    const batch = records.slice(from, to);
    phase.markSent(
      batch.map((r) => r.id),
      now,
    );
    return send(producer, topic, batch);
  });
}
