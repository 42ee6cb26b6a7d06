import kafkajs from 'kafkajs';
import { readFile, mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseProperties, renderLog4jProperties } from './broker-config.js';
import { InfraError } from './errors.js';
import { ensureKafkaJars } from './jars.js';
import { findJava } from './java.js';
import { formatStorage, newClusterId, runningBroker, spawnBroker, stopBroker } from './kafka.js';
import type { SpawnedBroker } from './kafka.js';
import { withLock } from './lock.js';
import { shown } from './paths.js';
import { isKafkaBroker, killNow } from './pid.js';
import { waitForKafka } from './probe.js';
import {
  address,
  checkPorts,
  clusterLayout,
  clusterNodeProperties,
  refuseEphemeralPorts,
} from './cluster-layout.js';
import type { ClusterLayout, ClusterNodeLayout, KafkaClusterOptions } from './cluster-layout.js';

const { Kafka, logLevel } = kafkajs;

/** Each node's heap unless KAFKA_HEAP_OPTS says otherwise: three nodes fit beside the single broker. */
const NODE_HEAP = '-Xmx512m';
const KILL_WAIT_MS = 30_000;
const LOCK_WAIT_MS = 5 * 60_000;
const STATUS_PROBE_MS = 3_000;

/** One node of a {@link KafkaCluster}. */
export interface KafkaClusterNode {
  /** KRaft `node.id`, 0-based: the index in {@link KafkaCluster.nodes}. */
  readonly id: number;
  /** Client port on 127.0.0.1. */
  readonly port: number;
  /** KRaft controller port on 127.0.0.1. */
  readonly controllerPort: number;
  /** Pid of its JVM while it runs (as far as this handle knows). */
  pid(): number | undefined;
}

/** A running local cluster: every node is a broker and a voter of the controller quorum. */
export interface KafkaCluster {
  /** All client addresses, `127.0.0.1:<port>`. */
  readonly brokers: string[];
  readonly nodes: readonly KafkaClusterNode[];
  /**
   * SIGKILLs node `id`'s JVM (no clean shutdown) and resolves once it is gone; a stopped node is left alone.
   * @throws InfraError `USAGE` for an unknown id, `KAFKA_START_TIMEOUT` if the process outlives SIGKILL for 30 s.
   */
  kill(id: number): Promise<void>;
  /**
   * (Re)starts node `id` from its data folder and resolves once it answers and is a live broker of
   * the cluster again; a running node is only waited for.
   * @throws InfraError `USAGE`, `PORT_TAKEN`, `KAFKA_START_FAILED`, `KAFKA_START_TIMEOUT`.
   */
  start(id: number): Promise<void>;
  /**
   * Resolves once every node is a live broker and every partition of every topic (internal ones
   * included) has all its replicas in sync.
   * @param timeoutMs default the cluster's `startTimeoutMs`.
   * @throws InfraError `KAFKA_NOT_IN_SYNC` naming the partitions still short of replicas.
   */
  waitInSync(timeoutMs?: number): Promise<void>;
  /**
   * Stops every node (SIGTERM, SIGKILL after 30 s) in parallel, so nothing of the cluster keeps
   * running; with `id`, only that node (a clean shutdown, unlike {@link KafkaCluster.kill}).
   * @throws InfraError `USAGE` for an unknown id.
   */
  stop(id?: number): Promise<void>;
}

/**
 * Starts a local KRaft cluster (see {@link KafkaClusterOptions} for the port layout) and resolves once
 * every node answers and is a live broker. Nodes already running from the same home are reused; the
 * storage is formatted once, every node with one cluster id, and reused afterwards. Nothing of the
 * single broker (`.lineage/kafka`, 9092) is touched but the shared jars.
 * @throws InfraError `USAGE`, `INVALID_PORT` (also for ports in the system's ephemeral range), `PORT_TAKEN`, `JAVA_MISSING`, `JAVA_TOO_OLD`, `JARS_FETCH_FAILED`,
 *   `JARS_DIGEST_MISMATCH`, `KAFKA_FORMAT_FAILED`, `KAFKA_START_FAILED`, `KAFKA_START_TIMEOUT`; nodes it
 *   launched are stopped again when it throws.
 */
