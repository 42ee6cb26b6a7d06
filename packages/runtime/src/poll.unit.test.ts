import { describe, expect, it } from 'vitest';
import { pollUntil, waitUntil } from './poll.js';

describe('pollUntil', () => {
  it('reads until the value is the awaited one, and returns it', async () => {
    let n = 0;
    const value = await pollUntil(
      async () => ++n,
      (v) => v >= 3,
      { intervalMs: 1, what: 'three' },
    );
    expect(value).toBe(3);
  });

  it('times out with WAIT_TIMEOUT', async () => {
    await expect(
      waitUntil(() => false, { timeoutMs: 30, intervalMs: 5, what: 'never' }),
    ).rejects.toMatchObject({ code: 'WAIT_TIMEOUT' });
  });

  it('ends at once on an error the read throws', async () => {
    let n = 0;
    const broken = new Error('broken');
    await expect(
      waitUntil(
        () => {
          n++;
          throw broken;
        },
        { intervalMs: 1, what: 'x' },
      ),
    ).rejects.toBe(broken);
    expect(n).toBe(1);
  });
});
