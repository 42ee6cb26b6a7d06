import { fork } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { BenchConfig } from './config.js';
import type { LoadReport, LoadRequest } from './load-protocol.js';
import type { LatencySummary } from './percentiles.js';
import type { BenchRecord } from './publish.js';

/** The pre-built records of one pipeline run, one disjoint set per phase. */
export interface Workload {
  warmup: readonly BenchRecord[];
  throughput: readonly BenchRecord[];
  latency: readonly BenchRecord[];
}

/** A pipeline under test: where it reads and writes, and how to run it. */
export interface PipelineSpec {
  name: string;
  inputTopic: string;
  outputTopic: string;
  /** Starts the pipeline; resolves with its stop function. */
  start(): Promise<() => Promise<void>>;
  /** Called when the load process starts timing the drain, and again when the backlog is drained. */
  onDrainStart?(): void;
  onDrained?(): void;
  /**
   * Called once every output arrived and the settle time passed, with the number of records
   * published; throws when the pipeline's own account disagrees.
   */
  check?(published: number): void;
}

/** What one pipeline achieved. */
export interface PipelineResult {
  name: string;
  /** Drain phase: outputs per second while a preloaded backlog is worked off. */
  perSecond: number;
  drainMs: number;
  /** Latency phase: output seen − sent, per record. */
  latency: LatencySummary;
  /** The publishing rate the latency phase achieved. */
  pacedRate: number;
  /** Mean size of an output record's value, bytes. */
  outputBytes: number;
}

const LOAD = fileURLToPath(new URL('./load.ts', import.meta.url));

/** The load process: publisher and observer, outside the process under test. */
function forkLoad(): ChildProcess {
  return fork(LOAD, [], {
    execArgv: ['--import', 'tsx'],
    serialization: 'advanced',
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
}

/** Resolves with the load process's next report of `type`; rejects on `failed` or its exit. */
function next<T extends LoadReport['type']>(
  child: ChildProcess,
  type: T,
): Promise<Extract<LoadReport, { type: T }>> {
  return new Promise((resolve, reject) => {
    const onMessage = (m: LoadReport) => {
      if (m.type !== type && m.type !== 'failed') return;
      off();
      if (m.type === 'failed') reject(new Error(`load process: ${m.error}`));
      else resolve(m as Extract<LoadReport, { type: T }>);
    };
    const onExit = (code: number | null) => {
      off();
      reject(new Error(`load process exited (${code}) before it reported ${type}`));
    };
    const off = () => {
      child.off('message', onMessage);
      child.off('exit', onExit);
    };
    child.on('message', onMessage);
    child.on('exit', onExit);
  });
}

/**
 * Runs one pipeline: a load process preloads the warm-up records and the throughput backlog into
 * its input topic, the pipeline starts and drains them (timed by the load process from the first
 * output to the last), then the load process paces the latency records and times each one. The
 * pipeline is stopped before this returns or throws.
 * @throws Error when a phase misses outputs within the timeout, an output is duplicated or
 *   unknown, or `spec.check` throws.
 */
export async function measurePipeline(
  brokers: string[],
  spec: PipelineSpec,
  workload: Workload,
  config: BenchConfig,
): Promise<PipelineResult> {
  const child = forkLoad();
  let stopPipeline: (() => Promise<void>) | undefined;
  try {
    const preloaded = next(child, 'preloaded');
    const request: LoadRequest = {
      type: 'run',
      brokers,
      spec: { name: spec.name, inputTopic: spec.inputTopic, outputTopic: spec.outputTopic },
      config,
      ...workload,
    };
    child.send(request);
    await preloaded;
    const drained = next(child, 'drained');
    const done = next(child, 'done');
    stopPipeline = await spec.start();
    spec.onDrainStart?.();
    child.send({ type: 'started' });
    const drain = await drained;
    spec.onDrained?.();
    const result = await done;
    if (result.duplicates > 0 || result.unknown > 0) {
      throw new Error(
        `${spec.name}: ${result.duplicates} duplicate and ${result.unknown} unknown outputs`,
      );
    }
    spec.check?.(workload.warmup.length + workload.throughput.length + workload.latency.length);
    return {
      name: spec.name,
      perSecond: drain.perSecond,
      drainMs: drain.ms,
      latency: result.latency,
      pacedRate: result.pacedRate,
      outputBytes: result.outputBytes,
    };
  } finally {
    if (child.exitCode === null) child.kill();
    await closeAll(spec.name, [stopPipeline]);
  }
}

/** Runs every close in order; a failure is reported and fails the run, without skipping the rest. */
async function closeAll(
  name: string,
  closes: readonly ((() => Promise<void>) | undefined)[],
): Promise<void> {
  for (const close of closes) {
    try {
      await close?.();
    } catch (error) {
      process.exitCode = 1;
      console.error(`${name}: clean-up failed:`, error);
    }
  }
}
