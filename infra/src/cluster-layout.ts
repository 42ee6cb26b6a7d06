// The layout of a local multi-node KRaft cluster: its options, each node's ports and files, its
// server.properties, and the port checks made before a node starts. Does no I/O but the checks.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { clusterSettings, renderServerProperties } from './broker-config.js';
import { InfraError } from './errors.js';
import { brokerPaths, repoRoot } from './paths.js';
import type { KafkaPaths } from './paths.js';
import { LOOPBACK, envPort, parsePort, portIsFree, portTakenError } from './port.js';

/** First client port of the cluster when neither the `basePort` option nor KAFKA_CLUSTER_PORT says otherwise. */
export const DEFAULT_CLUSTER_PORT = 19092;
/** Node i's controller port is its client port plus this, so a cluster has at most this many nodes. */
export const CONTROLLER_PORT_OFFSET = 100;

/**
 * Where and how to run a local multi-node KRaft cluster. Ports: node i (0-based, also its KRaft
 * `node.id`) serves clients on `basePort + i` and the controller quorum on `basePort + 100 + i`,
 * all on 127.0.0.1; the default 19092 gives clients 19092-19094 and controllers 19192-19194.
 */
export interface KafkaClusterOptions {
  /** Number of nodes, each a combined broker + controller; default 3, at most 100. */
  readonly nodes?: number;
  /** Client port of node 0; default KAFKA_CLUSTER_PORT, else 19092. */
  readonly basePort?: number;
  /** State folder (one sub-folder per node); default `.lineage/kafka-cluster-<basePort>` under the repository root. */
  readonly home?: string;
  /** How long starting waits for every node to answer; also `waitInSync`'s default; default 120 s. */
  readonly startTimeoutMs?: number;
  /** Stop whatever runs in `home` and delete it first: a new, empty cluster. Default false (reuse). */
  readonly fresh?: boolean;
}

/** A node's place in the cluster layout: its ports and files. */
export interface ClusterNodeLayout {
  readonly id: number;
  readonly port: number;
  readonly controllerPort: number;
  readonly paths: KafkaPaths;
}

/** Where every node of a cluster lives, derived from {@link KafkaClusterOptions}. */
export interface ClusterLayout {
  readonly home: string;
  readonly lockFile: string;
  readonly startTimeoutMs: number;
  readonly nodes: readonly ClusterNodeLayout[];
}

/**
 * Resolves the options into ports and folders (node i in `<home>/node-<i>`). Does no I/O.
 * @throws InfraError `USAGE` for a node count outside 1..100, `INVALID_PORT` when a port falls outside 1..65535.
 */
export function clusterLayout(
  options: KafkaClusterOptions = {},
  root: string = repoRoot(),
): ClusterLayout {
  const count = options.nodes ?? 3;
  if (!Number.isInteger(count) || count < 1 || count > CONTROLLER_PORT_OFFSET) {
    throw new InfraError(
      'USAGE',
      `nodes=${String(count)}: a local cluster has 1 to ${CONTROLLER_PORT_OFFSET} nodes.`,
    );
  }
  const basePort =
    options.basePort === undefined
      ? envPort('KAFKA_CLUSTER_PORT', DEFAULT_CLUSTER_PORT)
      : parsePort(options.basePort, 'basePort');
  parsePort(basePort + CONTROLLER_PORT_OFFSET + count - 1, 'the last controller port');
  const home = options.home ?? join(root, '.lineage', `kafka-cluster-${basePort}`);
  const nodes = Array.from({ length: count }, (_, id) => ({
    id,
    port: basePort + id,
    controllerPort: basePort + CONTROLLER_PORT_OFFSET + id,
    paths: brokerPaths(join(home, `node-${id}`), root),
  }));
  return {
    home,
    lockFile: `${home}.lock`,
    startTimeoutMs: options.startTimeoutMs ?? 120_000,
    nodes,
  };
}

/** `server.properties` of one node: its id and ports, the whole quorum, and the cluster's replication settings. */
export function clusterNodeProperties(layout: ClusterLayout, node: ClusterNodeLayout): string {
  return renderServerProperties({
    host: LOOPBACK,
    port: node.port,
    controllerPort: node.controllerPort,
    dataDir: node.paths.data,
    nodeId: node.id,
    voters: layout.nodes.map((voter) => ({
      nodeId: voter.id,
      controllerPort: voter.controllerPort,
    })),
    settings: clusterSettings(layout.nodes.length),
  });
}

/** The node's client address. */
export function address(node: ClusterNodeLayout): string {
  return `${LOOPBACK}:${node.port}`;
}

/** @throws InfraError PORT_TAKEN when the node's client or controller port is in use. */
export async function checkPorts(node: ClusterNodeLayout): Promise<void> {
  for (const port of [node.port, node.controllerPort]) {
    if (!(await portIsFree(port))) throw portTakenError(port, 'KAFKA_CLUSTER_PORT');
  }
}

/**
 * A node binds its client port only once it has joined the cluster; until then a client probing that
 * port from the same host can be handed it as its own ephemeral port (a TCP self-connect), and the
 * node then fails to bind. Ports in the kernel's ephemeral range (Linux) are therefore refused.
 */
export async function refuseEphemeralPorts(layout: ClusterLayout): Promise<void> {
  const range = await readFile('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').catch(() => '');
  const [low, high] = range.trim().split(/\s+/).map(Number);
  if (low === undefined || high === undefined || Number.isNaN(low) || Number.isNaN(high)) return;
  const ports = layout.nodes.flatMap((node) => [node.port, node.controllerPort]);
  const clash = ports.find((port) => port >= low && port <= high);
  if (clash !== undefined) {
    throw new InfraError(
      'INVALID_PORT',
      `Cluster port ${clash} lies in this system's ephemeral port range (${low}-${high}), where a local client can take it before the node binds it: choose a basePort (or KAFKA_CLUSTER_PORT) below ${low - CONTROLLER_PORT_OFFSET - layout.nodes.length} or above ${high}.`,
    );
  }
}
