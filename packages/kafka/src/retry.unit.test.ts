import { describe, expect, it } from 'vitest';
import { isKafkaUnavailable, retryWhile } from './retry.js';

class Down extends Error {
  override name = 'KafkaJSConnectionError';
}

describe('retryWhile', () => {
  it('runs again while the error is retriable, reporting each wait', async () => {
    let calls = 0;
    const waits: number[] = [];
    const result = await retryWhile(
      async () => {
        if (++calls < 3) throw new Down('down');
        return 'up';
      },
      isKafkaUnavailable,
      { initialDelayMs: 1, maxDelayMs: 2, onRetry: (_e, _attempt, delay) => waits.push(delay) },
    );
    expect([result, calls, waits]).toEqual(['up', 3, [1, 2]]);
  });

  it('throws an error it may not retry at once', async () => {
    let calls = 0;
    const refused = new Error('refused');
    await expect(
      retryWhile(
        async () => {
          calls++;
          throw refused;
        },
        isKafkaUnavailable,
        { initialDelayMs: 1 },
      ),
    ).rejects.toBe(refused);
    expect(calls).toBe(1);
  });

  it('gives up with the last error once the deadline has passed', async () => {
    const down = new Down('down');
    await expect(
      retryWhile(() => Promise.reject(down), isKafkaUnavailable, {
        initialDelayMs: 5,
        timeoutMs: 20,
      }),
    ).rejects.toBe(down);
  });
});
