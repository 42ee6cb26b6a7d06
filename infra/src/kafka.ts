import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { appendFile, mkdir, open, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  advertisedPort,
  parseProperties,
  renderLog4jProperties,
  renderServerProperties,
} from './broker-config.js';
import { InfraError } from './errors.js';
import { runCommand } from './exec.js';
import { ensureKafkaJars } from './jars.js';
import { findJava } from './java.js';
import { withLock } from './lock.js';
import { kafkaPaths, shown } from './paths.js';
import type { KafkaPaths } from './paths.js';
import { isKafkaBroker, readPid, removePid, terminate, writePid } from './pid.js';
import { LOOPBACK, envPort, parsePort, portIsFree, portTakenError } from './port.js';
import { kafkaAnswers, waitForKafka } from './probe.js';

/** Client port when neither the `port` option nor KAFKA_PORT says otherwise. */
export const DEFAULT_KAFKA_PORT = 9092;
/** KRaft controller port when neither the `controllerPort` option nor KAFKA_CONTROLLER_PORT says otherwise. */
export const DEFAULT_CONTROLLER_PORT = 9093;

const STOP_GRACE_MS = 30_000;
/** How long a second starter waits for the first (which may be downloading the jars). */
const LOCK_WAIT_MS = 5 * 60_000;
/** Same heap and GC flags as Kafka's own start scripts, heap capped at 1 GiB; KAFKA_HEAP_OPTS overrides the heap. */
const JVM_FLAGS = [
  '-XX:+UseG1GC',
  '-XX:MaxGCPauseMillis=20',
  '-XX:InitiatingHeapOccupancyPercent=35',
  '-XX:+ExplicitGCInvokesConcurrent',
  '-Djava.awt.headless=true',
];

export interface KafkaOptions {
  /** Client port on 127.0.0.1; default KAFKA_PORT, else 9092. */
  readonly port?: number;
  /** KRaft controller port on 127.0.0.1; default KAFKA_CONTROLLER_PORT, else 9093. */
  readonly controllerPort?: number;
  /** How long to wait for the broker to answer metadata requests; default 90 s. */
  readonly startTimeoutMs?: number;
}

/** A running Kafka: where it is, and whether stopping it is ours to do. */
export interface KafkaHandle {
  readonly brokers: string[];
  /** True when this call started the broker; false when it reused one (then `stop()` does nothing). */
  readonly owned: boolean;
  /** The local broker's pid; undefined for a cluster named by KAFKA_BROKERS. */
  readonly pid?: number;
  stop(): Promise<void>;
}

/** What `kafkaStatus()` found. */
export interface KafkaStatus {
  /** `external` when KAFKA_BROKERS names the cluster, `local` for the broker under `.lineage/kafka`. */
  readonly mode: 'local' | 'external';
  readonly brokers: string[];
  /** Pid of the local broker when it runs. */
  readonly pid: number | undefined;
  /** Whether the brokers answer metadata requests. */
  readonly answering: boolean;
  /** The local broker's log file, relative to the repository root. */
  readonly logFile: string;
}

/**
 * The brokers clients should use: KAFKA_BROKERS (comma separated) if set, else `127.0.0.1:<KAFKA_PORT or 9092>`.
 * @throws InfraError `INVALID_PORT` when KAFKA_PORT is not a port.
 */
export function kafkaBrokers(): string[] {
  return externalBrokers() ?? [`${LOOPBACK}:${envPort('KAFKA_PORT', DEFAULT_KAFKA_PORT)}`];
}

/**
 * Starts the local single-node KRaft broker (detached, own process group) and resolves once it answers
 * metadata requests; reuses ours if it already runs (`owned: false`). With KAFKA_BROKERS set it starts
 * nothing and only checks that those brokers answer.
 * @throws InfraError `PORT_TAKEN`, `KAFKA_RUNNING_ELSEWHERE`, `JAVA_MISSING`, `JAVA_TOO_OLD`, `JARS_FETCH_FAILED`,
 *   `JARS_DIGEST_MISMATCH`, `KAFKA_FORMAT_FAILED`, `KAFKA_START_FAILED`, `KAFKA_START_TIMEOUT`, `KAFKA_UNREACHABLE`,
 *   `INVALID_PORT`.
 */
export async function startKafka(options: KafkaOptions = {}): Promise<KafkaHandle> {
  const timeoutMs = options.startTimeoutMs ?? 90_000;
  const external = externalBrokers();
  if (external !== undefined) {
    if ((await waitForKafka(external, Math.min(timeoutMs, 15_000))) !== 'ready') {
      throw new InfraError(
        'KAFKA_UNREACHABLE',
        `KAFKA_BROKERS=${external.join(',')} does not answer metadata requests: start that cluster, or unset KAFKA_BROKERS to let Lineage run its own broker.`,
      );
    }
    return { brokers: external, owned: false, stop: async () => undefined };
  }
  const port =
    options.port === undefined
      ? envPort('KAFKA_PORT', DEFAULT_KAFKA_PORT)
      : parsePort(options.port, 'port');
  const controllerPort =
    options.controllerPort === undefined
      ? envPort('KAFKA_CONTROLLER_PORT', DEFAULT_CONTROLLER_PORT)
      : parsePort(options.controllerPort, 'controllerPort');
  const paths = kafkaPaths();
  await mkdir(paths.home, { recursive: true });
  const lockTimeout = () =>
    new InfraError(
      'KAFKA_START_TIMEOUT',
      `Another process kept ${shown(paths, paths.lockFile)} for ${LOCK_WAIT_MS / 1000} s while starting Kafka: wait for it, or delete that file if nothing is starting.`,
    );
  return withLock(paths.lockFile, LOCK_WAIT_MS, lockTimeout, () =>
    startLocked(paths, port, controllerPort, timeoutMs),
  );
}

