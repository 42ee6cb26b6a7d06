import type { FastifyBaseLogger, FastifyReply, FastifyRequest } from 'fastify';
import type { Pool } from 'pg';
import { TABLES } from '@lineage/projection';
import type { ApiTokenRow } from '@lineage/projection';
import { qualifiedName } from '@lineage/store';
import { fail } from './hygiene.js';
import { WindowCounter } from './limits.js';
import type { Limits } from './limits.js';
import { HASH_ALG, hashToken, SCOPES } from './tokens.js';
import type { Scope, TokenInfo } from './tokens.js';

/** Why a request was not authenticated; logged in the access trail, never sent. */
export type AuthFailure = 'missing' | 'malformed' | 'unknown' | 'revoked' | 'expired' | 'throttled';

declare module 'fastify' {
  interface FastifyRequest {
    token?: TokenInfo;
    authFailure?: AuthFailure;
  }
}

// The scheme is case-insensitive (RFC 7235); the token is 43 base64url characters.
const BEARER = /^bearer +([A-Za-z0-9_-]{43}) *$/i;
const MAX_NEGATIVE = 10_000;

/** What {@link Authenticator} needs. */
export interface AuthOptions {
  pool: Pool;
  schema: string;
  pepper: Buffer;
  limits: Limits;
  log: FastifyBaseLogger;
}

type Lookup = { token: TokenInfo } | { failure: AuthFailure };

/**
 * Bearer-token authentication with its defences: failed attempts limited per client address (429
 * before any DB call), unknown, revoked and expired tokens remembered briefly (no DB call per
 * repeat), and `last_used_at` written at most once per `lastUsedEveryMs` per token.
 */
export class Authenticator {
  private readonly failed: WindowCounter;
  private readonly negative = new Map<string, { until: number; failure: AuthFailure }>();
  private readonly touched = new Map<string, number>();
  private readonly table: string;

  constructor(private readonly options: AuthOptions) {
    this.failed = new WindowCounter(
      options.limits.failedAuthPerWindow,
      options.limits.rateWindowMs,
    );
    this.table = qualifiedName(options.schema, TABLES.apiTokens);
  }

  /** The onRequest hook of a route needing `scope`: 429, 401 or 403 with the one error body. */
  hook(scope: Scope) {
    return async (
      request: FastifyRequest,
      reply: FastifyReply,
    ): Promise<FastifyReply | undefined> => {
      // An address that failed too often is refused before its token is even looked at.
      const wait = this.failed.blockedFor(request.ip);
      if (wait > 0) {
        request.authFailure = 'throttled';
        return fail(reply, 'RATE_LIMITED', 'too many failed authentications', wait);
      }
      const found = await this.lookup(request.headers.authorization);
      if ('failure' in found) {
        this.failed.hit(request.ip);
        request.authFailure = found.failure;
        const presented = found.failure !== 'missing';
        void reply.header(
          'www-authenticate',
          `Bearer realm="lineage"${presented ? ', error="invalid_token"' : ''}`,
        );
        return fail(reply, 'UNAUTHENTICATED', 'a valid bearer token is required');
      }
      request.token = found.token;
      if (!found.token.scopes.includes(scope)) {
        void reply.header(
          'www-authenticate',
          `Bearer realm="lineage", error="insufficient_scope", scope="${scope}"`,
        );
        return fail(reply, 'FORBIDDEN', `this token lacks the ${scope} scope`);
      }
      this.touch(found.token.name);
      return undefined;
    };
  }

  /** Finds the live token the header presents, through the negative cache. */
  private async lookup(header: string | undefined): Promise<Lookup> {
    if (header === undefined) return { failure: 'missing' };
    const raw = BEARER.exec(header)?.[1];
    if (raw === undefined) return { failure: 'malformed' };
    const hash = hashToken(raw, this.options.pepper);
    const now = Date.now();
    const cached = this.negative.get(hash);
    if (cached !== undefined && cached.until > now) return { failure: cached.failure };
    const found = await this.query(hash);
    if ('failure' in found) this.remember(hash, found.failure, now);
    return found;
  }

  /** The token row of `hash` (peppered rows only); revoked and expired ones are failures. */
  private async query(hash: string): Promise<Lookup> {
    const { rows } = await this.options.pool.query<
      Pick<ApiTokenRow, 'name' | 'scopes' | 'revoked_at'> & { expired: boolean }
    >(
      `SELECT name, scopes, revoked_at, expires_at IS NOT NULL AND expires_at <= now() AS expired
         FROM ${this.table} WHERE token_hash = $1 AND hash_alg = $2`,
      [hash, HASH_ALG],
    );
    const row = rows[0];
    if (row === undefined) return { failure: 'unknown' };
    if (row.revoked_at !== null) return { failure: 'revoked' };
    if (row.expired) {
      this.options.log.warn({ event: 'token_expired', token: row.name }, 'token expired');
      return { failure: 'expired' };
    }
    const scopes = row.scopes.filter((s): s is Scope => SCOPES.includes(s as Scope));
    return { token: { name: row.name, scopes } };
  }

  /** Remembers a failed hash for `negativeCacheMs`; the map never outgrows {@link MAX_NEGATIVE}. */
  private remember(hash: string, failure: AuthFailure, now: number): void {
    if (this.negative.size >= MAX_NEGATIVE) this.negative.clear();
    this.negative.set(hash, { until: now + this.options.limits.negativeCacheMs, failure });
  }

  /** Writes `last_used_at` of `name` unless written within `lastUsedEveryMs`; never awaited. */
  private touch(name: string): void {
    const now = Date.now();
    if ((this.touched.get(name) ?? 0) + this.options.limits.lastUsedEveryMs > now) return;
    if (this.touched.size >= MAX_NEGATIVE) this.touched.clear();
    this.touched.set(name, now);
    this.options.pool
      .query(
        `UPDATE ${this.table} SET last_used_at = now() WHERE name = $1 AND revoked_at IS NULL`,
        [name],
      )
      .catch((error: unknown) => this.options.log.warn({ err: error }, 'last-used update failed'));
  }
}
