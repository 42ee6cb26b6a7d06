/** The workload, read from the environment. */
export interface BenchConfig {
  /** Records in each preloaded backlog, the drain phase (BENCH_N). */
  n: number;
  /** Records in each latency phase (BENCH_LATENCY_N). */
  latencyN: number;
  /** Paced publishing rate of the latency phase, records/s (BENCH_RATE). */
  rate: number;
  /** Partitions of every topic (BENCH_PARTITIONS). */
  partitions: number;
  /** Unmeasured records ahead of each backlog (BENCH_WARMUP). */
  warmup: number;
  /** Records per send when preloading. */
  batchSize: number;
  /** How long a phase may wait for its last output (BENCH_TIMEOUT_MS). */
  timeoutMs: number;
  /** Quiet time after the last phase during which no duplicate may arrive (BENCH_SETTLE_MS). */
  settleMs: number;
}

function positiveInt(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value <= 0)
    throw new RangeError(`${name}=${raw} is not a positive integer`);
  return value;
}

/**
 * Reads the benchmark settings from the environment, with defaults.
 * @throws RangeError when a variable is set but is not a positive integer.
 */
export function readConfig(env: NodeJS.ProcessEnv = process.env): BenchConfig {
  return {
    n: positiveInt(env, 'BENCH_N', 5000),
    latencyN: positiveInt(env, 'BENCH_LATENCY_N', 2000),
    rate: positiveInt(env, 'BENCH_RATE', 500),
    partitions: positiveInt(env, 'BENCH_PARTITIONS', 6),
    warmup: positiveInt(env, 'BENCH_WARMUP', 500),
    batchSize: 500,
    timeoutMs: positiveInt(env, 'BENCH_TIMEOUT_MS', 180_000),
    settleMs: positiveInt(env, 'BENCH_SETTLE_MS', 1000),
  };
}
