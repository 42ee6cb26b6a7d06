import { randomUUID } from 'node:crypto';
import type { Consumer, Kafka, KafkaMessage } from 'kafkajs';
import type { LoadedPolicy } from '@lineage/policy';
import { policyCodec } from '@lineage/schemas';
import { readToEnd } from '@lineage/kafka';
import type { PolicyBook } from './policies.js';
import { policyRecord } from './policies.js';

/** A structured log line. */
export type Log = (event: string, fields?: Record<string, unknown>) => void;

/**
 * Publishes the configured policy document to the policies topic, keyed by its hash, so any audit
 * can fetch the exact policy that decided.
 */
export async function publishPolicy(
  kafka: Kafka,
  topic: string,
  policy: LoadedPolicy,
): Promise<void> {
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  try {
    await producer.send({
      topic,
      acks: -1,
      messages: [
        { key: policy.ref.hash, value: policyCodec.encode(policyRecord(policy, new Date())) },
      ],
    });
  } finally {
    await producer.disconnect();
  }
}

/**
 * Teaches `policies` every document published on the policies topic so far, then keeps tailing the
 * topic (a higher version of the active policy id becomes active for the batches after it is seen).
 * @returns a handle that stops the tail.
 */
export async function followPolicies(
  kafka: Kafka,
  topic: string,
  groupId: string,
  policies: PolicyBook,
  log: Log,
): Promise<{ stop(): Promise<void> }> {
  const onPolicy = considerPolicy(policies, log);
  await readToEnd(kafka, topic, new Map([[0, 0n]]), (_p, m) => onPolicy(m));
  return tailPolicies(kafka, topic, groupId, onPolicy);
}

// Considers one policies-topic record; anyone who can write the topic can write junk to it, so a
// refused record is logged and skipped.
function considerPolicy(policies: PolicyBook, log: Log): (m: KafkaMessage) => void {
  return (m) => {
    if (!m.value) return;
    let considered;
    try {
      considered = policies.consider(m.key?.toString() ?? null, policyCodec.decode(m.value));
    } catch (error) {
      log('policy record refused', {
        offset: m.offset,
        reason: 'UNDECODABLE',
        detail: String(error),
      });
      return;
    }
    if (considered.type === 'refused')
      log('policy record refused', {
        offset: m.offset,
        reason: considered.reason,
        detail: considered.detail,
      });
    else if (considered.type === 'activated')
      log('policy activated', { offset: m.offset, policy: considered.ref });
  };
}

/** A consumer of the whole policies topic under a throw-away group, removed on stop. */
async function tailPolicies(
  kafka: Kafka,
  topic: string,
  groupId: string,
  onMessage: (m: KafkaMessage) => void,
): Promise<{ stop(): Promise<void> }> {
  const tailGroup = `${groupId}-policies-${randomUUID()}`;
  const consumer: Consumer = kafka.consumer({ groupId: tailGroup, readUncommitted: false });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    autoCommit: false,
    eachMessage: ({ message }) => {
      onMessage(message);
      return Promise.resolve();
    },
  });
  return {
    stop: async () => {
      await consumer.disconnect();
      const admin = kafka.admin();
      await admin.connect();
      await admin.deleteGroups([tailGroup]).catch(() => undefined);
      await admin.disconnect();
    },
  };
}
