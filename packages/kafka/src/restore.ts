import { randomUUID } from 'node:crypto';
import type { Consumer, Kafka, KafkaMessage } from 'kafkajs';
import { LineageKafkaError } from './errors.js';

/**
 * Reads the given partitions of a topic, each from its start offset to the end it had when the call
 * began, read_committed, handing every record to `onMessage` in offset order (awaiting it when it
 * returns a promise, so a slow sink holds the reader back). Used to rebuild state from the ledger
 * after fencing, when no other writer can append to these partitions.
 *
 * kafkajs never hands a batch that holds only transaction markers to `eachBatch`, so "reached the
 * end" is decided from the committed position (which does advance past markers), not from records.
 * @returns the end offset each partition was read to (its start when there was nothing to read).
 * @throws LineageKafkaError RESTORE_TIMEOUT.
 */
export async function readToEnd(
  kafka: Kafka,
  topic: string,
  from: ReadonlyMap<number, bigint>,
  onMessage: (partition: number, message: KafkaMessage) => unknown,
  timeoutMs = 300_000,
): Promise<Map<number, bigint>> {
  const ends = await endsOf(kafka, topic);
  // The partitions with something to read, and the end each must reach.
  const targets = new Map<number, bigint>();
  for (const [p, start] of from) if ((ends.get(p) ?? 0n) > start) targets.set(p, ends.get(p)!);
  const reached = new Map([...from].map(([p, start]) => [p, targets.get(p) ?? start]));
  if (targets.size === 0) return reached;

  const groupId = `lineage-restore-${randomUUID()}`;
  const consumer = kafka.consumer({
    groupId,
    readUncommitted: false,
    sessionTimeout: 30_000,
    maxBytes: 16 << 20,
  });
  const done = allCommitted(consumer, targets);
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      autoCommit: true,
      autoCommitThreshold: 1,
      eachBatch: async ({ batch }) => {
        const end = targets.get(batch.partition);
        const start = from.get(batch.partition) ?? 0n;
        if (end === undefined) return;
        for (const m of batch.messages) {
          const offset = BigInt(m.offset);
          if (offset >= start && offset < end) await onMessage(batch.partition, m);
        }
      },
    });
    for (const [p, start] of from)
      if (targets.has(p) && start > 0n)
        consumer.seek({ topic, partition: p, offset: start.toString() });
    const others = [...ends.keys()].filter((p) => !targets.has(p));
    if (others.length > 0) consumer.pause([{ topic, partitions: others }]);
    await withTimeout(done, timeoutMs, `reading ${topic} to its end took over ${timeoutMs} ms`);
  } finally {
    await consumer.disconnect();
    const cleanup = kafka.admin();
    await cleanup.connect();
    await cleanup.deleteGroups([groupId]).catch(() => undefined);
    await cleanup.disconnect();
  }
  return reached;
}

/** Each partition's end (high watermark; read_committed readers stop at the last stable offset). */
async function endsOf(kafka: Kafka, topic: string): Promise<Map<number, bigint>> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const offsets = await admin.fetchTopicOffsets(topic);
    return new Map(offsets.map((o) => [o.partition, BigInt(o.high)]));
  } finally {
    await admin.disconnect();
  }
}

/** Resolves once the consumer's committed position reached every target end. */
function allCommitted(consumer: Consumer, targets: ReadonlyMap<number, bigint>): Promise<void> {
  const remaining = new Set(targets.keys());
  return new Promise<void>((finish) => {
    consumer.on(consumer.events.COMMIT_OFFSETS, ({ payload }) => {
      for (const t of payload.topics) {
        for (const p of t.partitions) {
          // kafkajs reports the partition of a commit as a string despite its typings.
          const partition = Number(p.partition);
          const end = targets.get(partition);
          if (end !== undefined && BigInt(p.offset) >= end) remaining.delete(partition);
        }
      }
      if (remaining.size === 0) finish();
    });
  });
}

/** `work`, or LineageKafkaError RESTORE_TIMEOUT after `timeoutMs`. */
async function withTimeout(work: Promise<void>, timeoutMs: number, message: string) {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      work,
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new LineageKafkaError('RESTORE_TIMEOUT', message)),
          timeoutMs,
        );
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
