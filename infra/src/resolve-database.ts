import { join, relative } from 'node:path';
import { startEmbeddedPostgres } from './embedded-postgres.js';
import { RuntimeError, ensureDatabase } from '@lineage/runtime';

/** The database a command should use, and whether it is the embedded one this call started. */
export interface ResolvedDatabase {
  readonly url: string;
  /** True when no server answered and an embedded PGlite was started for this process. */
  readonly embedded: boolean;
  /** The embedded database's data directory (undefined for a server). */
  readonly dataDir?: string;
  /** One line for the user about where the data lives; empty for a server. */
  readonly note: string;
  /** Stops the embedded database; a no-op for a server. */
  stop(): Promise<void>;
}

export interface ResolveDatabaseOptions {
  /** Database name on a server; default `lineage`. (The embedded one has a single database.) */
  readonly name?: string;
  /** Folder holding the embedded database (`<stateDir>/pglite`); default `.lineage` in the current directory. */
  readonly stateDir?: string;
  /** Environment to read DATABASE_URL and the libpq variables from; default `process.env`. */
  readonly env?: NodeJS.ProcessEnv;
}

/**
 * The address psql would try with no arguments, as a URL: PGHOST (a host, or a socket directory),
 * PGPORT and PGUSER when set, else our local server's `127.0.0.1:5432` and user `postgres`.
 * (The password, PGPASSWORD, is read by `pg` itself.)
 */
export function libpqUrl(env: NodeJS.ProcessEnv, name = 'lineage'): string {
  const host = env.PGHOST?.trim() || '127.0.0.1';
  const port = env.PGPORT?.trim() || '5432';
  const user = encodeURIComponent(env.PGUSER?.trim() || 'postgres');
  const db = encodeURIComponent(name);
  return host.startsWith('/')
    ? `postgres://${user}@localhost:${port}/${db}?host=${encodeURIComponent(host)}`
    : `postgres://${user}@${host.includes(':') ? `[${host}]` : host}:${port}/${db}`;
}

/**
 * Finds the Postgres to use: DATABASE_URL when set (it must answer); else the server at the libpq
 * default address when one answers; else an embedded PGlite under `<stateDir>/pglite`, served on a
 * loopback port. The database is created on a server when missing. Sets `env.DATABASE_URL` to the
 * result until `stop()`, so everything in this process that reads it agrees.
 * @throws RuntimeError `POSTGRES_UNREACHABLE` (DATABASE_URL does not answer), `POSTGRES_FAILED` (a
 *   server refused), `POSTGRES_EMBEDDED_BUSY` or `POSTGRES_EMBEDDED_FAILED`.
 */
export async function resolveDatabase(
  options: ResolveDatabaseOptions = {},
): Promise<ResolvedDatabase> {
  const env = options.env ?? process.env;
  const resolved = await locate(env, options);
  // Helpers that read DATABASE_URL (`databaseUrl()`) in this process now reach the same database.
  const previous = env.DATABASE_URL;
  env.DATABASE_URL = resolved.url;
  return {
    ...resolved,
    stop: async () => {
      if (previous === undefined) delete env.DATABASE_URL;
      else env.DATABASE_URL = previous;
      await resolved.stop();
    },
  };
}

async function locate(
  env: NodeJS.ProcessEnv,
  options: ResolveDatabaseOptions,
): Promise<ResolvedDatabase> {
  const server = (url: string): ResolvedDatabase => ({
    url,
    embedded: false,
    note: '',
    stop: () => Promise.resolve(),
  });
  // An explicit DATABASE_URL is used as is: it not answering is an error, never a fallback.
  const explicit = env.DATABASE_URL?.trim();
  if (explicit !== undefined && explicit !== '') {
    await ensureDatabase(explicit);
    return server(explicit);
  }
  // A server at the default address wins when it answers; one that refuses is an error too.
  const url = libpqUrl(env, options.name);
  try {
    await ensureDatabase(url);
    return server(url);
  } catch (error) {
    if (!(error instanceof RuntimeError) || error.code !== 'POSTGRES_UNREACHABLE') throw error;
  }
  // Nothing answers: the embedded database.
  const dataDir = join(options.stateDir ?? join(process.cwd(), '.lineage'), 'pglite');
  const embedded = await startEmbeddedPostgres({ dataDir });
  const shown = relative(process.cwd(), dataDir) || dataDir;
  return {
    url: embedded.url,
    embedded: true,
    dataDir,
    note: `embedded PGlite (no Postgres server answered at ${new URL(url).host || 'the local socket'}), data in ${shown}`,
    stop: () => embedded.stop(),
  };
}
