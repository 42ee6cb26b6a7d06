import kafkajs from 'kafkajs';
import { setTimeout as sleep } from 'node:timers/promises';

const { Kafka, logLevel } = kafkajs;

/**
 * One metadata round trip: true when `brokers` answer `describeCluster` with at least one live
 * (unfenced) broker. Never throws; kafkajs' own retries and logging are off.
 */
export async function kafkaAnswers(
  brokers: readonly string[],
  timeoutMs = 2_000,
): Promise<boolean> {
  const admin = new Kafka({
    clientId: 'lineage-infra-probe',
    brokers: [...brokers],
    logLevel: logLevel.NOTHING,
    connectionTimeout: timeoutMs,
    requestTimeout: timeoutMs,
    retry: { retries: 0 },
  }).admin();
  try {
    await admin.connect();
    const cluster = await admin.describeCluster();
    return cluster.brokers.length > 0;
  } catch {
    return false;
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

/** Why {@link waitForKafka} stopped waiting. */
export type WaitOutcome = 'ready' | 'timeout' | 'gave-up';

/**
 * Polls {@link kafkaAnswers} until the brokers answer, `timeoutMs` passes, or `keepWaiting()` turns
 * false (e.g. the broker process exited).
 */
export async function waitForKafka(
  brokers: readonly string[],
  timeoutMs: number,
  keepWaiting: () => boolean = () => true,
): Promise<WaitOutcome> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (!keepWaiting()) return 'gave-up';
    if (await kafkaAnswers(brokers, Math.min(2_000, Math.max(250, deadline - Date.now()))))
      return 'ready';
    if (Date.now() >= deadline) return 'timeout';
    await sleep(250);
  }
}
