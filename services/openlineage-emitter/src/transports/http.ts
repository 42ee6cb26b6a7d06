import pRetry, { AbortError } from 'p-retry';
import { EmitterError } from '../errors.js';
import type { SendOutcome, Transport } from './transport.js';

/** How the HTTP transport reaches an OpenLineage receiver (Marquez or any compatible one). */
export interface HttpTransportOptions {
  /** The receiver's base URL, e.g. `http://localhost:5000` for Marquez. */
  url: string;
  /** Path events are POSTed to (default `/api/v1/lineage`, Marquez's). */
  endpoint?: string;
  /** Sent as `Authorization: Bearer <apiKey>` when set. */
  apiKey?: string;
  /** Retries after the first attempt (default 5), with exponential back-off. */
  retries?: number;
  /** First back-off in ms (default 250), doubling up to `maxDelayMs` (default 10 000). */
  minDelayMs?: number;
  maxDelayMs?: number;
  /** Per-request timeout in ms (default 10 000). */
  timeoutMs?: number;
  /** Called before each retry (for logs). */
  onRetry?: (error: Error, attempt: number) => void;
}

/** A running HTTP transport and its dead-letter count. */
export interface HttpTransport extends Transport {
  /** Events given up on: refused for good, or still failing when retries ran out. */
  readonly deadLetters: number;
}

// A 4xx is the receiver saying this event will never be accepted, except a timeout or throttling.
const retryable = (status: number) => status >= 500 || status === 408 || status === 429;

/**
 * POSTs each event as JSON to `url + endpoint`, retrying connection errors, timeouts, 5xx, 408 and
 * 429 with back-off (p-retry); other 4xx are not retried. An event still not accepted is a dead
 * letter: counted, reported as the outcome, never thrown, so one poisoned event cannot stall the
 * ledger. Redelivered events are the same bytes, so a receiver sees duplicates as identical.
 * @throws EmitterError INVALID_OPTIONS for a URL that is not http(s).
 */
export function httpTransport(options: HttpTransportOptions): HttpTransport {
  const target = new URL(options.endpoint ?? '/api/v1/lineage', options.url);
  if (target.protocol !== 'http:' && target.protocol !== 'https:')
    throw new EmitterError('INVALID_OPTIONS', 'the HTTP transport needs an http(s) URL');
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (options.apiKey !== undefined) headers.authorization = `Bearer ${options.apiKey}`;
  let deadLetters = 0;

  // One attempt: a 2xx is done; anything else throws, an AbortError when retrying cannot help.
  const post = async (body: string) => {
    const response = await fetch(target, {
      method: 'POST',
      headers,
      body,
      signal: AbortSignal.timeout(options.timeoutMs ?? 10_000),
    });
    await response.arrayBuffer();
    if (response.ok) return;
    const refused = new EmitterError('SEND_REJECTED', `receiver answered ${response.status}`);
    throw retryable(response.status) ? refused : new AbortError(refused);
  };

  return {
    name: `http:${target.origin}`,
    get deadLetters() {
      return deadLetters;
    },
    async send(_event, body): Promise<SendOutcome> {
      try {
        await pRetry(() => post(body), {
          retries: options.retries ?? 5,
          minTimeout: options.minDelayMs ?? 250,
          maxTimeout: options.maxDelayMs ?? 10_000,
          factor: 2,
          onFailedAttempt: (e) => {
            if (e.retriesLeft > 0) options.onRetry?.(e, e.attemptNumber);
          },
        });
        return { type: 'sent' };
      } catch (error) {
        deadLetters++;
        return { type: 'dead-letter', reason: (error as Error).message };
      }
    },
    async close() {},
  };
}
