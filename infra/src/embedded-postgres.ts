import { mkdir, open, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import type { AddressInfo, Server, Socket } from 'node:net';
import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketHandler } from '@electric-sql/pglite-socket';
import { InfraError } from './errors.js';
import { ConnectionScheduler } from './pglite-queue.js';
import { isAlive, readPid } from './pid.js';
import { LOOPBACK } from './port.js';

/** A PGlite database served over the Postgres wire protocol on a loopback port. */
export interface EmbeddedPostgres {
  /** `postgres://postgres@127.0.0.1:<port>/postgres`: what any `pg` client connects to. */
  readonly url: string;
  /** Where PGlite keeps its files. */
  readonly dataDir: string;
  /** Stops listening, closes the database and releases the data directory. */
  stop(): Promise<void>;
}

export interface EmbeddedPostgresOptions {
  /** PGlite's data directory; created when missing, reused (with its data) when present. */
  readonly dataDir: string;
  /** Loopback port; default 0: one the system picks. */
  readonly port?: number;
  /**
   * Connections the server accepts at once; default 32 (a pool of 10 per component). PGlite runs one
   * query at a time: the server multiplexes the connections, and gives a connection in a transaction
   * the database to itself until it commits or rolls back.
   */
  readonly maxConnections?: number;
}

/**
 * Opens (or creates) a PGlite database in `dataDir` and serves it on a loopback port through
 * `@electric-sql/pglite-socket`, so `pg` code runs against it unchanged.
 * @throws InfraError `POSTGRES_EMBEDDED_BUSY` when a live process already serves `dataDir`,
 *   `POSTGRES_EMBEDDED_FAILED` when PGlite cannot open it or the server cannot listen.
 */
export async function startEmbeddedPostgres(
  options: EmbeddedPostgresOptions,
): Promise<EmbeddedPostgres> {
  const { dataDir } = options;
  // One process per data directory: PGlite's files are not shared.
  const release = await claimDataDir(dataDir);
  let db: PGlite | undefined;
  try {
    db = await openDatabase(dataDir);
    const server = await listen(db, options.port ?? 0, options.maxConnections ?? 32);
    const opened = db;
    return {
      url: `postgres://postgres@${LOOPBACK}:${(server.address() as AddressInfo).port}/postgres`,
      dataDir,
      stop: async () => {
        await close(server);
        await opened.close();
        await release();
      },
    };
  } catch (error) {
    await db?.close().catch(() => undefined);
    await release();
    throw error;
  }
}

/**
 * Serves `db` on a loopback port: one `PGLiteSocketHandler` per connection (the wire protocol), all
 * sharing one `ConnectionScheduler` (who has the single backend when).
 */
async function listen(db: PGlite, port: number, maxConnections: number): Promise<Server> {
  const scheduler = new ConnectionScheduler(db);
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    // The clients keep the process alive, not the server: a command that fails before it stops
    // the embedded database still exits once its own connections are gone.
    socket.unref();
    socket.once('close', () => sockets.delete(socket));
    // The handler's queue type is the package's own class; ours has the same public methods.
    const handler = new PGLiteSocketHandler({
      queryQueue: scheduler as never,
      closeOnDetach: true,
    });
    handler.attach(socket).catch(() => socket.destroy());
  });
  server.maxConnections = maxConnections;
  server.unref();
  // Closing the server also drops the connections still open, so `close` does not wait on them.
  const closeServer = server.close.bind(server);
  server.close = (callback) => {
    sockets.forEach((s) => s.destroy());
    return closeServer(callback);
  };
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error) =>
      reject(
        new InfraError(
          'POSTGRES_EMBEDDED_FAILED',
          `The embedded Postgres could not listen on ${LOOPBACK}:${port}: ${error.message}`,
          { cause: error },
        ),
      ),
    );
    server.listen(port, LOOPBACK, resolve);
  });
  return server;
}

/** Stops accepting, drops open connections, and resolves once the server is closed. */
function close(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
  });
}

/** PGlite on `dataDir`, created on first use. */
async function openDatabase(dataDir: string): Promise<PGlite> {
  try {
    await mkdir(dataDir, { recursive: true });
    return await PGlite.create(dataDir);
  } catch (error) {
    throw new InfraError(
      'POSTGRES_EMBEDDED_FAILED',
      `The embedded Postgres could not open ${dataDir} (${error instanceof Error ? error.message : String(error)}): remove that folder to start empty, or set DATABASE_URL to a Postgres server.`,
      { cause: error },
    );
  }
}

/**
 * Writes `<dataDir>.pid` exclusively; a pid file left by a dead process is taken over.
 * @returns the release, which removes the pid file.
 * @throws InfraError `POSTGRES_EMBEDDED_BUSY`.
 */
async function claimDataDir(dataDir: string): Promise<() => Promise<void>> {
  const file = `${dataDir}.pid`;
  await mkdir(dataDir, { recursive: true });
  for (;;) {
    try {
      const handle = await open(file, 'wx');
      await handle.writeFile(`${process.pid}\n`);
      await handle.close();
      return () => rm(file, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const owner = await readPid(file);
      if (owner !== undefined && isAlive(owner)) {
        throw new InfraError(
          'POSTGRES_EMBEDDED_BUSY',
          `Another Lineage process (pid ${owner}) serves the embedded Postgres in ${dataDir}: wait for it to end, or set DATABASE_URL to a Postgres server.`,
        );
      }
      await rm(file, { force: true });
    }
  }
}