async function startLocked(
  paths: KafkaPaths,
  port: number,
  controllerPort: number,
  timeoutMs: number,
): Promise<KafkaHandle> {
  const brokers = [`${LOOPBACK}:${port}`];
  const running = await runningBroker(paths);
  if (running !== undefined) {
    if (running.port === undefined || running.port === port) {
      const outcome = await waitForKafka(brokers, timeoutMs, () => isKafkaBroker(running.pid));
      if (outcome === 'ready')
        return { brokers, owned: false, pid: running.pid, stop: async () => undefined };
      throw new InfraError(
        'KAFKA_START_TIMEOUT',
        `Lineage's Kafka broker (pid ${running.pid}) runs but does not answer on ${brokers[0]}: see ${shown(paths, paths.logFile)}, or restart it with \`pnpm kafka stop\`.`,
      );
    }
    if (!(await portIsFree(port))) throw portTakenError(port, 'KAFKA_PORT');
    throw new InfraError(
      'KAFKA_RUNNING_ELSEWHERE',
      `Lineage's Kafka broker already runs on ${LOOPBACK}:${running.port} (pid ${running.pid}): use KAFKA_PORT=${running.port}, or stop it first with \`pnpm kafka stop\`.`,
    );
  }
  if (!(await portIsFree(port))) throw portTakenError(port, 'KAFKA_PORT');
  if (!(await portIsFree(controllerPort)))
    throw portTakenError(controllerPort, 'KAFKA_CONTROLLER_PORT');

  const java = await findJava();
  await ensureKafkaJars(paths);
  await writeFile(
    paths.serverProperties,
    renderServerProperties({ host: LOOPBACK, port, controllerPort, dataDir: paths.data }),
  );
  await writeFile(paths.log4jProperties, renderLog4jProperties(paths.logFile));
  await formatStorage(java, paths, newClusterId());
  return launch(java, paths, brokers, timeoutMs);
}

/**
 * A fresh KRaft cluster id (16 random bytes, base64url, as `kafka-storage random-uuid` prints). Like
 * Kafka's own `Uuid.randomUuid`, it draws again when the id would begin with `-` (which
 * `kafka-storage format -t <id>` reads as an option: about one draw in 64) or is a reserved id
 * (all zeros, or the metadata topic's 0…01).
 * @param random the byte source; tests pass a rigged one.
 */
export function newClusterId(random: (size: number) => Uint8Array = randomBytes): string {
  for (;;) {
    const bytes = random(16);
    const id = Buffer.from(bytes).toString('base64url');
    const reserved = bytes.subarray(0, 15).every((b) => b === 0) && (bytes[15] ?? 0) <= 1;
    if (!id.startsWith('-') && !reserved) return id;
  }
}

/**
 * Formats a broker's KRaft storage once with `clusterId`: a data dir with `meta.properties` is left alone.
 * @throws InfraError `KAFKA_FORMAT_FAILED`.
 */
export async function formatStorage(
  java: string,
  paths: KafkaPaths,
  clusterId: string,
): Promise<void> {
  if (existsSync(join(paths.data, 'meta.properties'))) return;
  const args = [
    ...classpath(paths),
    'kafka.tools.StorageTool',
    'format',
    '-t',
    clusterId,
    '-c',
    paths.serverProperties,
    '--ignore-formatted',
  ];
  const result = await runCommand(java, args, paths.home);
  await appendFile(
    paths.outFile,
    `--- kafka-storage format ${new Date().toISOString()}\n${result.output}`,
  );
  if (result.code !== 0) {
    throw new InfraError(
      'KAFKA_FORMAT_FAILED',
      `Formatting Kafka storage in ${shown(paths, paths.data)} failed (exit ${String(result.code)}): see ${shown(paths, paths.outFile)}.`,
    );
  }
}

/** A broker JVM just launched in the background. */
export interface SpawnedBroker {
  readonly pid: number;
  /** How it ended (`SIGKILL`, `exit 1`, ...), or undefined while it runs. */
  exited(): string | undefined;
}

/**
 * Launches the broker configured in `paths` detached, in its own process group, appending its output
 * to `paths.outFile`, and records its pid. Does not wait for it to answer.
 * @param heap the heap flags when KAFKA_HEAP_OPTS does not give them.
 * @throws InfraError `KAFKA_START_FAILED` when the JVM cannot be started.
 */