export async function startKafkaCluster(options: KafkaClusterOptions = {}): Promise<KafkaCluster> {
  const layout = clusterLayout(options);
  await refuseEphemeralPorts(layout);
  await mkdir(layout.home, { recursive: true });
  const cluster = await LocalCluster.attach(layout);
  await cluster.locked(async () => {
    if (options.fresh === true) {
      await cluster.stop();
      await rm(layout.home, { recursive: true, force: true });
    }
    await cluster.startAll();
  });
  return cluster;
}

/**
 * The handle of the cluster living in the options' home, running or not: starts nothing (the CLI's
 * `kill`, `restart` and `stop` act through it).
 * @throws InfraError `USAGE`, `INVALID_PORT`.
 */
export async function openKafkaCluster(options: KafkaClusterOptions = {}): Promise<KafkaCluster> {
  return LocalCluster.attach(clusterLayout(options));
}

/** What {@link kafkaClusterStatus} found about one node. */
export interface ClusterNodeStatus {
  readonly id: number;
  readonly broker: string;
  readonly pid: number | undefined;
  /** Whether the node answers metadata requests and counts itself among the live brokers. */
  readonly answering: boolean;
  /** Its log file, relative to the repository root. */
  readonly logFile: string;
}

/** Reports, node by node, whether the cluster of the options runs and answers. Never starts anything. */
export async function kafkaClusterStatus(
  options: KafkaClusterOptions = {},
): Promise<ClusterNodeStatus[]> {
  const layout = clusterLayout(options);
  return Promise.all(
    layout.nodes.map(async (node) => {
      const running = await runningBroker(node.paths, true);
      const broker = address(node);
      // A few probes: kafkajs may route one to a dead neighbour still listed in the metadata.
      const answering =
        running !== undefined &&
        (await waitForKafka([broker], STATUS_PROBE_MS, () => true, [node.id])) === 'ready';
      const logFile = shown(node.paths, node.paths.logFile);
      return { id: node.id, broker, pid: running?.pid, answering, logFile };
    }),
  );
}

class LocalCluster implements KafkaCluster {
  readonly brokers: string[];
  readonly nodes: readonly KafkaClusterNode[];
  /** Pids of the nodes this handle believes to run. */
  private readonly pids = new Map<number, number>();
  /** Nodes this process launched, to notice one dying while it starts. */
  private readonly spawned = new Map<number, SpawnedBroker>();

  private constructor(private readonly layout: ClusterLayout) {
    this.brokers = layout.nodes.map(address);
    this.nodes = layout.nodes.map((node) => ({
      id: node.id,
      port: node.port,
      controllerPort: node.controllerPort,
      pid: () => this.pids.get(node.id),
    }));
  }

  static async attach(layout: ClusterLayout): Promise<LocalCluster> {
    const cluster = new LocalCluster(layout);
    for (const node of layout.nodes) {
      const running = await runningBroker(node.paths, true);
      if (running !== undefined) cluster.pids.set(node.id, running.pid);
    }
    return cluster;
  }

  locked<T>(work: () => Promise<T>): Promise<T> {
    const { lockFile } = this.layout;
    const timeout = () =>
      new InfraError(
        'KAFKA_START_TIMEOUT',
        `Another process kept ${lockFile} for ${LOCK_WAIT_MS / 1000} s while starting the cluster: wait for it, or delete that file if nothing is starting.`,
      );
    return withLock(lockFile, LOCK_WAIT_MS, timeout, work);
  }

