import { randomUUID } from 'node:crypto';
import { describe, expect, inject, it } from 'vitest';
import { createKafka } from './client.js';
import { TOPIC_RESOURCE, ensureTopics, topicNames } from './topics.js';

const timestampType = async (kafka: ReturnType<typeof createKafka>, topic: string) => {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const d = await admin.describeConfigs({
      includeSynonyms: false,
      resources: [{ type: TOPIC_RESOURCE, name: topic, configNames: ['message.timestamp.type'] }],
    });
    return d.resources[0]!.configEntries[0]!.configValue;
  } finally {
    await admin.disconnect();
  }
};

describe('ensureTopics on a real broker', () => {
  it('stamps input topics with the broker clock, also moving an older intents topic onto it', async () => {
    const kafka = createKafka({ brokers: inject('brokers'), clientId: 'topics-test' });
    const names = topicNames(`t-${randomUUID().slice(0, 8)}-`);
    // Given an intents topic made before inputs used LogAppendTime.
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({
      waitForLeaders: true,
      topics: [{ topic: names.intents, numPartitions: 3, replicationFactor: 1 }],
    });
    await admin.disconnect();
    expect(await timestampType(kafka, names.intents)).toBe('CreateTime');

    // When the deployment's topics are ensured, then both inputs use the append time.
    expect(await ensureTopics(kafka, names, { partitions: 3 })).toBe(3);
    expect(await timestampType(kafka, names.intents)).toBe('LogAppendTime');
    expect(await timestampType(kafka, names.overrides)).toBe('LogAppendTime');
    expect(await timestampType(kafka, names.attestations)).toBe('CreateTime');

    // And a record's timestamp is the broker's, whatever the producer says.
    const producer = kafka.producer();
    await producer.connect();
    const claimed = Date.parse('2001-01-01T00:00:00Z');
    const [sent] = await producer.send({
      topic: names.intents,
      acks: -1,
      messages: [{ key: 'k', value: 'v', timestamp: String(claimed) }],
    });
    await producer.disconnect();
    expect(sent!.logAppendTime).not.toBe('-1');
    expect(Number(sent!.logAppendTime)).toBeGreaterThan(Date.now() - 60_000);
  });
});

describe('ensureTopics replication', () => {
  it('defaults to min(3, live brokers) copies and min.insync.replicas=min(2, copies)', async () => {
    const kafka = createKafka({ brokers: inject('brokers'), clientId: 'topics-test' });
    const names = topicNames(`r-${randomUUID().slice(0, 8)}-`);
    const admin = kafka.admin();
    await admin.connect();
    try {
      const live = (await admin.describeCluster()).brokers.length;
      const copies = Math.min(3, live);
      // When the topics are ensured without a replication factor.
      await ensureTopics(kafka, names, { partitions: 2 });
      // Then every partition has as many replicas as the cluster can hold, up to three.
      const meta = await admin.fetchTopicMetadata({ topics: Object.values(names) });
      for (const topic of meta.topics)
        for (const p of topic.partitions) expect(p.replicas).toHaveLength(copies);
      // And acks=all writes need two copies wherever there are two.
      const configs = await admin.describeConfigs({
        includeSynonyms: false,
        resources: [
          { type: TOPIC_RESOURCE, name: names.attestations, configNames: ['min.insync.replicas'] },
        ],
      });
      expect(configs.resources[0]!.configEntries[0]!.configValue).toBe(String(Math.min(2, copies)));
    } finally {
      await admin.disconnect();
    }
  });
});
