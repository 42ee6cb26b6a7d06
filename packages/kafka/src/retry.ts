import pRetry from 'p-retry';

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
 * Runs `work`, and again with exponential back-off (p-retry) while it fails with an error
 * `retriable` accepts (a server restarting, a broker down); any other error is thrown at once.
 * @throws the last error of `work` when `retriable` refuses it, or when `timeoutMs` passed.
 */
export function retryWhile<T>(
  work: () => Promise<T>,
  retriable: (error: unknown) => boolean,
  options: RetryOptions = {},
): Promise<T> {
  const initial = options.initialDelayMs ?? 250;
  const max = options.maxDelayMs ?? 5_000;
  // The delay before attempt n + 1, as p-retry computes it (factor 2, no jitter).
  const delayAfter = (attempt: number) => Math.min(initial * 2 ** (attempt - 1), max);
  const deadline = Date.now() + (options.timeoutMs ?? 120_000);
  return pRetry(work, {
    retries: Number.POSITIVE_INFINITY,
    factor: 2,
    minTimeout: initial,
    maxTimeout: max,
    // Like the deadline check it replaces: give up when the next wait would end past the deadline.
    shouldRetry: ({ error, attemptNumber }) =>
      retriable(error) && Date.now() + delayAfter(attemptNumber) <= deadline,
    onFailedAttempt: ({ error, attemptNumber }) => {
      if (retriable(error) && Date.now() + delayAfter(attemptNumber) <= deadline)
        options.onRetry?.(error, attemptNumber, delayAfter(attemptNumber));
    },
  });
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
