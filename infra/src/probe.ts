import kafkajs from 'kafkajs';
import { pollUntil } from '@lineage/runtime';

const { Kafka, logLevel } = kafkajs;

/**
 * One metadata round trip: true when `brokers` answer `describeCluster` with at least one live
 * (unfenced) broker, and with every node of `nodeIds` among the live ones. Never throws; kafkajs'
 * own retries and logging are off.
 */
export async function kafkaAnswers(
  brokers: readonly string[],
  timeoutMs = 2_000,
  nodeIds: readonly number[] = [],
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
    const live = new Set(cluster.brokers.map((broker) => broker.nodeId));
    return live.size > 0 && nodeIds.every((id) => live.has(id));
  } catch {
    return false;
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

/** Why {@link waitForKafka} stopped waiting. */
export type WaitOutcome = 'ready' | 'timeout' | 'gave-up';

/**
 * Polls {@link kafkaAnswers} until the brokers answer (listing every node of `nodeIds` as live),
 * `timeoutMs` passes, or `keepWaiting()` turns false (e.g. the broker process exited).
 */
export async function waitForKafka(
  brokers: readonly string[],
  timeoutMs: number,
  keepWaiting: () => boolean = () => true,
  nodeIds: readonly number[] = [],
): Promise<WaitOutcome> {
  const deadline = Date.now() + timeoutMs;
  // One probe, given what is left of the deadline (250 ms to 2 s); undefined: not yet, ask again.
  const probe = async (): Promise<WaitOutcome | undefined> => {
    if (!keepWaiting()) return 'gave-up';
    const probeMs = Math.min(2_000, Math.max(250, deadline - Date.now()));
    if (await kafkaAnswers(brokers, probeMs, nodeIds)) return 'ready';
    return Date.now() >= deadline ? 'timeout' : undefined;
  };
  // The probe itself says 'timeout' at the deadline; the poll's own limit is only a backstop.
  const outcome = await pollUntil(probe, (o) => o !== undefined, {
    timeoutMs: timeoutMs + 10_000,
    intervalMs: 250,
    what: `Kafka at ${brokers.join(',')}`,
  });
  return outcome ?? 'timeout';
}
