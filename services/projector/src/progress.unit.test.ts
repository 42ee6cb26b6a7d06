import { describe, expect, it } from 'vitest';
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

  it('redraws a terminal line at most every 100 ms, in place', () => {
    let t = 0;
    const stream = sink(true);
    const p = createProgress({ label: 'x', stream, now: () => t });
    for (let i = 1; i <= 100; i++) {
      t = i * 10; // 1 s of updates every 10 ms
      p.update(i, 100);
    }
    p.finish();
    // One draw per 100 ms, plus the final one and its newline.
    expect(stream.out.length).toBe(10 + 1 + 1);
    expect(stream.out.slice(0, -1).every((s) => s.startsWith('\r') && s.endsWith('\x1b[K'))).toBe(
      true,
    );
    expect(stream.out.at(-2)).toContain('100%');
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
