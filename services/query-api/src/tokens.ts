import { createHmac, randomBytes } from 'node:crypto';
import ms from 'ms';
import type { Pool } from 'pg';
import { API_SCOPES } from '@lineage/contract';
import type { ApiScope } from '@lineage/contract';
import { PROJECTION_MIGRATIONS, TABLES } from '@lineage/projection';
import type { ApiTokenRow } from '@lineage/projection';
import { migrate, qualifiedName } from '@lineage/store';
import { QueryApiError } from './errors.js';

/** What a token may do: `read` every lineage query, `export` evidence bundles. */
export type Scope = ApiScope;
export const SCOPES: readonly Scope[] = API_SCOPES;
const TOKENS = TABLES.apiTokens;
/** The `hash_alg` of rows the API accepts: HMAC-SHA-256 under the server's pepper. */
export const HASH_ALG = 'hmac-sha256';

/** A token as the API knows it after authentication; never holds the raw token. */
export interface TokenInfo {
  name: string;
  scopes: Scope[];
}

/** A freshly created token: `token` is shown once and never stored, only its HMAC. */
export interface CreatedToken extends TokenInfo {
  token: string;
  tokenHash: string;
  createdAt: string;
  expiresAt: string | null;
}

/** A token as `lineage tokens list` shows it (no hash). */
export interface ListedToken extends TokenInfo {
  createdAt: string;
  expiresAt: string | null;
  lastUsedAt: string | null;
  state: 'live' | 'expired' | 'revoked';
}

// 32 random bytes, base64url without padding: exactly 43 characters.
export const TOKEN_SHAPE = /^[A-Za-z0-9_-]{43}$/;
const NAME_SHAPE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const MAX_VALID_FOR_MS = 10 * 365 * 24 * 3600 * 1000;

/**
 * HMAC-SHA-256 hex of a raw token under the server-side `pepper`: the only form of it that is stored
 * or compared. Without the pepper, writing the table does not let anyone mint a token.
 */
export function hashToken(token: string, pepper: Buffer): string {
  return createHmac('sha256', pepper).update(token, 'utf8').digest('hex');
}

/**
 * Brings `schema` up to the projection's migrations, which create `api_tokens` (and the schema).
 * Run by the CLI (the token table's writer), never by the API. Concurrent callers serialize.
 * @throws StoreError INVALID_IDENTIFIER for a bad schema name, or a migration failure.
 */
export async function ensureTokensTable(pool: Pool, schema: string): Promise<void> {
  await migrate(pool, schema, PROJECTION_MIGRATIONS);
}

/** Parses a comma-separated scope list (`read,export`). @throws QueryApiError INVALID_ARGUMENT. */
export function parseScopes(text: string): Scope[] {
  const scopes = text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  if (scopes.length === 0) throw new QueryApiError('INVALID_ARGUMENT', 'no scopes given');
  for (const s of scopes)
    if (!SCOPES.includes(s as Scope))
      throw new QueryApiError(
        'INVALID_ARGUMENT',
        `unknown scope ${JSON.stringify(s)}; use ${SCOPES.join(', ')}`,
      );
  return [...new Set(scopes as Scope[])];
}

/**
 * Parses a validity period like `90d`, `12h` or `30m` (the `ms` package) into milliseconds.
 * @throws QueryApiError INVALID_ARGUMENT for anything else, zero, negative or over ten years.
 */
export function parseValidFor(text: string): number {
  // `ms` returns undefined for what it cannot read and throws on an empty string: both refused.
  let millis: number | undefined;
  try {
    millis = text.length <= 32 ? (ms(text as ms.StringValue) as number | undefined) : undefined;
  } catch {
    millis = undefined;
  }
  if (typeof millis !== 'number' || !Number.isFinite(millis) || millis <= 0)
    throw new QueryApiError(
      'INVALID_ARGUMENT',
      '--valid-for must be a duration like 90d, 12h or 30m',
    );
  if (millis > MAX_VALID_FOR_MS)
    throw new QueryApiError('INVALID_ARGUMENT', '--valid-for must be at most ten years');
  return millis;
}

/**
 * Creates an API token: 32 random bytes, base64url. Only its HMAC under `pepper` is stored; the
 * returned `token` is the one and only time the raw value exists. `validForMs` sets an expiry.
 * @throws QueryApiError INVALID_ARGUMENT for a bad name or scope, or a name that already has a live token.
 */
export async function createToken(
  pool: Pool,
  schema: string,
  options: { name: string; scopes: readonly string[]; pepper: Buffer; validForMs?: number },
): Promise<CreatedToken> {
  if (!NAME_SHAPE.test(options.name))
    throw new QueryApiError(
      'INVALID_ARGUMENT',
      'token name must be 1-64 letters, digits, ".", "_" or "-"',
    );
  const scopes = parseScopes(options.scopes.join(','));
  await ensureTokensTable(pool, schema);
  const token = randomBytes(32).toString('base64url');
  const tokenHash = hashToken(token, options.pepper);
  try {
    const { rows } = await pool.query<Pick<ApiTokenRow, 'created_at' | 'expires_at'>>(
      `INSERT INTO ${qualifiedName(schema, TOKENS)} (token_hash, name, scopes, hash_alg, expires_at)
       VALUES ($1, $2, $3, $4, now() + $5 * interval '1 millisecond') RETURNING created_at, expires_at`,
      [tokenHash, options.name, scopes, HASH_ALG, options.validForMs ?? null],
    );
    const row = rows[0]!;
    return {
      token,
      tokenHash,
      name: options.name,
      scopes,
      createdAt: row.created_at.toISOString(),
      expiresAt: row.expires_at?.toISOString() ?? null,
    };
  } catch (error) {
    if ((error as { code?: unknown }).code === '23505')
      throw new QueryApiError(
        'INVALID_ARGUMENT',
        `a live token named ${options.name} exists; revoke it first`,
        { cause: error },
      );
    throw error;
  }
}

/** Revokes the live token called `name`. Returns how many were revoked (0 or 1). */
export async function revokeToken(pool: Pool, schema: string, name: string): Promise<number> {
  await ensureTokensTable(pool, schema);
  const { rowCount } = await pool.query(
    `UPDATE ${qualifiedName(schema, TOKENS)} SET revoked_at = now() WHERE name = $1 AND revoked_at IS NULL`,
    [name],
  );
  return rowCount ?? 0;
}

/** Every token (live, expired and revoked), newest first, without hashes. */
export async function listTokens(pool: Pool, schema: string): Promise<ListedToken[]> {
  await ensureTokensTable(pool, schema);
  const { rows } = await pool.query<ApiTokenRow & { expired: boolean }>(
    `SELECT name, scopes, created_at, expires_at, last_used_at, revoked_at,
            expires_at IS NOT NULL AND expires_at <= now() AS expired
       FROM ${qualifiedName(schema, TOKENS)} ORDER BY created_at DESC, name`,
  );
  return rows.map((r) => ({
    name: r.name,
    scopes: r.scopes.filter((s): s is Scope => SCOPES.includes(s as Scope)),
    createdAt: r.created_at.toISOString(),
    expiresAt: r.expires_at?.toISOString() ?? null,
    lastUsedAt: r.last_used_at?.toISOString() ?? null,
    state: r.revoked_at !== null ? 'revoked' : r.expired ? 'expired' : 'live',
  }));
}
