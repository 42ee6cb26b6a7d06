import { Type } from '@sinclair/typebox';
import { describe, expect, it } from 'vitest';
import { checkConfig, parseConfig } from './config.js';

const Schema = Type.Object({
  brokers: Type.String({ minLength: 1 }),
  partitions: Type.Integer({ minimum: 1, description: 'a positive integer' }),
  'session-timeout': Type.Integer({ minimum: 1 }),
  'memory-state': Type.Boolean(),
});
const options = {
  brokers: { type: 'string', default: '127.0.0.1:9092' },
  partitions: { type: 'string', default: '6' },
  'session-timeout': { type: 'string', default: '30000' },
  'memory-state': { type: 'boolean', default: false },
} as const;

const codeAndFlag = (work: () => unknown) => {
  try {
    work();
  } catch (e) {
    const { code, message } = e as { code: string; message: string };
    return { code, names: message.split(' ')[0] };
  }
  return undefined;
};

describe('parseConfig', () => {
  it('converts numeric flags and keeps defaults', () => {
    expect(parseConfig(Schema, options, ['--partitions', '3', '--memory-state'])).toEqual({
      brokers: '127.0.0.1:9092',
      partitions: 3,
      'session-timeout': 30000,
      'memory-state': true,
    });
  });

  it.each([
    [['--partitions', 'six'], '--partitions'],
    [['--partitions', '0'], '--partitions'],
    [['--partitions', '1.5'], '--partitions'],
    [['--session-timeout', ''], '--session-timeout'],
    [['--brokers', ''], '--brokers'],
  ])('refuses %j with CONFIG_INVALID naming %s', (args, flag) => {
    expect(codeAndFlag(() => parseConfig(Schema, options, args))).toEqual({
      code: 'CONFIG_INVALID',
      names: flag,
    });
  });

  it('refuses an unknown flag with CONFIG_INVALID', () => {
    expect(codeAndFlag(() => parseConfig(Schema, options, ['--partitons', '3']))?.code).toBe(
      'CONFIG_INVALID',
    );
  });

  it('checks values that did not come from parseArgs', () => {
    expect(
      codeAndFlag(() =>
        checkConfig(Schema, {
          brokers: 'b',
          partitions: '-2',
          'session-timeout': '1',
          'memory-state': false,
        }),
      ),
    ).toEqual({
      code: 'CONFIG_INVALID',
      names: '--partitions',
    });
  });
});
