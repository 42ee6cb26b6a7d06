import pRetry from 'p-retry';
import { RuntimeError } from './errors.js';

/** How long {@link pollUntil} keeps asking, and how often. */
export interface PollOptions {
  /** Give up after this long; default 30,000 ms. */
  timeoutMs?: number;
  /** The pause between two reads; default 100 ms. */
  intervalMs?: number;
  /** What is awaited, for the timeout's message ("the projection of E9"). */
  what: string;
}

/** The answer was read but is not the awaited one yet: the only failure {@link pollUntil} retries. */
class NotYet extends Error {}

/**
 * Reads `read()` every `intervalMs` (p-retry, constant delay) until `done` accepts its value, and
 * returns that value. An error `read` throws ends the wait at once (catch it in `read` to wait it out).
 * @throws RuntimeError WAIT_TIMEOUT naming `what` when `timeoutMs` passes first.
 */
export async function pollUntil<T>(
  read: () => Promise<T>,
  done: (value: T) => boolean,
  options: PollOptions,
): Promise<T> {
  const timeoutMs = options.timeoutMs ?? 30_000;
  const deadline = Date.now() + timeoutMs;
  try {
    return await pRetry(
      async () => {
        const value = await read();
        if (!done(value)) throw new NotYet(options.what);
        return value;
      },
      {
        retries: Number.POSITIVE_INFINITY,
        factor: 1,
        minTimeout: options.intervalMs ?? 100,
        shouldRetry: ({ error }) => error instanceof NotYet && Date.now() < deadline,
      },
    );
  } catch (error) {
    if (!(error instanceof NotYet)) throw error;
    throw new RuntimeError(
      'WAIT_TIMEOUT',
      `timed out after ${timeoutMs} ms waiting for ${options.what}`,
    );
  }
}

/**
 * Waits until `check()` is true ({@link pollUntil} over a boolean).
 * @throws RuntimeError WAIT_TIMEOUT naming `what`; any error `check` throws, at once.
 */
export async function waitUntil(
  check: () => boolean | Promise<boolean>,
  options: PollOptions,
): Promise<void> {
  await pollUntil(
    async () => check(),
    (ok) => ok,
    options,
  );
}
