import { setTimeout as sleep } from 'node:timers/promises';
import type { Pool } from 'pg';

/** SQLSTATEs of a server going away: admin_shutdown, crash_shutdown, cannot_connect_now, class 08. */
const UNAVAILABLE_SQLSTATES = new Set(['57P01', '57P02', '57P03']);
const UNAVAILABLE_ERRNOS = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'POSTGRES_UNREACHABLE',
]);
// pg reports a lost or never-made connection as a plain Error without a code.
const UNAVAILABLE_MESSAGES =
  /Connection terminated|not queryable|timeout exceeded when trying to connect|Connection ended unexpectedly/;

/**
 * True when `error` (or an error in its `cause` chain, as kafkajs wraps them) says the Postgres server
 * is gone or not accepting connections yet, as opposed to a query it refused.
 */
export function isPostgresUnavailable(error: unknown): boolean {
  for (let e = error, depth = 0; e instanceof Error && depth < 6; e = e.cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') {
      if (UNAVAILABLE_SQLSTATES.has(code) || code.startsWith('08') || UNAVAILABLE_ERRNOS.has(code))
        return true;
    }
    if (UNAVAILABLE_MESSAGES.test(e.message)) return true;
  }
  return false;
}

/** One line for logs: the error's code and first message line, never the client object pg attaches. */
export function describeError(error: unknown): { code?: string; message: string } {
  const code = (error as { code?: unknown } | undefined)?.code;
  const message = error instanceof Error ? (error.message.split('\n')[0] ?? '') : String(error);
  return typeof code === 'string' ? { code, message } : { message };
}

const guarded = new WeakSet<Pool>();

/**
 * Keeps a connection lost while a client is checked out (a batch's transaction in progress) from
 * crashing the process: pg emits `error` on the client, and pg-pool listens only while it is idle.
 * With this listener the batch's next query fails instead, its transaction rolls back, the runner
 * releases the broken client, and the batch is retried. Installed once per pool.
 */
export function surviveLostConnections(
  pool: Pool,
  onLost: (error: Error) => void = () => undefined,
): void {
  if (guarded.has(pool)) return;
  guarded.add(pool);
  pool.on('connect', (client) => client.on('error', onLost));
}

/** Back-off of {@link untilPostgresAnswers}. */
export interface WaitOptions {
  /** Give up (rethrow) once this long has passed; default 120,000 ms. */
  timeoutMs?: number;
  /** First delay, doubled up to `maxDelayMs`; default 250 ms. */
  initialDelayMs?: number;
  maxDelayMs?: number;
  onRetry?: (error: unknown, attempt: number, delayMs: number) => void;
}

/**
 * Runs `work`, and again with exponential back-off while it fails because Postgres is unavailable
 * (restarting, not up yet); any other error is thrown at once.
 * @throws the last error of `work` when it is not an availability error, or when `timeoutMs` passed.
 */
export async function untilPostgresAnswers<T>(
  work: () => Promise<T>,
  options: WaitOptions = {},
): Promise<T> {
  const deadline = Date.now() + (options.timeoutMs ?? 120_000);
  let delay = options.initialDelayMs ?? 250;
  for (let attempt = 1; ; attempt++) {
    try {
      return await work();
    } catch (error) {
      if (!isPostgresUnavailable(error) || Date.now() + delay > deadline) throw error;
      options.onRetry?.(error, attempt, delay);
      await sleep(delay);
      delay = Math.min(delay * 2, options.maxDelayMs ?? 5_000);
    }
  }
}
