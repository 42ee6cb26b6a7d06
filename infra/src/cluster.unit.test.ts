import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { BROKER_SETTINGS, clusterSettings, parseProperties } from './broker-config.js';
import { clusterLayout, clusterNodeProperties } from './cluster-layout.js';

const root = join('/', 'repo');

describe('cluster layout', () => {
  afterEach(() => {
    vi.unstubAllEnvs();
  });

  it('puts node i on basePort+i and its controller on basePort+100+i, in its own folder', () => {
    vi.stubEnv('KAFKA_CLUSTER_PORT', '');
    const layout = clusterLayout({}, root);
    expect(layout.nodes.map((n) => [n.id, n.port, n.controllerPort])).toEqual([
      [0, 19092, 19192],
      [1, 19093, 19193],
      [2, 19094, 19194],
    ]);
    expect(layout.home).toBe(join(root, '.lineage', 'kafka-cluster-19092'));
    expect(layout.nodes[2]?.paths.data).toBe(join(layout.home, 'node-2', 'data'));
    expect(layout.nodes[2]?.paths.pidFile).toBe(join(layout.home, 'node-2', 'broker.pid'));
    expect(layout.startTimeoutMs).toBe(120_000);
  });

  it('shares the jars of the single broker but none of its state', () => {
    const node = clusterLayout({ basePort: 29092 }, root).nodes[0]!;
    expect(node.paths.libs).toBe(join(root, '.lineage', 'kafka', 'libs'));
    for (const file of [node.paths.data, node.paths.pidFile, node.paths.serverProperties])
      expect(file.startsWith(join(root, '.lineage', 'kafka-cluster-29092'))).toBe(true);
  });

  it('follows KAFKA_CLUSTER_PORT, and an explicit basePort, home and node count over it', () => {
    vi.stubEnv('KAFKA_CLUSTER_PORT', '20000');
    expect(clusterLayout({}, root).nodes[0]?.port).toBe(20000);
    const layout = clusterLayout(
      { basePort: 29092, nodes: 5, home: join(root, 'elsewhere') },
      root,
    );
    expect(layout.nodes.map((n) => n.port)).toEqual([29092, 29093, 29094, 29095, 29096]);
    expect(layout.nodes[4]?.controllerPort).toBe(29196);
    expect(layout.nodes[0]?.paths.home).toBe(join(root, 'elsewhere', 'node-0'));
  });

  it('refuses node counts and ports that do not fit', () => {
    for (const nodes of [0, 101, 1.5])
      expect(() => clusterLayout({ nodes }, root)).toThrow(
        expect.objectContaining({ code: 'USAGE' }),
      );
    expect(() => clusterLayout({ basePort: 65_500 }, root)).toThrow(
      expect.objectContaining({ code: 'INVALID_PORT' }),
    );
    vi.stubEnv('KAFKA_CLUSTER_PORT', 'x');
    expect(() => clusterLayout({}, root)).toThrow(
      expect.objectContaining({ code: 'INVALID_PORT' }),
    );
  });
});

describe('cluster node server.properties', () => {
  const layout = clusterLayout({ basePort: 29092 }, root);
  const rendered = layout.nodes.map((node) => parseProperties(clusterNodeProperties(layout, node)));

  it('makes each node a combined broker and controller with its own id, ports and data', () => {
    rendered.forEach((properties, id) => {
      expect(properties.get('process.roles')).toBe('broker,controller');
      expect(properties.get('node.id')).toBe(String(id));
      expect(properties.get('listeners')).toBe(
        `PLAINTEXT://127.0.0.1:${29092 + id},CONTROLLER://127.0.0.1:${29192 + id}`,
      );
      expect(properties.get('advertised.listeners')).toBe(`PLAINTEXT://127.0.0.1:${29092 + id}`);
      expect(properties.get('log.dirs')).toBe(layout.nodes[id]?.paths.data);
    });
  });

  it('names the same three-voter quorum on every node', () => {
    for (const properties of rendered)
      expect(properties.get('controller.quorum.voters')).toBe(
        '0@127.0.0.1:29192,1@127.0.0.1:29193,2@127.0.0.1:29194',
      );
  });

  it('replicates everything three times and needs two in-sync copies', () => {
    for (const properties of rendered) {
      expect(properties.get('default.replication.factor')).toBe('3');
      expect(properties.get('min.insync.replicas')).toBe('2');
      expect(properties.get('offsets.topic.replication.factor')).toBe('3');
      expect(properties.get('transaction.state.log.replication.factor')).toBe('3');
      expect(properties.get('transaction.state.log.min.isr')).toBe('2');
    }
  });

  it('keeps every other shared broker setting', () => {
    const replication = Object.keys(clusterSettings(3));
    for (const [key, value] of Object.entries(BROKER_SETTINGS)) {
      if (!replication.includes(key)) expect(rendered[0]?.get(key)).toBe(value);
    }
    expect(rendered[0]?.get('auto.create.topics.enable')).toBe('false');
  });

  it('scales replication down to what fewer nodes can hold', () => {
    expect(clusterSettings(1)).toMatchObject({
      'default.replication.factor': '1',
      'min.insync.replicas': '1',
      'transaction.state.log.min.isr': '1',
    });
    expect(clusterSettings(2)).toMatchObject({
      'default.replication.factor': '2',
      'min.insync.replicas': '2',
    });
    expect(clusterSettings(5)['default.replication.factor']).toBe('3');
  });
});
