import type { Kafka, KafkaMessage } from 'kafkajs';
import { verifyAttestation } from '@lineage/protocol';
import type { VerifyContext } from '@lineage/protocol';
import { attestationCodec } from '@lineage/schemas';
import { inConsumerSpan } from './tracing.js';
import type { ReceivedAttestation } from './watcher.js';

export interface SubscribeOptions {
  kafka: Kafka;
  topic: string;
  groupId: string;
  verify: VerifyContext;
  fromBeginning?: boolean;
  /** Called only for attestations that verify; the offset commits after it resolves. */
  onAttestation(attestation: ReceivedAttestation): Promise<void>;
  /** Called for records that do not decode or verify; they are never handed to onAttestation. */
  onInvalid?(error: Error, message: KafkaMessage): void;
}

/**
 * Subscribes a downstream service to attestations: every record is decoded and verified before
 * the handler sees it; unverifiable records go to `onInvalid` and are skipped.
 */
export async function subscribeAttestations(
  options: SubscribeOptions,
): Promise<{ stop(): Promise<void> }> {
  const consumer = options.kafka.consumer({ groupId: options.groupId, readUncommitted: false });
  await consumer.connect();
  await consumer.subscribe({ topic: options.topic, fromBeginning: options.fromBeginning ?? true });
  await consumer.run({
    eachMessage: ({ topic, partition, message }) =>
      inConsumerSpan(topic, partition, message.offset, message.headers, async () => {
        let received: ReceivedAttestation;
        // Attestation records are verified in full before anything acts on them.
        try {
          if (!message.value) throw new Error('empty record');
          const record = attestationCodec.decode(message.value);
          received = {
            envelope: record.envelope,
            verified: verifyAttestation(record.envelope, options.verify),
          };
        } catch (error) {
          options.onInvalid?.(error as Error, message);
          return;
        }
        await options.onAttestation(received);
      }),
  });
  return { stop: () => consumer.disconnect() };
}
