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

/** Back-off of {@link retryWhile} and {@link untilKafkaAnswers}. */
export interface RetryOptions {
  /** Give up (rethrow) once this long has passed; default 120,000 ms. */
  timeoutMs?: number;
  /** First delay, doubled up to `maxDelayMs`; default 250 ms. */
  initialDelayMs?: number;
  /** Default 5,000 ms. */
  maxDelayMs?: number;
  onRetry?: (error: unknown, attempt: number, delayMs: number) => void;
}

/**
 * Runs `work`, and again with exponential back-off while it fails with an error `retriable`
 * accepts (a server restarting, a broker down); any other error is thrown at once.
 * @throws the last error of `work` when `retriable` refuses it, or when `timeoutMs` passed.
 */
export async function retryWhile<T>(
  work: () => Promise<T>,
  retriable: (error: unknown) => boolean,
  options: RetryOptions = {},
): Promise<T> {
  const deadline = Date.now() + (options.timeoutMs ?? 120_000);
  let delay = options.initialDelayMs ?? 250;
  for (let attempt = 1; ; attempt++) {
    try {
      return await work();
    } catch (error) {
      if (!retriable(error) || Date.now() + delay > deadline) throw error;
      options.onRetry?.(error, attempt, delay);
      await sleep(delay);
      delay = Math.min(delay * 2, options.maxDelayMs ?? 5_000);
    }
  }
}

/**
 * Runs `work` (a service's start, say) until the cluster answers: {@link retryWhile} on
 * {@link isKafkaUnavailable} — one broker of a cluster down while a service starts.
 * @throws the last error of `work` when it is not an availability error, or when `timeoutMs` passed.
 */
export function untilKafkaAnswers<T>(
  work: () => Promise<T>,
  options: RetryOptions = {},
): Promise<T> {
  return retryWhile(work, isKafkaUnavailable, options);
}
