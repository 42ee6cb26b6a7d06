import { existsSync } from 'node:fs';
import { chmod, chown, mkdir, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { join, relative } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { InfraError } from './errors.js';
import { isNotInstalled, runCommand } from './exec.js';
import type { CommandResult } from './exec.js';
import { repoRoot } from './paths.js';
import { isAlive } from './pid.js';
import { LOOPBACK, parsePort, portIsFree } from './port.js';
import { ensureDatabase } from '@lineage/runtime';

/** Where a private server listens unless told otherwise (the shared one keeps 5432). */
export const DEFAULT_PG_SERVER_PORT = 25432;

/** How to start a private PostgreSQL server. */
export interface PostgresServerOptions {
  /** TCP port on 127.0.0.1; default 25432 (below the ephemeral range, so no closing client socket holds it). */
  port?: number;
  /** Directory holding its data directory and log; default `.lineage/postgres-<port>` under the repository root. */
  dir?: string;
  /** Wipe `dir` first (stopping a server still running from it). */
  fresh?: boolean;
}

/** A private PostgreSQL server that tests may crash and restart without disturbing anyone else. */
export interface PostgresServer {
  readonly port: number;
  /** `postgres://postgres@127.0.0.1:<port>/<database ?? 'lineage'>` (trust auth). */
  url(database?: string): string;
  /**
   * Stops the server (`immediate`: no checkpoint, clients cut off as in a crash; `fast`: clean
   * shutdown) and starts it again; resolves once it accepts connections.
   * @throws InfraError `POSTGRES_STOP_FAILED`, `POSTGRES_START_FAILED`.
   */
  restart(mode?: 'immediate' | 'fast'): Promise<void>;
  /**
   * Stops the server (fast shutdown); a server that is not running is left as it is.
   * @throws InfraError `POSTGRES_STOP_FAILED`.
   */
  stop(): Promise<void>;
}

/** The server programs, and who runs them. */
interface Tools {
  readonly bin: string;
  /** Set when we are root: initdb refuses root, so the tools run as the `postgres` OS user. */
  readonly runAs?: { readonly user: 'postgres'; readonly uid: number; readonly gid: number };
}

/** A server's files: `<dir>/data` (also its unix socket directory) and `<dir>/server.log`. */
interface Layout {
  readonly dir: string;
  readonly data: string;
  readonly log: string;
  readonly pidFile: string;
}

const START_TIMEOUT_S = 60;
const STOP_TIMEOUT_S = 60;
const HBA = ['local all all trust', `host all all ${LOOPBACK}/32 trust`, ''].join('\n');

/**
 * Starts (or reuses) a private PostgreSQL server on 127.0.0.1:`port` with its own data directory,
 * using this machine's server binaries (`PG_BIN`, else `pg_config --bindir`, else the highest
 * `/usr/lib/postgresql/<major>/bin`). A fresh directory is initialised with `initdb` (trust auth on
 * 127.0.0.1 and the socket, which lives inside the 0700 data directory); an initialised one is
 * reused, and a server already running from it is reused when it listens on `port` or restarted
 * otherwise. The database `lineage` exists once this resolves.
 * @throws InfraError `INVALID_PORT`; `POSTGRES_BIN_MISSING` when no binaries are found;
 *   `PORT_TAKEN` when another process holds the port; `POSTGRES_INIT_FAILED`;
 *   `POSTGRES_START_FAILED` when the server exits or does not accept connections in time;
 *   `POSTGRES_STOP_FAILED` when a previous run's server on another port does not stop.
 */
export async function startPostgresServer(
  options: PostgresServerOptions = {},
): Promise<PostgresServer> {
  const port = parsePort(options.port ?? DEFAULT_PG_SERVER_PORT, 'port');
  const dir = options.dir ?? join(repoRoot(), '.lineage', `postgres-${port}`);
  const layout: Layout = {
    dir,
    data: join(dir, 'data'),
    log: join(dir, 'server.log'),
    pidFile: join(dir, 'data', 'postmaster.pid'),
  };
  const tools = await findTools();

  if (options.fresh === true) {
    if ((await runningPort(layout)) !== undefined) await stopServer(tools, layout, 'immediate');
    await rm(dir, { recursive: true, force: true });
  }
  // A held port is reported before an initdb that would be wasted on it.
  if ((await runningPort(layout)) !== port && !(await portFreed(port))) throw portTaken(port);
  await initialise(tools, layout);
  await startServer(tools, layout, port);

  const url = (database?: string) =>
    `postgres://postgres@${LOOPBACK}:${port}/${encodeURIComponent(database ?? 'lineage')}`;
  await ensureDatabase(url());
  // One lifecycle operation at a time: a restart racing a stop would leave either half done.
  let queue: Promise<unknown> = Promise.resolve();
  const serialised = (work: () => Promise<void>): Promise<void> => {
    const next = queue.then(work, work);
    queue = next.catch(() => undefined);
    return next;
  };
  return {
    port,
    url,
    restart: (mode = 'immediate') =>
      serialised(async () => {
        await stopServer(tools, layout, mode);
        await startServer(tools, layout, port);
      }),
    stop: () => serialised(() => stopServer(tools, layout, 'fast')),
  };
}

/**
 * Finds `initdb` and `pg_ctl`: `PG_BIN`, else `pg_config --bindir`, else the highest Debian-style
 * `/usr/lib/postgresql/<major>/bin`; as root, also the `postgres` user to run them as.
 * @throws InfraError `POSTGRES_BIN_MISSING`.
 */
async function findTools(): Promise<Tools> {
  const bin = await findBinDir();
  if (process.getuid?.() !== 0) return { bin };
  const uid = await idOf('-u');
  const gid = await idOf('-g');
  return { bin, runAs: { user: 'postgres', uid, gid } };
}

/** The directory holding `initdb` and `pg_ctl`, by the search order of {@link findTools}. */
export async function findBinDir(env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const hasTools = (dir: string) =>
    existsSync(join(dir, 'initdb')) && existsSync(join(dir, 'pg_ctl'));
  const override = env.PG_BIN?.trim();
  if (override !== undefined && override !== '') {
    if (hasTools(override)) return override;
    throw new InfraError(
      'POSTGRES_BIN_MISSING',
      `PG_BIN=${override} holds no initdb and pg_ctl: point it at PostgreSQL's bin directory.`,
    );
  }
  const configured = await runCommand('pg_config', ['--bindir']).then(
    (result) => (result.code === 0 ? result.output.trim() : undefined),
    () => undefined,
  );
  if (configured !== undefined && hasTools(configured)) return configured;
  const debian = '/usr/lib/postgresql';
  const majors = await readdir(debian).catch(() => [] as string[]);
  const highest = majors
    .filter((name) => /^\d+$/.test(name) && hasTools(join(debian, name, 'bin')))
    .sort((a, b) => Number(b) - Number(a))[0];
  if (highest !== undefined) return join(debian, highest, 'bin');
  throw new InfraError(
    'POSTGRES_BIN_MISSING',
    'No PostgreSQL server binaries (initdb, pg_ctl) found via pg_config or /usr/lib/postgresql: install PostgreSQL or set PG_BIN.',
  );
}

async function idOf(flag: '-u' | '-g'): Promise<number> {
  const result = await runCommand('id', [flag, 'postgres']).catch(() => undefined);
  const id = Number(result?.output.trim());
  if (result?.code !== 0 || !Number.isInteger(id)) {
    throw new InfraError(
      'POSTGRES_BIN_MISSING',
      'Running as root, but there is no `postgres` OS user to run initdb and pg_ctl as (initdb refuses root).',
    );
  }
  return id;
}

/** Runs a server program, as the `postgres` user when we are root, from `layout.dir`. */
async function tool(
  tools: Tools,
  layout: Layout,
  program: 'initdb' | 'pg_ctl',
  args: readonly string[],
): Promise<CommandResult> {
  const path = join(tools.bin, program);
  try {
    return tools.runAs === undefined
      ? await runCommand(path, args, layout.dir)
      : await runCommand('runuser', ['-u', tools.runAs.user, '--', path, ...args], layout.dir);
  } catch (error) {
    if (!isNotInstalled(error)) throw error;
    throw new InfraError(
      'POSTGRES_BIN_MISSING',
      `${tools.runAs === undefined ? path : 'runuser'} cannot be run: install it or set PG_BIN.`,
      { cause: error },
    );
  }
}

/** Creates `layout.dir` (owned by the server's user) and runs initdb unless the data directory exists. */
async function initialise(tools: Tools, layout: Layout): Promise<void> {
  await mkdir(layout.dir, { recursive: true, mode: 0o700 });
  await own(tools, layout.dir);
  if (existsSync(join(layout.data, 'PG_VERSION'))) return;
  await rm(layout.data, { recursive: true, force: true });
  const result = await tool(tools, layout, 'initdb', [
    '-D',
    layout.data,
    '-U',
    'postgres',
    '--auth=trust',
    '--encoding=UTF8',
    '--locale=C',
    '--no-instructions',
  ]);
  if (result.code !== 0) {
    throw new InfraError(
      'POSTGRES_INIT_FAILED',
      `initdb of ${shown(layout.data)} failed (exit ${String(result.code)}): ${lastLine(result.output)}`,
    );
  }
  await writeOwned(tools, join(layout.data, 'pg_hba.conf'), HBA);
  const conf = join(layout.data, 'postgresql.conf');
  await writeOwned(
    tools,
    conf,
    `${await readFile(conf, 'utf8')}\ninclude_if_exists = 'lineage.conf'\n`,
  );
}

/** The settings written before every start: the port may change between runs of one directory. */
export function serverSettings(port: number, socketDir: string): string {
  const quoted = (value: string) => `'${value.replace(/'/g, "''")}'`;
  return [
    `listen_addresses = ${quoted(LOOPBACK)}`,
    `port = ${port}`,
    `unix_socket_directories = ${quoted(socketDir)}`,
    'fsync = on',
    'synchronous_commit = on',
    'full_page_writes = on',
    "shared_buffers = '32MB'",
    'max_connections = 100',
    '',
  ].join('\n');
}

/**
 * Starts the server on `port` and waits until it accepts TCP connections; a server still running
 * from this directory is reused when it listens on `port`, and stopped first otherwise.
 */
async function startServer(tools: Tools, layout: Layout, port: number): Promise<void> {
  const running = await runningPort(layout);
  if (running === port) return waitForConnections(layout, port);
  if (running !== undefined) await stopServer(tools, layout, 'fast');
  if (!(await portFreed(port))) throw portTaken(port);
  await writeOwned(tools, join(layout.data, 'lineage.conf'), serverSettings(port, layout.data));
  const result = await tool(tools, layout, 'pg_ctl', [
    '-D',
    layout.data,
    '-l',
    layout.log,
    '-w',
    '-t',
    String(START_TIMEOUT_S),
    'start',
  ]);
  if (result.code !== 0) {
    throw new InfraError(
      'POSTGRES_START_FAILED',
      `pg_ctl start on port ${port} failed (exit ${String(result.code)}): ${lastLine(result.output)}; see ${shown(layout.log)}.`,
    );
  }
  await waitForConnections(layout, port);
}

/** Stops the server running from `layout`, if any, and waits for it to exit. */
async function stopServer(tools: Tools, layout: Layout, mode: 'immediate' | 'fast'): Promise<void> {
  if ((await runningPort(layout)) === undefined) return;
  const result = await tool(tools, layout, 'pg_ctl', [
    '-D',
    layout.data,
    '-m',
    mode,
    '-w',
    '-t',
    String(STOP_TIMEOUT_S),
    'stop',
  ]);
  // pg_ctl also exits non-zero when the server went away by itself meanwhile.
  if (result.code !== 0 && (await runningPort(layout)) !== undefined) {
    throw new InfraError(
      'POSTGRES_STOP_FAILED',
      `pg_ctl stop -m ${mode} failed (exit ${String(result.code)}): ${lastLine(result.output)}`,
    );
  }
}

/** The port of the postmaster running from `layout` (per its live postmaster.pid), if one runs. */
async function runningPort(layout: Layout): Promise<number | undefined> {
  const lines = (await readFile(layout.pidFile, 'utf8').catch(() => '')).split('\n');
  const pid = Number(lines[0]);
  const port = Number(lines[3]);
  if (!Number.isInteger(pid) || pid <= 0 || !isAlive(pid)) return undefined;
  return Number.isInteger(port) && port > 0 ? port : undefined;
}

/** Polls a TCP connection until the server answers `SELECT 1`. */
async function waitForConnections(layout: Layout, port: number): Promise<void> {
  const deadline = Date.now() + START_TIMEOUT_S * 1_000;
  let last: unknown;
  while (Date.now() < deadline) {
    const client = new pg.Client({
      host: LOOPBACK,
      port,
      user: 'postgres',
      database: 'postgres',
      connectionTimeoutMillis: 2_000,
    });
    client.on('error', () => undefined);
    try {
      await client.connect();
      await client.query('SELECT 1');
      return;
    } catch (error) {
      last = error;
    } finally {
      await client.end().catch(() => undefined);
    }
    if ((await runningPort(layout)) === undefined) break;
    await sleep(100);
  }
  const reason = last instanceof Error ? last.message.split('\n')[0] : 'the server exited';
  throw new InfraError(
    'POSTGRES_START_FAILED',
    `Postgres on ${LOOPBACK}:${port} does not accept connections (${reason}); see ${shown(layout.log)}.`,
    { cause: last },
  );
}

/**
 * True once `port` can be bound. When nothing listens there but the bind still fails, an outgoing
 * connection holds the port (ports above 32767 are in Linux's ephemeral range; a closed client
 * socket keeps it in TIME_WAIT for up to 60 s), so wait for it to be released.
 */
async function portFreed(port: number, timeoutMs = 65_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!(await portIsFree(port))) {
    if ((await listening(port)) || Date.now() >= deadline) return false;
    await sleep(500);
  }
  return true;
}

