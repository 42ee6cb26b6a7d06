/** Latency summary of one measured phase, in milliseconds. */
export interface LatencySummary {
  count: number;
  p50: number;
  p99: number;
  max: number;
  mean: number;
}

/**
 * The q-quantile (0 < q ≤ 1) of ascending-sorted samples by the nearest-rank method: the smallest
 * sample with at least q of all samples at or below it.
 * @throws RangeError when there are no samples or q is outside (0, 1].
 */
export function nearestRank(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) throw new RangeError('no samples');
  if (!(q > 0 && q <= 1)) throw new RangeError(`quantile ${q} is outside (0, 1]`);
  return sorted[Math.ceil(q * sorted.length) - 1]!;
}

/**
 * Summarises latency samples (ms): p50, p99, max and mean.
 * @throws RangeError when there are no samples.
 */
export function summarize(samples: readonly number[]): LatencySummary {
  const sorted = [...samples].sort((a, b) => a - b);
  return {
    count: sorted.length,
    p50: nearestRank(sorted, 0.5),
    p99: nearestRank(sorted, 0.99),
    max: nearestRank(sorted, 1),
    mean: sorted.reduce((sum, x) => sum + x, 0) / sorted.length,
  };
}
