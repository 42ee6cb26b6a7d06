import pg from 'pg';
import { RuntimeError } from './errors.js';

/** The local server the scripts and docker-compose.yml agree on: trust auth, user postgres. */
export const DEFAULT_POSTGRES = 'postgres://postgres@127.0.0.1:5432';

/** Connection errors that mean "no server there", as opposed to a server that said no. */
const UNREACHABLE = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ECONNRESET',
  '57P03',
]);

/** DATABASE_URL if set, else `postgres://postgres@127.0.0.1:5432/<name ?? 'lineage'>`. */
export function databaseUrl(name?: string): string {
  const url = process.env.DATABASE_URL;
  return url !== undefined && url.trim() !== ''
    ? url
    : `${DEFAULT_POSTGRES}/${encodeURIComponent(name ?? 'lineage')}`;
}

/** The database a URL names (defaults to the user name, as libpq does). */
export function databaseName(url: string): string {
  const parsed = new URL(url);
  return (
    decodeURIComponent(parsed.pathname.replace(/^\//, '')) ||
    decodeURIComponent(parsed.username) ||
    'postgres'
  );
}

/** The same server and credentials, database `postgres`: where CREATE DATABASE is issued. */
export function maintenanceUrl(url: string): string {
  const parsed = new URL(url);
  parsed.pathname = '/postgres';
  return parsed.toString();
}

/** `url` with any password masked, for printing. */
export function redactUrl(url: string): string {
  const parsed = new URL(url);
  if (parsed.password !== '') parsed.password = '***';
  return parsed.toString();
}

/**
 * Creates the database `url` names unless it exists. Safe when several processes race (42P04 is ignored).
 * @throws RuntimeError `POSTGRES_UNREACHABLE` when no server answers, `POSTGRES_FAILED` when it refuses.
 */
export async function ensureDatabase(url: string): Promise<void> {
  const name = databaseName(url);
  // Connecting to the target itself first needs no rights on the `postgres` database when it exists.
  const direct = await connect(url).catch((error: unknown) => {
    if (pgCode(error) === '3D000') return undefined; // invalid_catalog_name: not created yet
    throw describe(error, url);
  });
  if (direct !== undefined) {
    await direct.end();
    return;
  }

  const admin = await connect(maintenanceUrl(url)).catch((error: unknown) => {
    throw describe(error, url);
  });
  try {
    await admin.query(`CREATE DATABASE ${quoteIdent(name)}`);
  } catch (error) {
    if (pgCode(error) !== '42P04') throw describe(error, url); // 42P04 duplicate_database: someone else won the race
  } finally {
    await admin.end();
  }
}

async function connect(url: string): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5_000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
  } catch (error) {
    await client.end().catch(() => undefined);
    throw error;
  }
  return client;
}

function describe(error: unknown, url: string): RuntimeError {
  const parsed = new URL(url);
  const where = `${parsed.hostname || 'local socket'}:${parsed.port || '5432'}`;
  const code = pgCode(error);
  const message = error instanceof Error ? error.message.split('\n')[0] : String(error);
  if (code !== undefined && UNREACHABLE.has(code)) {
    return new RuntimeError(
      'POSTGRES_UNREACHABLE',
      `Postgres at ${where} does not answer (${code}): start PostgreSQL 15 there, or set DATABASE_URL to a running server.`,
      { cause: error },
    );
  }
  return new RuntimeError(
    'POSTGRES_FAILED',
    `Postgres at ${where} refused (${code ?? 'error'}: ${message}): check DATABASE_URL.`,
    { cause: error },
  );
}

function pgCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | undefined)?.code;
  if (typeof code === 'string') return code;
  // pg's connection timeout is a plain Error without a code.
  return error instanceof Error && /timeout/i.test(error.message) ? 'ETIMEDOUT' : undefined;
}

function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}