/** True when a server accepts TCP connections on 127.0.0.1:`port`. */
function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: LOOPBACK, port, timeout: 1_000 });
    const done = (answer: boolean) => {
      socket.destroy();
      resolve(answer);
    };
    socket.once('connect', () => done(true));
    socket.once('timeout', () => done(true));
    socket.once('error', () => done(false));
  });
}

function portTaken(port: number): InfraError {
  return new InfraError(
    'PORT_TAKEN',
    `Port ${port} on ${LOOPBACK} is already in use by another process: pick another port for the private Postgres server, ` +
      `or stop that process (\`ss -ltnp 'sport = :${port}'\` shows it).`,
  );
}

async function own(tools: Tools, path: string): Promise<void> {
  if (tools.runAs === undefined) return;
  await chown(path, tools.runAs.uid, tools.runAs.gid);
  await chmod(path, 0o700);
}

async function writeOwned(tools: Tools, file: string, text: string): Promise<void> {
  await writeFile(file, text, { mode: 0o600 });
  if (tools.runAs !== undefined) await chown(file, tools.runAs.uid, tools.runAs.gid);
}

function shown(file: string): string {
  return relative(repoRoot(), file) || '.';
}

function lastLine(output: string): string {
  return (
    output
      .trim()
      .split('\n')
      .filter((line) => line.trim() !== '')
      .at(-1) ?? 'no output'
  );
}
