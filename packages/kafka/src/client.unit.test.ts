import { describe, expect, it } from 'vitest';
import { retriedAnswer } from './client.js';

describe('retriedAnswer', () => {
  const concurrent =
    'The producer attempted to update a transaction while another concurrent operation on the same transaction was ongoing';

  it('names a retriable broker answer by its type, CONCURRENT_TRANSACTIONS included', () => {
    expect(retriedAnswer('Producer', { error: concurrent })).toBe('CONCURRENT_TRANSACTIONS');
    expect(
      retriedAnswer('Consumer', { error: 'This is not the correct coordinator for this group' }),
    ).toBe('NOT_COORDINATOR_FOR_GROUP');
  });

  it('takes a send the producer retries as retried, whatever its error', () => {
    expect(retriedAnswer('Producer', { error: 'socket hang up', retryCount: 1 })).toBe('UNKNOWN');
  });

  it('leaves anything else to the caller', () => {
    expect(retriedAnswer('Consumer', { error: 'something else' })).toBeUndefined();
    expect(retriedAnswer('Consumer', { retryCount: 1 })).toBeUndefined();
    expect(
      retriedAnswer('Producer', {
        error:
          "Producer attempted an operation with an old epoch. Either there is a newer producer with the same transactionalId, or the producer's transaction has been expired by the broker",
      }),
    ).toBeUndefined();
  });
});
