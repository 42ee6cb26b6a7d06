import { randomUUID } from 'node:crypto';
import type { Consumer, Kafka } from 'kafkajs';
import { fromBase64, sha256Hex, verifyAttestation } from '@lineage/protocol';
import type { Digest, VerifiedAttestation, VerifyContext } from '@lineage/protocol';
import { attestationCodec } from '@lineage/schemas';
import { LineageSdkError } from './errors.js';
import type { ReceivedAttestation } from './received.js';

export type { ReceivedAttestation } from './received.js';

/**
 * The key an attestation answers under: a decision or replay rejection answers the intent it names
 * (by intent digest); an override or override rejection answers the resolution it embeds (by the
 * digest of the resolution payload), so the two never shadow each other.
 */
export function answerKey(verified: VerifiedAttestation): string {
  const { predicate, statement } = verified;
  if (predicate.override === null) return statement.subject[0].digest.sha256;
  // Governance signed it, but a payload that is not base64 must not stop the watcher.
  try {
    return resolutionKey(sha256Hex(fromBase64(predicate.override.resolution.payload)));
  } catch {
    return statement.subject[0].digest.sha256;
  }
}

/** The watcher key of the answer to a resolution with this payload digest. */
export function resolutionKey(resolutionDigest: Digest): string {
  return `resolution:${resolutionDigest}`;
}

/**
 * Follows the attestations topic from the moment it starts, verifying each record, and hands each
 * to whoever waits for that intent (by intent digest) or resolution (by {@link resolutionKey}).
 * Keeps the most recent ones so a retried identical intent — which governance answers with the
 * attestation it already issued — resolves.
 */
export class AttestationWatcher {
  private readonly consumer: Consumer;
  private readonly waiters = new Map<string, (a: ReceivedAttestation) => void>();
  private readonly recent = new Map<string, ReceivedAttestation>();

  constructor(
    private readonly kafka: Kafka,
    private readonly topic: string,
    private readonly verify: VerifyContext,
    private readonly keep = 10_000,
  ) {
    this.consumer = kafka.consumer({
      groupId: `lineage-sdk-${randomUUID()}`,
      readUncommitted: false,
    });
  }

  /** Starts following from the topic's current end; resolves once nothing published later can be missed. */
  async start(): Promise<void> {
    const admin = this.kafka.admin();
    await admin.connect();
    const ends = await admin
      .fetchTopicOffsets(this.topic)
      .catch((cause: unknown) => {
        throw new LineageSdkError(
          'TOPICS_MISSING',
          `${this.topic} does not exist yet: start governance (it creates the topics) or create them`,
          undefined,
          { cause },
        );
      })
      .finally(() => admin.disconnect());
    await this.consumer.connect();
    await this.consumer.subscribe({ topic: this.topic, fromBeginning: false });
    await this.consumer.run({
      eachMessage: async ({ message }) => {
        if (!message.value) return;
        let received: ReceivedAttestation;
        // Only verified attestations are ever handed on; anything else is ignored here.
        try {
          const record = attestationCodec.decode(message.value);
          received = {
            envelope: record.envelope,
            verified: verifyAttestation(record.envelope, this.verify),
          };
        } catch {
          return;
        }
        const key = answerKey(received.verified);
        this.recent.set(key, received);
        if (this.recent.size > this.keep) this.recent.delete(this.recent.keys().next().value!);
        this.waiters.get(key)?.(received);
        this.waiters.delete(key);
      },
    });
    // Pin the start to the ends read before publishing could begin.
    for (const e of ends)
      this.consumer.seek({ topic: this.topic, partition: e.partition, offset: e.high });
  }

  /**
   * Resolves with the attestation answering this key (an intent digest, or a {@link resolutionKey}),
   * or with undefined after `timeoutMs`.
   */
  waitFor(intentDigest: string, timeoutMs: number): Promise<ReceivedAttestation | undefined> {
    const cached = this.recent.get(intentDigest);
    if (cached) return Promise.resolve(cached);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiters.delete(intentDigest);
        resolve(undefined);
      }, timeoutMs);
      this.waiters.set(intentDigest, (a) => {
        clearTimeout(timer);
        resolve(a);
      });
    });
  }

  async stop(): Promise<void> {
    await this.consumer.disconnect();
  }
}

/** What a publishing client (agent, approver) shares: send a record, wait for governance's answer. */
export interface Publisher {
  /**
   * Waits for the attestation answering `answerKey`, sends `record` to `topic` (all replicas
   * acknowledging), and resolves with the verified answer, or undefined after `timeoutMs`.
   * @throws LineageSdkError CLIENT_CLOSED after {@link Publisher.close}.
   */
  publish(
    topic: string,
    record: { key: string; value: Buffer },
    answerKey: string,
    timeoutMs: number,
  ): Promise<ReceivedAttestation | undefined>;
  /** As {@link Publisher.publish}, but resolves once the broker has the record, with the wait. */
  send(
    topic: string,
    record: { key: string; value: Buffer },
    answerKey: string,
    timeoutMs: number,
  ): Promise<{ answer: Promise<ReceivedAttestation | undefined> }>;
  close(): Promise<void>;
}

/**
 * Connects what a publishing client needs: an idempotent producer and a watcher of the attestations
 * topic for governance's answers. Either failing to start stops both. `client` names it in errors.
 */
export async function connectPublisher(
  kafka: Kafka,
  attestationsTopic: string,
  verify: VerifyContext,
  client: string,
): Promise<Publisher> {
  const producer = kafka.producer({
    idempotent: true,
    maxInFlightRequests: 1,
    allowAutoTopicCreation: false,
  });
  const watcher = new AttestationWatcher(kafka, attestationsTopic, verify);
  const started = await Promise.allSettled([producer.connect(), watcher.start()]);
  const failed = started.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) {
    await Promise.allSettled([producer.disconnect(), watcher.stop()]);
    throw failed.reason;
  }
  let closed = false;
  const send: Publisher['send'] = async (topic, record, answerKey, timeoutMs) => {
    if (closed) throw new LineageSdkError('CLIENT_CLOSED', `${client} is closed`);
    const answer = watcher.waitFor(answerKey, timeoutMs);
    await producer.send({ topic, acks: -1, messages: [record] });
    return { answer };
  };
  return {
    send,
    async publish(topic, record, answerKey, timeoutMs) {
      return (await send(topic, record, answerKey, timeoutMs)).answer;
    },
    async close() {
      closed = true;
      await Promise.all([producer.disconnect(), watcher.stop()]);
    },
  };
}
