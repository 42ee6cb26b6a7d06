import type { BenchConfig } from './config.js';
import type { LatencySummary } from './percentiles.js';
import type { BenchRecord } from './publish.js';

/** What the load process is asked to do: one pipeline's phases, on its topics. */
export interface LoadRequest {
  type: 'run';
  brokers: string[];
  spec: { name: string; inputTopic: string; outputTopic: string };
  config: BenchConfig;
  warmup: readonly BenchRecord[];
  throughput: readonly BenchRecord[];
  latency: readonly BenchRecord[];
}

/** Sent by the bench once the pipeline runs: the load process may start waiting for outputs. */
export interface Started {
  type: 'started';
}

export type ParentMessage = LoadRequest | Started;

/** What the load process reports, in order: preloaded, drained, done (or failed at any point). */
export type LoadReport =
  | { type: 'preloaded' }
  | { type: 'drained'; perSecond: number; ms: number }
  | {
      type: 'done';
      latency: LatencySummary;
      pacedRate: number;
      duplicates: number;
      unknown: number;
      /** Mean size of an output record's value, bytes. */
      outputBytes: number;
    }
  | { type: 'failed'; error: string };
