/**
 * Every cap, limit and timeout of the serving path, with its default. `main.ts` reads overrides from
 * `LINEAGE_API_<NAME>` environment variables (e.g. `LINEAGE_API_REQUEST_TIMEOUT_MS=10000`).
 */
export interface Limits {
  /** fastify `requestTimeout`: a whole request (headers and body) must arrive within it, else 408. */
  requestTimeoutMs: number;
  /** Node `headersTimeout`: the request headers must arrive within it, else 408. */
  headersTimeoutMs: number;
  /** fastify `connectionTimeout`: an idle socket is closed after it. */
  connectionTimeoutMs: number;
  /** fastify `keepAliveTimeout`: how long an idle keep-alive connection is held open. */
  keepAliveTimeoutMs: number;
  /** fastify `maxRequestsPerSocket`: a keep-alive socket is closed after this many requests. */
  maxRequestsPerSocket: number;
  /** Node `server.maxConnections`: connections beyond it are dropped on accept. */
  maxConnections: number;
  /** Largest request body accepted (the API is GET-only; bodies are never parsed), else 413. */
  bodyLimitBytes: number;
  /** Requests per window per token (authenticated) or per client address (open routes), else 429. */
  requestsPerWindow: number;
  /** Failed authentications per window per client address; past it 429 without a DB lookup. */
  failedAuthPerWindow: number;
  /** The window of both rate limits. */
  rateWindowMs: number;
  /** Heavy requests (walks, blast radius, authorization path, bundles) in flight per token, else 429. */
  heavyPerToken: number;
  /** Heavy requests in flight in the whole process, else 503: keeps pool connections for the rest. */
  heavyTotal: number;
  /** How long an unknown token is remembered as unknown (no DB lookup on repeats). */
  negativeCacheMs: number;
  /** How often at most `last_used_at` of one token is written. */
  lastUsedEveryMs: number;
  /** The `Retry-After` (seconds) of 503 answers and of concurrency refusals. */
  retryAfterSeconds: number;
}

/** The defaults: sized for a pool of 10 connections on a small machine. */
export const DEFAULT_LIMITS: Readonly<Limits> = {
  requestTimeoutMs: 30_000,
  headersTimeoutMs: 10_000,
  connectionTimeoutMs: 60_000,
  keepAliveTimeoutMs: 5_000,
  maxRequestsPerSocket: 1_000,
  maxConnections: 512,
  bodyLimitBytes: 1_024,
  requestsPerWindow: 600,
  failedAuthPerWindow: 30,
  rateWindowMs: 60_000,
  heavyPerToken: 2,
  heavyTotal: 4,
  negativeCacheMs: 30_000,
  lastUsedEveryMs: 60_000,
  retryAfterSeconds: 1,
};

/** Limits from `LINEAGE_API_<SNAKE_NAME>` variables over the defaults; non-integers are refused. */
export function limitsFromEnv(env: NodeJS.ProcessEnv): { limits: Limits; invalid: string[] } {
  const limits: Limits = { ...DEFAULT_LIMITS };
  const invalid: string[] = [];
  for (const key of Object.keys(limits) as (keyof Limits)[]) {
    const name = `LINEAGE_API_${key.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase()}`;
    const text = env[name];
    if (text === undefined) continue;
    if (/^[1-9][0-9]{0,9}$/.test(text)) limits[key] = Number(text);
    else invalid.push(name);
  }
  return { limits, invalid };
}

/** Counts events per key in fixed windows; holds at most `maxKeys` keys (then starts afresh). */
export class WindowCounter {
  private readonly counts = new Map<string, { count: number; resetAt: number }>();

  constructor(
    private readonly max: number,
    private readonly windowMs: number,
    private readonly maxKeys = 100_000,
  ) {}

  /** Seconds until `key` may act again, or 0 when it is within its budget (does not count). */
  blockedFor(key: string, now = Date.now()): number {
    const entry = this.counts.get(key);
    if (entry === undefined || entry.resetAt <= now || entry.count < this.max) return 0;
    return Math.max(1, Math.ceil((entry.resetAt - now) / 1000));
  }

  /** Counts one event of `key`. */
  hit(key: string, now = Date.now()): void {
    const entry = this.counts.get(key);
    if (entry !== undefined && entry.resetAt > now) {
      entry.count += 1;
      return;
    }
    if (this.counts.size >= this.maxKeys) this.counts.clear();
    this.counts.set(key, { count: 1, resetAt: now + this.windowMs });
  }
}

/** In-flight counts per key and in total, each with its cap. */
export class ConcurrencyGate {
  private readonly perKey = new Map<string, number>();
  private total = 0;

  constructor(
    private readonly maxPerKey: number,
    private readonly maxTotal: number,
  ) {}

  /** Takes a slot for `key`: `ok`, or which cap refused it. Release each `ok` exactly once. */
  enter(key: string): 'ok' | 'key' | 'total' {
    const held = this.perKey.get(key) ?? 0;
    if (held >= this.maxPerKey) return 'key';
    if (this.total >= this.maxTotal) return 'total';
    this.perKey.set(key, held + 1);
    this.total += 1;
    return 'ok';
  }

  /** Gives back a slot of `key`. */
  leave(key: string): void {
    const held = this.perKey.get(key) ?? 0;
    if (held <= 1) this.perKey.delete(key);
    else this.perKey.set(key, held - 1);
    this.total = Math.max(0, this.total - 1);
  }
}
