import { createHash, randomBytes } from 'node:crypto';
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

/** A token as the API knows it after authentication; never holds the raw token. */
export interface TokenInfo {
  name: string;
  scopes: Scope[];
}

/** A freshly created token: `token` is shown once and never stored, only its SHA-256. */
export interface CreatedToken extends TokenInfo {
  token: string;
  tokenHash: string;
  createdAt: string;
}

// 32 random bytes, base64url without padding: exactly 43 characters.
const TOKEN_SHAPE = /^[A-Za-z0-9_-]{43}$/;
const NAME_SHAPE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** SHA-256 hex of a raw token: the only form of it that is stored or compared. */
export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/**
 * Brings `schema` up to the projection's migrations, which create `api_tokens` (and the schema).
 * Concurrent callers serialize on the migration runner's lock.
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
 * Creates an API token: 32 random bytes, base64url. Only its SHA-256 hex is stored; the returned
 * `token` is the one and only time the raw value exists.
 * @throws QueryApiError INVALID_ARGUMENT for a bad name or scope, or a name that already has a live token.
 */
export async function createToken(
  pool: Pool,
  schema: string,
  options: { name: string; scopes: readonly string[] },
): Promise<CreatedToken> {
  if (!NAME_SHAPE.test(options.name))
    throw new QueryApiError(
      'INVALID_ARGUMENT',
      'token name must be 1-64 letters, digits, ".", "_" or "-"',
    );
  const scopes = parseScopes(options.scopes.join(','));
  await ensureTokensTable(pool, schema);
  const token = randomBytes(32).toString('base64url');
  const tokenHash = hashToken(token);
  try {
    const { rows } = await pool.query<Pick<ApiTokenRow, 'created_at'>>(
      `INSERT INTO ${qualifiedName(schema, TOKENS)} (token_hash, name, scopes) VALUES ($1, $2, $3) RETURNING created_at`,
      [tokenHash, options.name, scopes],
    );
    return {
      token,
      tokenHash,
      name: options.name,
      scopes,
      createdAt: rows[0]!.created_at.toISOString(),
    };
  } catch (error) {
    if ((error as { code?: unknown }).code === '23505')
      throw new QueryApiError(
        'INVALID_ARGUMENT',
        `a live token named ${options.name} exists; revoke it first`,
        {
          cause: error,
        },
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

/**
 * Finds the live token whose hash matches the presented one; undefined when the token is malformed,
 * unknown or revoked. The raw token is hashed before it reaches the database.
 */
export async function lookupToken(
  pool: Pool,
  schema: string,
  token: string,
): Promise<TokenInfo | undefined> {
  if (!TOKEN_SHAPE.test(token)) return undefined;
  const { rows } = await pool.query<Pick<ApiTokenRow, 'name' | 'scopes'>>(
    `SELECT name, scopes FROM ${qualifiedName(schema, TOKENS)} WHERE token_hash = $1 AND revoked_at IS NULL`,
    [hashToken(token)],
  );
  const row = rows[0];
  if (row === undefined) return undefined;
  return {
    name: row.name,
    scopes: row.scopes.filter((s): s is Scope => SCOPES.includes(s as Scope)),
  };
}
