import { describe, expect, it } from 'vitest';
import { classify } from './hygiene.js';
import { ConcurrencyGate, DEFAULT_LIMITS, limitsFromEnv, WindowCounter } from './limits.js';
import { readerGrants } from './grants.js';
import { parseValidFor } from './tokens.js';

// Given the API's limit keepers and parsers, then they count, cap and refuse as documented.

describe('WindowCounter', () => {
  it('blocks a key past its budget until the window ends, others unaffected', () => {
    const counter = new WindowCounter(2, 1_000);
    counter.hit('a', 0);
    expect(counter.blockedFor('a', 10)).toBe(0);
    counter.hit('a', 10);
    expect(counter.blockedFor('a', 500)).toBe(1);
    expect(counter.blockedFor('b', 500)).toBe(0);
    expect(counter.blockedFor('a', 1_000)).toBe(0);
  });
});

describe('ConcurrencyGate', () => {
  it('refuses past the per-key cap, then past the total, and frees on leave', () => {
    const gate = new ConcurrencyGate(1, 2);
    expect(gate.enter('a')).toBe('ok');
    expect(gate.enter('a')).toBe('key');
    expect(gate.enter('b')).toBe('ok');
    expect(gate.enter('c')).toBe('total');
    gate.leave('a');
    expect(gate.enter('c')).toBe('ok');
  });
});

describe('limitsFromEnv', () => {
  it('reads LINEAGE_API_* over the defaults and names what is not a positive integer', () => {
    const { limits, invalid } = limitsFromEnv({
      LINEAGE_API_REQUEST_TIMEOUT_MS: '5000',
      LINEAGE_API_HEAVY_TOTAL: '0x10',
    });
    expect(limits.requestTimeoutMs).toBe(5_000);
    expect(limits.heavyTotal).toBe(DEFAULT_LIMITS.heavyTotal);
    expect(invalid).toEqual(['LINEAGE_API_HEAVY_TOTAL']);
  });
});

describe('parseValidFor', () => {
  it('reads durations', () => {
    expect(parseValidFor('90d')).toBe(90 * 24 * 3600 * 1000);
    expect(parseValidFor('30m')).toBe(30 * 60 * 1000);
  });

  it.each(['', 'soon', '-1d', '0', '11y', 'x'.repeat(100)])('refuses %j', (text) => {
    expect(() => parseValidFor(text)).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
    );
  });
});

describe('readerGrants', () => {
  it('grants reads and one column update, nothing else', () => {
    const sql = readerGrants('lineage', 'lineage_api').join('\n');
    expect(sql).toContain('GRANT UPDATE (last_used_at)');
    expect(sql).not.toMatch(/GRANT (INSERT|DELETE|ALL|CREATE)/);
  });

  it('refuses a role that is not a plain identifier', () => {
    expect(() => readerGrants('lineage', 'x"; DROP ROLE postgres; --')).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
    );
  });
});

describe('classify', () => {
  it.each([
    [{ code: '57014' }, 'UNAVAILABLE'],
    [{ code: '55P03' }, 'UNAVAILABLE'],
    [new Error('timeout exceeded when trying to connect'), 'UNAVAILABLE'],
    [{ statusCode: 413 }, 'PAYLOAD_TOO_LARGE'],
    [{ statusCode: 429 }, 'RATE_LIMITED'],
    [{ code: '22008' }, 'INVALID_ARGUMENT'],
    [new Error('boom'), 'INTERNAL'],
  ])('maps %o to %s', (error, code) => {
    expect(classify(error).code).toBe(code);
  });

  it('maps a data exception under a cursor to INVALID_CURSOR', () => {
    expect(classify({ code: '22008' }, true).code).toBe('INVALID_CURSOR');
  });
});
