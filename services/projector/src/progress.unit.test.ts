import { describe, expect, it, vi } from 'vitest';
import { createProgress, formatDuration, formatProgress } from './progress.js';

function sink(isTTY: boolean): {
  isTTY: boolean;
  columns: number;
  out: string[];
  write(t: string): void;
} {
  const out: string[] = [];
  return { isTTY, columns: 200, out, write: (t) => out.push(t) };
}

describe('progress', () => {
  it('formats counts, rate and ETA', () => {
    expect(formatProgress('rebuild', { done: 1_500, total: 3_000, elapsedMs: 2_000 })).toBe(
      'rebuild  [############------------]   50%  1500/3000 records  750/s  ETA 2s  elapsed 2s',
    );
    expect(formatProgress('r', { done: 30_000, total: 30_000, elapsedMs: 10_000 }, false)).toBe(
      'r  100%  30.0k/30.0k records  3000/s  done  elapsed 10s',
    );
    expect(formatProgress('r', { done: 7, total: 0, elapsedMs: 0 }, false)).toBe(
      'r  7 records  0/s  elapsed 0s',
    );
    expect(formatDuration(3_725)).toBe('1h02m');
    expect(formatDuration(185)).toBe('3m05s');
  });

  it('redraws a terminal bar in place (cli-progress), about every 100 ms', () => {
    vi.useFakeTimers();
    try {
      const stream = sink(true);
      const p = createProgress({ label: 'x', stream });
      for (let i = 1; i <= 100; i++) {
        vi.advanceTimersByTime(10); // 1 s of updates every 10 ms
        p.update(i, 100);
      }
      p.finish();
      const lines = stream.out.filter((s) => s.startsWith('x  ['));
      // About one draw per 100 ms (cli-progress throttles), never one per update.
      expect(lines.length).toBeGreaterThanOrEqual(5);
      expect(lines.length).toBeLessThanOrEqual(25);
      // Redrawn in place: the only newline is the one that ends the bar.
      expect(stream.out.filter((s) => s.includes('\n'))).toEqual(['\n']);
      expect(lines.at(-1)).toContain('100%');
    } finally {
      vi.useRealTimers();
    }
  });

  it('writes plain lines when the stream is not a terminal', () => {
    let t = 0;
    const stream = sink(false);
    const p = createProgress({ label: 'x', stream, now: () => t, lineMs: 1_000 });
    for (let i = 1; i <= 50; i++) {
      t = i * 100;
      p.update(i, 50);
    }
    p.finish();
    expect(stream.out.every((s) => s.endsWith('\n') && !s.includes('\r'))).toBe(true);
    expect(stream.out.length).toBe(5 + 1);
  });
});