  async startAll(): Promise<void> {
    const { nodes, startTimeoutMs } = this.layout;
    const idle: ClusterNodeLayout[] = [];
    for (const node of nodes) {
      if (!(await this.refresh(node))) idle.push(node);
    }
    // Every port must be free before anything is launched, so a clash starts nothing.
    for (const node of idle) await checkPorts(node);
    const launched: number[] = [];
    try {
      if (idle.length > 0) {
        const java = await findJava();
        await ensureKafkaJars(nodes[0]!.paths);
        const clusterId = (await this.clusterId()) ?? newClusterId();
        for (const node of idle) {
          await this.prepare(java, node, clusterId);
          await this.launch(java, node);
          launched.push(node.id);
        }
      }
      // A lone node cannot answer before a majority of the quorum is up: launch all, then wait
      // until every node's own metadata lists every node as a live broker (a client asking any of
      // them must see the whole cluster, or it would create topics with too few replicas).
      const deadline = Date.now() + startTimeoutMs;
      const everyone = nodes.map((node) => node.id);
      for (const node of nodes) await this.waitAnswering(node, deadline - Date.now(), everyone);
    } catch (error) {
      await Promise.all(launched.map((id) => this.stopNode(this.layout.nodes[id]!)));
      throw error;
    }
  }

  async kill(id: number): Promise<void> {
    const node = this.node(id);
    const pid = this.pids.get(id) ?? (await runningBroker(node.paths, true))?.pid;
    if (pid === undefined) return;
    // The pid must still be this node's JVM: a recycled pid is never signalled.
    if (isKafkaBroker(pid, node.paths.serverProperties) && !(await killNow(pid, KILL_WAIT_MS))) {
      throw new InfraError(
        'KAFKA_START_TIMEOUT',
        `Node ${id} (pid ${pid}) is still there ${KILL_WAIT_MS / 1000} s after SIGKILL.`,
      );
    }
    this.pids.delete(id);
    this.spawned.delete(id);
    await rm(node.paths.pidFile, { force: true });
  }

  async start(id: number): Promise<void> {
    const node = this.node(id);
    await this.locked(async () => {
      if (!(await this.refresh(node))) {
        await checkPorts(node);
        const java = await findJava();
        await ensureKafkaJars(node.paths);
        await this.prepare(java, node, (await this.clusterId()) ?? newClusterId());
        await this.launch(java, node);
      }
      try {
        await this.waitAnswering(node, this.layout.startTimeoutMs);
      } catch (error) {
        await this.stopNode(node);
        throw error;
      }
    });
  }

