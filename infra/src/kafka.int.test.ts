import kafkajs from 'kafkajs';
import { createServer } from 'node:net';
import type { AddressInfo, Server } from 'node:net';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startKafka } from './kafka.js';
import './vitest-context.js';

const { Kafka, logLevel } = kafkajs;
/** The local-broker checks make no sense against containers or a user's own cluster. */
const localBroker =
  process.env.LINEAGE_INFRA !== 'containers' && (process.env.KAFKA_BROKERS ?? '').trim() === '';

describe('Kafka from the global setup', () => {
  const brokers = inject('brokers');
  const connectAdmin = async () => {
    const admin = new Kafka({
      clientId: 'infra-int-test',
      brokers,
      logLevel: logLevel.NOTHING,
    }).admin();
    await admin.connect();
    return admin;
  };

  it('answers metadata requests with one live broker', async () => {
    const admin = await connectAdmin();
    try {
      const cluster = await admin.describeCluster();
      expect(cluster.brokers).toHaveLength(1);
      expect(brokers).toContain(`${cluster.brokers[0]?.host}:${cluster.brokers[0]?.port}`);
    } finally {
      await admin.disconnect();
    }
  });

  it.runIf(localBroker)('is reused by a second startKafka, which does not own it', async () => {
    const again = await startKafka();
    expect(again.owned).toBe(false);
    expect(again.brokers).toEqual(brokers);
    await again.stop();
    // stop() of a reused broker is a no-op: the broker still answers.
    const admin = await connectAdmin();
    await expect(admin.listTopics()).resolves.toBeInstanceOf(Array);
    await admin.disconnect();
  });
});

describe.runIf(localBroker)('a port held by another process', () => {
  let foreign: Server;
  let port: number;

  beforeAll(async () => {
    foreign = createServer();
    await new Promise<void>((resolve) => foreign.listen({ port: 0, host: '127.0.0.1' }, resolve));
    port = (foreign.address() as AddressInfo).port;
  });
  afterAll(() => new Promise<void>((resolve) => foreign.close(() => resolve())));

  it('makes startKafka fail with a one-line PORT_TAKEN error naming the port', async () => {
    const error: unknown = await startKafka({ port }).then(
      () => undefined,
      (thrown: unknown) => thrown,
    );
    expect(error).toMatchObject({ code: 'PORT_TAKEN' });
    const message = (error as Error).message;
    expect(message).not.toContain('\n');
    expect(message).toContain(String(port));
  });
});
