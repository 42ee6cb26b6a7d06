import { describe, expect, it } from 'vitest';
import { Type } from '@sinclair/typebox';
import { checkFlags, parseDuration } from './options.js';

describe('parseDuration', () => {
  it.each([
    ['90s', 90_000],
    ['30m', 1_800_000],
    ['24h', 86_400_000],
    ['7d', 604_800_000],
  ])('reads %s as %i ms', (text, millis) => {
    expect(parseDuration(text)).toBe(millis);
  });

  it.each(['forever', '', '0s', '-5m', 'h'])('refuses %j with exit status USAGE', (text) => {
    expect(() => parseDuration(text)).toThrow(expect.objectContaining({ code: 'USAGE' }));
  });
});

describe('checkFlags', () => {
  const Flags = Type.Object({ sessionTimeout: Type.Integer({ minimum: 1 }) });

  it('converts numeric flags', () => {
    expect(checkFlags(Flags, { sessionTimeout: '30' })).toEqual({ sessionTimeout: 30 });
  });

  it('refuses a bad value with exit status USAGE, naming the flag as typed', () => {
    expect(() => checkFlags(Flags, { sessionTimeout: 'soon' })).toThrow(
      expect.objectContaining({
        code: 'USAGE',
        message: expect.stringContaining('--session-timeout'),
      }),
    );
  });
});
