import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  BROKER_SETTINGS,
  advertisedPort,
  parseProperties,
  renderLog4jProperties,
  renderServerProperties,
} from './broker-config.js';
import { InfraError } from './errors.js';
import { javaMajor } from './java.js';
import { kafkaBrokers, newClusterId } from './kafka.js';
import { parsePort, portTakenError } from './port.js';

const layout = { host: '127.0.0.1', port: 19092, controllerPort: 19093, dataDir: 'var/kafka data' };

describe('server.properties', () => {
  const properties = parseProperties(renderServerProperties(layout));

  it('describes a single combined KRaft node on loopback with a static quorum', () => {
    expect(properties.get('process.roles')).toBe('broker,controller');
    expect(properties.get('controller.quorum.voters')).toBe('1@127.0.0.1:19093');
    expect(properties.get('listeners')).toBe(
      'PLAINTEXT://127.0.0.1:19092,CONTROLLER://127.0.0.1:19093',
    );
    expect(properties.get('advertised.listeners')).toBe('PLAINTEXT://127.0.0.1:19092');
    expect(properties.get('log.dirs')).toBe('var/kafka data');
  });

  it('carries the shared broker settings', () => {
    expect(properties.get('auto.create.topics.enable')).toBe('false');
    expect(properties.get('group.initial.rebalance.delay.ms')).toBe('0');
    expect(properties.get('offsets.topic.replication.factor')).toBe('1');
    expect(properties.get('offsets.topic.num.partitions')).toBe('8');
    expect(properties.get('transaction.state.log.replication.factor')).toBe('1');
    expect(properties.get('transaction.state.log.min.isr')).toBe('1');
    expect(properties.get('transaction.state.log.num.partitions')).toBe('4');
    expect(properties.get('message.max.bytes')).toBe('10485760');
    expect(properties.get('transaction.max.timeout.ms')).toBe('900000');
    for (const [key, value] of Object.entries(BROKER_SETTINGS))
      expect(properties.get(key)).toBe(value);
  });

  it('leaves retention to each topic', () => {
    expect([...properties.keys()].filter((key) => key.startsWith('log.retention'))).toEqual([]);
  });

  it('escapes backslashes so Java reads the path back unchanged', () => {
    const text = renderServerProperties({ ...layout, dataDir: 'C:\\kafka\\data' });
    expect(text).toContain('log.dirs=C:\\\\kafka\\\\data');
    expect(parseProperties(text).get('log.dirs')).toBe('C:\\kafka\\data');
  });

  it('gives back the client port it was rendered with', () => {
    expect(advertisedPort(properties)).toBe(19092);
    expect(advertisedPort(new Map())).toBeUndefined();
  });
});

describe('log4j.properties', () => {
  it('logs INFO to the broker log and Kafka chatter at WARN', () => {
    const properties = parseProperties(renderLog4jProperties('logs/broker.log'));
    expect(properties.get('log4j.rootLogger')).toBe('INFO, file');
    expect(properties.get('log4j.appender.file.File')).toBe('logs/broker.log');
    expect(properties.get('log4j.logger.kafka')).toBe('WARN');
    expect(properties.get('log4j.logger.org.apache.kafka')).toBe('WARN');
  });
});

describe('newClusterId', () => {
  it('never begins with "-" over many draws, and is always 22 base64url characters', () => {
    const ids = Array.from({ length: 20_000 }, () => newClusterId());
    expect(ids.filter((id) => id.startsWith('-'))).toEqual([]);
    expect(ids.every((id) => /^[A-Za-z0-9_-]{22}$/.test(id))).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('draws again when the bytes would make an id beginning with "-" or a reserved id', () => {
    // 0xf8 = 0b111110..: base64url index 62, which is '-'.
    const draws = [
      Uint8Array.from([0xf8, ...Array<number>(15).fill(7)]),
      new Uint8Array(16),
      Uint8Array.from([...Array<number>(15).fill(0), 1]),
      Uint8Array.from([0x04, ...Array<number>(15).fill(7)]),
    ];
    const rigged = vi.fn(() => draws.shift()!);
    const id = newClusterId(rigged);
    expect(rigged).toHaveBeenCalledTimes(4);
    expect(id.startsWith('B')).toBe(true);
  });
});

describe('port-taken error', () => {
  it('is one line naming the port and the variable that moves it', () => {
    const error = portTakenError(9092, 'KAFKA_PORT');
    expect(error).toBeInstanceOf(InfraError);
    expect(error.code).toBe('PORT_TAKEN');
    expect(error.message).not.toContain('\n');
    expect(error.message).toContain('9092');
    expect(error.message).toContain('KAFKA_PORT');
  });

  it('names the controller variable for the controller port', () => {
    const error = portTakenError(9093, 'KAFKA_CONTROLLER_PORT');
    expect(error.message).toContain('KAFKA_CONTROLLER_PORT');
    expect(error.message).not.toContain('KAFKA_BROKERS');
  });
});

describe('ports and brokers from the environment', () => {
  afterEach(() => {
    vi.unstubAllEnvs();
  });

  it('defaults to 127.0.0.1:9092', () => {
    vi.stubEnv('KAFKA_BROKERS', '');
    vi.stubEnv('KAFKA_PORT', '');
    expect(kafkaBrokers()).toEqual(['127.0.0.1:9092']);
  });

  it('follows KAFKA_PORT', () => {
    vi.stubEnv('KAFKA_BROKERS', '');
    vi.stubEnv('KAFKA_PORT', '19092');
    expect(kafkaBrokers()).toEqual(['127.0.0.1:19092']);
  });

  it('prefers KAFKA_BROKERS, comma separated', () => {
    vi.stubEnv('KAFKA_BROKERS', ' kafka-1:9092, kafka-2:9092 ,');
    expect(kafkaBrokers()).toEqual(['kafka-1:9092', 'kafka-2:9092']);
  });

  it('rejects a port that is not one', () => {
    vi.stubEnv('KAFKA_BROKERS', '');
    vi.stubEnv('KAFKA_PORT', '90920');
    expect(() => kafkaBrokers()).toThrow(expect.objectContaining({ code: 'INVALID_PORT' }));
    expect(() => parsePort('9092x', 'port')).toThrow(
      expect.objectContaining({ code: 'INVALID_PORT' }),
    );
    expect(parsePort(' 9092 ', 'port')).toBe(9092);
  });
});

describe('java -version', () => {
  it('reads the major version of old and new numbering', () => {
    expect(javaMajor('openjdk version "17.0.15" 2025-04-15')).toBe(17);
    expect(javaMajor('java version "1.8.0_392"')).toBe(8);
    expect(javaMajor('openjdk version "21" 2023-09-19')).toBe(21);
    expect(javaMajor('no version here')).toBeUndefined();
  });
});
