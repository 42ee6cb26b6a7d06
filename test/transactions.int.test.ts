import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, inject, it } from 'vitest';
import type { Producer } from 'kafkajs';
import { TransactionalProcessor, createKafka } from '@lineage/kafka';
import type { TransactionOutcome } from '@lineage/kafka';
import { waitUntil } from '@lineage/testkit/kafka';

// The transactional path tells how each batch's transaction ended (what governance's
// lineage_governance_transactions_total counts): committed, or fenced once another producer took
// the partition's transactional id over.
const kafka = createKafka({ brokers: inject('brokers'), clientId: 'transactions-test' });
const run = randomUUID().slice(0, 8);
const input = `tx-${run}-in`;
const output = `tx-${run}-out`;
const outcomes: TransactionOutcome[] = [];
const processor = new TransactionalProcessor<null>({
  kafka,
  groupId: `tx-${run}`,
  inputTopics: [input],
  transactionalIdPrefix: `tx-${run}`,
  sessionTimeoutMs: 6_000,
  restore: (partitions) => Promise.resolve(new Map(partitions.map((p) => [p, null]))),
  process: (_state, _topic, _partition, messages) => ({
    sends: [{ topic: output, messages: messages.map((m) => ({ value: m.value })) }],
    onCommit: () => undefined,
  }),
  onTransaction: (outcome) => outcomes.push(outcome),
});
let producer: Producer | undefined;

afterAll(async () => {
  await processor.stop();
  await producer?.disconnect();
});

describe('TransactionalProcessor.onTransaction', () => {
  it('reports a committed batch, then a fenced one once another producer takes its transactional id', async () => {
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({
      waitForLeaders: true,
      topics: [input, output].map((topic) => ({ topic, numPartitions: 1, replicationFactor: 1 })),
    });
    await admin.disconnect();
    await processor.start();
    producer = kafka.producer({ idempotent: true });
    await producer.connect();
    const send = (value: string) =>
      producer!.send({ topic: input, acks: -1, messages: [{ value }] });

    // Given a batch decided and committed.
    await send('first');
    await waitUntil(() => outcomes.length === 1, 60_000, 'the first transaction');
    expect(outcomes).toEqual(['committed']);

    // When a producer with partition 0's transactional id starts a transaction (a new owner)...
    const usurper = kafka.producer({ transactionalId: `tx-${run}-0`, idempotent: true });
    await usurper.connect();
    await (await usurper.transaction()).abort();
    await usurper.disconnect();

    // ...then the processor's next transaction on it is fenced, and reported so.
    await send('second');
    await waitUntil(() => outcomes.length === 2, 60_000, 'the second transaction');
    expect(outcomes).toEqual(['committed', 'fenced']);
  });
});