export async function spawnBroker(
  java: string,
  paths: KafkaPaths,
  heap: string,
): Promise<SpawnedBroker> {
  const heapFlags = (process.env.KAFKA_HEAP_OPTS ?? heap)
    .split(/\s+/)
    .filter((flag) => flag !== '');
  const args = [
    ...heapFlags,
    ...JVM_FLAGS,
    ...classpath(paths),
    'kafka.Kafka',
    paths.serverProperties,
  ];
  const out = await open(paths.outFile, 'a');
  let exit: string | undefined;
  const child = spawn(java, args, {
    cwd: paths.home,
    detached: true,
    stdio: ['ignore', out.fd, out.fd],
  });
  child.once('error', (error) => (exit = error.message));
  child.once('exit', (code, signal) => (exit = signal ?? `exit ${String(code)}`));
  child.unref();
  await out.close();
  const pid = child.pid;
  if (pid === undefined) {
    throw new InfraError('KAFKA_START_FAILED', `Could not start ${java}: ${exit ?? 'no pid'}.`);
  }
  await writePid(paths.pidFile, pid);
  return { pid, exited: () => exit };
}

async function launch(
  java: string,
  paths: KafkaPaths,
  brokers: string[],
  timeoutMs: number,
): Promise<KafkaHandle> {
  const broker = await spawnBroker(java, paths, '-Xmx1G');
  const { pid } = broker;
  const outcome = await waitForKafka(brokers, timeoutMs, () => broker.exited() === undefined);
  if (outcome === 'gave-up') {
    await removePid(paths.pidFile, pid);
    throw new InfraError(
      'KAFKA_START_FAILED',
      `Kafka exited while starting (${broker.exited() ?? '?'}): see ${shown(paths, paths.logFile)} and ${shown(paths, paths.outFile)}.`,
    );
  }
  if (outcome === 'timeout') {
    await stopBroker(paths, pid);
    throw new InfraError(
      'KAFKA_START_TIMEOUT',
      `Kafka did not answer on ${brokers.join(',')} within ${timeoutMs / 1000} s (stopped it): see ${shown(paths, paths.logFile)}.`,
    );
  }
  let stopping: Promise<void> | undefined;
  return { brokers, owned: true, pid, stop: () => (stopping ??= stopBroker(paths, pid)) };
}

/**
 * Stops the local broker recorded in `.lineage/kafka/broker.pid` (SIGTERM, SIGKILL after 30 s), whoever started it.
 * @returns the pid it stopped, or undefined when none was running.
 */
export async function stopKafka(): Promise<number | undefined> {
  const paths = kafkaPaths();
  const running = await runningBroker(paths);
  if (running === undefined) return undefined;
  await stopBroker(paths, running.pid);
  return running.pid;
}

/** Reports whether the local broker (or the KAFKA_BROKERS cluster) runs and answers. Never starts anything. */
export async function kafkaStatus(): Promise<KafkaStatus> {
  const paths = kafkaPaths();
  const logFile = shown(paths, paths.logFile);
  const external = externalBrokers();
  if (external !== undefined) {
    return {
      mode: 'external',
      brokers: external,
      pid: undefined,
      answering: await kafkaAnswers(external),
      logFile,
    };
  }
  const running = await runningBroker(paths);
  const brokers = running?.port === undefined ? kafkaBrokers() : [`${LOOPBACK}:${running.port}`];
  const answering = running === undefined ? false : await kafkaAnswers(brokers);
  return { mode: 'local', brokers, pid: running?.pid, answering, logFile };
}

/** Stops broker `pid` (SIGTERM, SIGKILL after 30 s) and clears its pid file. */
export async function stopBroker(paths: KafkaPaths, pid: number): Promise<void> {
  await terminate(pid, STOP_GRACE_MS);
  await removePid(paths.pidFile, pid);
}

/**
 * The broker of `paths` per its pid file, with the port it was configured with; clears a stale pid
 * file. `exact` also requires the process to run that broker's `server.properties` (cluster nodes,
 * which share everything else).
 */
export async function runningBroker(
  paths: KafkaPaths,
  exact = false,
): Promise<{ pid: number; port: number | undefined } | undefined> {
  const pid = await readPid(paths.pidFile);
  if (pid === undefined) return undefined;
  if (!isKafkaBroker(pid, exact ? paths.serverProperties : undefined)) {
    await removePid(paths.pidFile, pid);
    return undefined;
  }
  const properties = await readFile(paths.serverProperties, 'utf8').catch(() => '');
  return { pid, port: advertisedPort(parseProperties(properties)) };
}

function classpath(paths: KafkaPaths): string[] {
  return [
    `-Dlog4j.configuration=${pathToFileURL(paths.log4jProperties).href}`,
    `-Dkafka.logs.dir=${paths.home}`,
    '-cp',
    `${join(paths.libs, '*')}`,
  ];
}

function externalBrokers(): string[] | undefined {
  const brokers = (process.env.KAFKA_BROKERS ?? '')
    .split(',')
    .map((broker) => broker.trim())
    .filter((broker) => broker !== '');
  return brokers.length > 0 ? brokers : undefined;
}
