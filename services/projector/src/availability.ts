import { retryWhile } from '@lineage/kafka';
import type { RetryOptions } from '@lineage/kafka';

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

/**
 * Runs `work`, and again with exponential back-off while it fails because Postgres is unavailable
 * (restarting, not up yet); any other error is thrown at once.
 * @throws the last error of `work` when it is not an availability error, or when `timeoutMs` passed.
 */
export function untilPostgresAnswers<T>(
  work: () => Promise<T>,
  options: RetryOptions = {},
): Promise<T> {
  return retryWhile(work, isPostgresUnavailable, options);
}
