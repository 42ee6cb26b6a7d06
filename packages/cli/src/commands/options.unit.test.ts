import { describe, expect, it } from 'vitest';
import { parseDuration } from './options.js';

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
