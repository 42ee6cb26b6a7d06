import { readFileSync } from 'node:fs';

/** Main-thread and process CPU between two instants. */
export interface CpuSpan {
  /** CPU time of the main thread (the event loop: decoding, deciding, kafkajs), ms. */
  mainMs: number;
  /** User + system CPU of the whole process (main thread, libuv pool, GC threads), ms. */
  processMs: number;
}

// Linux keeps each thread's time on a CPU, in ns, as the first field of its schedstat; the main
// thread's id is the process id. Node 20 has no per-thread CPU clock of its own.
const SCHEDSTAT = `/proc/self/task/${process.pid}/schedstat`;

function mainThreadNs(): number {
  return Number(readFileSync(SCHEDSTAT, 'utf8').split(' ')[0]);
}

/**
 * Starts measuring this process: call the returned function to get the span so far. Unlike the
 * event loop's busy time, thread CPU time does not count the time the thread waited for a core
 * that other processes held.
 * @throws Error where /proc is not mounted (Linux only).
 */
export function cpuMeter(): () => CpuSpan {
  const main = mainThreadNs();
  const cpu = process.cpuUsage();
  return () => {
    const c = process.cpuUsage(cpu);
    return { mainMs: (mainThreadNs() - main) / 1e6, processMs: (c.user + c.system) / 1000 };
  };
}
