import { setTimeout as sleep } from 'node:timers/promises';

/** kafkajs errors that mean "the cluster is not reachable right now", as opposed to a refusal. */
const UNAVAILABLE = new Set([
  'KafkaJSConnectionError',
  'KafkaJSConnectionClosedError',
  'KafkaJSNumberOfRetriesExceeded',
  'KafkaJSBrokerNotFound',
  'KafkaJSRequestTimeoutError',
  'KafkaJSLockTimeout',
  'KafkaJSMetadataNotLoaded',
  'KafkaJSGroupCoordinatorNotFound',
  'KafkaJSNotImplemented',
]);

/** Whether `error` (or one it wraps) says a broker is unreachable or a retriable condition persisted. */
export function isKafkaUnavailable(error: unknown): boolean {
  for (let e = error, depth = 0; e instanceof Error && depth < 6; depth++) {
    if (UNAVAILABLE.has(e.name) || (e as { retriable?: unknown }).retriable === true) return true;
    e = (e as { cause?: unknown }).cause;
  }
  return false;
}

/** Back-off of {@link untilKafkaAnswers}. */
export interface KafkaWaitOptions {
  /** Give up (rethrow) once this long has passed; default 120,000 ms. */
  timeoutMs?: number;
  onRetry?: (error: unknown, attempt: number, delayMs: number) => void;
}

/**
 * Runs `work` (a service's start, say), and again with exponential back-off (250 ms doubling to
 * 5 s) while it fails because a broker is unreachable — one broker of a cluster down while a
 * service starts. Any other error is thrown at once.
 * @throws the last error of `work` when it is not an availability error, or when `timeoutMs` passed.
 */
export async function untilKafkaAnswers<T>(
  work: () => Promise<T>,
  options: KafkaWaitOptions = {},
): Promise<T> {
  const deadline = Date.now() + (options.timeoutMs ?? 120_000);
  let delay = 250;
  for (let attempt = 1; ; attempt++) {
    try {
      return await work();
    } catch (error) {
      if (!isKafkaUnavailable(error) || Date.now() + delay > deadline) throw error;
      options.onRetry?.(error, attempt, delay);
      await sleep(delay);
      delay = Math.min(delay * 2, 5_000);
    }
  }
}