  async waitInSync(timeoutMs: number = this.layout.startTimeoutMs): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let short = ['no answer yet'];
    for (;;) {
      short = await this.outOfSync().catch((error: unknown) => [
        `no metadata: ${error instanceof Error ? error.message : String(error)}`,
      ]);
      if (short.length === 0) return;
      if (Date.now() >= deadline) break;
      await sleep(500);
    }
    const shownShort = short.slice(0, 5).join('; ') + (short.length > 5 ? '; ...' : '');
    throw new InfraError(
      'KAFKA_NOT_IN_SYNC',
      `The cluster at ${this.brokers.join(',')} was not fully in sync within ${timeoutMs / 1000} s: ${shownShort}.`,
    );
  }

  async stop(id?: number): Promise<void> {
    const nodes = id === undefined ? this.layout.nodes : [this.node(id)];
    await Promise.all(nodes.map((node) => this.stopNode(node)));
  }

  /** What keeps the cluster from being in sync: missing live brokers and partitions short of replicas. */
  private async outOfSync(): Promise<string[]> {
    const admin = new Kafka({
      clientId: 'lineage-infra-cluster',
      brokers: this.brokers,
      logLevel: logLevel.NOTHING,
      connectionTimeout: 2_000,
      requestTimeout: 5_000,
      retry: { retries: 0 },
    }).admin();
    try {
      await admin.connect();
      const live = new Set((await admin.describeCluster()).brokers.map((b) => b.nodeId));
      const short = this.layout.nodes
        .filter((node) => !live.has(node.id))
        .map((node) => `node ${node.id} is not a live broker`);
      const { topics } = await admin.fetchTopicMetadata();
      for (const topic of topics) {
        for (const partition of topic.partitions) {
          const isr = new Set(partition.isr);
          if (partition.replicas.some((replica) => !isr.has(replica))) {
            short.push(
              `${topic.name}-${partition.partitionId} has isr [${partition.isr.join(',')}] of replicas [${partition.replicas.join(',')}]`,
            );
          }
        }
      }
      return short;
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
  }

  /** Whether `node` runs (per its pid file), remembering or forgetting its pid accordingly. */
  private async refresh(node: ClusterNodeLayout): Promise<boolean> {
    const running = await runningBroker(node.paths, true);
    if (running === undefined) {
      this.pids.delete(node.id);
      return false;
    }
    this.pids.set(node.id, running.pid);
    return true;
  }

  /** Writes the node's configuration and formats its storage unless it already is. */
  private async prepare(java: string, node: ClusterNodeLayout, clusterId: string): Promise<void> {
    await mkdir(node.paths.home, { recursive: true });
    await writeFile(node.paths.serverProperties, clusterNodeProperties(this.layout, node));
    await writeFile(node.paths.log4jProperties, renderLog4jProperties(node.paths.logFile));
    await formatStorage(java, node.paths, clusterId);
  }

  private async launch(java: string, node: ClusterNodeLayout): Promise<void> {
    const broker = await spawnBroker(java, node.paths, NODE_HEAP);
    this.spawned.set(node.id, broker);
    this.pids.set(node.id, broker.pid);
  }

  /**
   * Waits until `node` answers on its own port and counts itself — and every node of `live` — among
   * the live brokers.
   */
  private async waitAnswering(
    node: ClusterNodeLayout,
    timeoutMs: number,
    live: readonly number[] = [node.id],
  ): Promise<void> {
    const pid = this.pids.get(node.id);
    const spawned = this.spawned.get(node.id);
    const alive = () =>
      pid !== undefined &&
      (spawned === undefined
        ? isKafkaBroker(pid, node.paths.serverProperties)
        : spawned.exited() === undefined);
    const outcome = await waitForKafka([address(node)], Math.max(timeoutMs, 1_000), alive, live);
    const logs = `see ${shown(node.paths, node.paths.logFile)} and ${shown(node.paths, node.paths.outFile)}`;
    if (outcome === 'gave-up') {
      throw new InfraError(
        'KAFKA_START_FAILED',
        `Cluster node ${node.id} exited while starting (${spawned?.exited() ?? 'not running'}): ${logs}.`,
      );
    }
    if (outcome === 'timeout') {
      throw new InfraError(
        'KAFKA_START_TIMEOUT',
        `Cluster node ${node.id} did not answer on ${address(node)} as a live broker in time: ${logs}.`,
      );
    }
  }

  private async stopNode(node: ClusterNodeLayout): Promise<void> {
    const pid = this.pids.get(node.id) ?? (await runningBroker(node.paths, true))?.pid;
    if (pid !== undefined && isKafkaBroker(pid, node.paths.serverProperties))
      await stopBroker(node.paths, pid);
    this.pids.delete(node.id);
    this.spawned.delete(node.id);
  }

  /** The cluster id some node was formatted with, so a node formatted later joins the same cluster. */
  private async clusterId(): Promise<string | undefined> {
    for (const node of this.layout.nodes) {
      const meta = await readFile(join(node.paths.data, 'meta.properties'), 'utf8').catch(
        () => undefined,
      );
      const id = meta === undefined ? undefined : parseProperties(meta).get('cluster.id');
      if (id !== undefined) return id;
    }
    return undefined;
  }

  private node(id: number): ClusterNodeLayout {
    const node = this.layout.nodes[id];
    if (!Number.isInteger(id) || node === undefined) {
      throw new InfraError(
        'USAGE',
        `The cluster has no node ${String(id)}: its nodes are 0 to ${this.layout.nodes.length - 1}.`,
      );
    }
    return node;
  }
}
