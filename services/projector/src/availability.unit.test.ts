import { describe, expect, it } from 'vitest';
import { isPostgresUnavailable, untilPostgresAnswers } from './availability.js';

const withCode = (code: string, message = 'failed') => Object.assign(new Error(message), { code });

describe('isPostgresUnavailable', () => {
  it('recognises a server going away or not up yet, also inside kafkajs-style cause chains', () => {
    expect(isPostgresUnavailable(withCode('57P01'))).toBe(true);
    expect(isPostgresUnavailable(withCode('57P03'))).toBe(true);
    expect(isPostgresUnavailable(withCode('08006'))).toBe(true);
    expect(isPostgresUnavailable(withCode('ECONNREFUSED'))).toBe(true);
    expect(isPostgresUnavailable(new Error('Connection terminated unexpectedly'))).toBe(true);
    expect(
      isPostgresUnavailable(
        new Error('Client has encountered a connection error and is not queryable'),
      ),
    ).toBe(true);
    const wrapped = new Error('KafkaJSNumberOfRetriesExceeded', {
      cause: new Error('retry', { cause: withCode('57P01') }),
    });
    expect(isPostgresUnavailable(wrapped)).toBe(true);
  });

  it('does not take a refused query for an outage', () => {
    expect(isPostgresUnavailable(withCode('23505'))).toBe(false);
    expect(isPostgresUnavailable(withCode('42P01'))).toBe(false);
    expect(isPostgresUnavailable(new TypeError('x is undefined'))).toBe(false);
    expect(isPostgresUnavailable('57P01')).toBe(false);
  });
});

describe('untilPostgresAnswers', () => {
  it('retries while Postgres is unavailable, with growing delays, then returns', async () => {
    const delays: number[] = [];
    let calls = 0;
    const result = await untilPostgresAnswers(
      async () => {
        calls++;
        if (calls < 4) throw withCode('ECONNREFUSED');
        return 'up';
      },
      { initialDelayMs: 1, maxDelayMs: 3, onRetry: (_e, _n, delay) => delays.push(delay) },
    );
    expect(result).toBe('up');
    expect(delays).toEqual([1, 2, 3]);
  });

  it('throws other errors at once, and gives up after its timeout', async () => {
    let calls = 0;
    const refused = untilPostgresAnswers(async () => {
      calls++;
      throw withCode('23505');
    });
    await expect(refused).rejects.toMatchObject({ code: '23505' });
    expect(calls).toBe(1);
    const down = untilPostgresAnswers(
      async () => {
        throw withCode('57P03');
      },
      { timeoutMs: 20, initialDelayMs: 5, maxDelayMs: 5 },
    );
    await expect(down).rejects.toMatchObject({ code: '57P03' });
  });
});
