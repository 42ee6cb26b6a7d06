import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';

/**
 * When BENCH_CPU_PROF names a file, profiles this process between `start` and `stop` (governance's
 * drain, not the set-up or the other pipelines) and writes a `.cpuprofile` there; else does nothing.
 */
export function drainProfiler(path = process.env.BENCH_CPU_PROF): {
  start(): void;
  stop(): void;
} {
  if (path === undefined || path === '') return { start: () => undefined, stop: () => undefined };
  const session = new Session();
  session.connect();
  return {
    start: () => {
      session.post('Profiler.enable', () =>
        session.post('Profiler.setSamplingInterval', { interval: 200 }, () =>
          session.post('Profiler.start'),
        ),
      );
    },
    stop: () => {
      session.post('Profiler.stop', (error, result) => {
        if (error === null) writeFileSync(path, JSON.stringify(result.profile));
        else console.error('could not write the CPU profile:', error);
        session.disconnect();
      });
    },
  };
}
