import { SingleBar } from 'cli-progress';

/** Where a progress display writes: stderr by default. */
export interface ProgressStream {
  write(text: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

/** One progress reading. */
export interface ProgressState {
  done: number;
  /** Expected total; 0 when unknown. */
  total: number;
  elapsedMs: number;
}

export interface ProgressOptions {
  /** Shown before the counts, e.g. `rebuild lineage`. */
  label: string;
  stream?: ProgressStream;
  /** Minimum time between redraws on a terminal; default 100 ms (about 10 a second). */
  redrawMs?: number;
  /** Minimum time between plain lines when the stream is not a terminal; default 2,000 ms. */
  lineMs?: number;
  /** Clock, for tests; default `performance.now`. */
  now?: () => number;
}

/** A progress display; see {@link createProgress}. */
export interface Progress {
  /** Records a new reading; redraws when the last draw is old enough. */
  update(done: number, total?: number): void;
  /** Draws the final state and ends the line. */
  finish(): void;
}

const BAR_WIDTH = 24;

/** `12.3k`-style count. */
function count(n: number): string {
  if (n >= 1e6) return `${(n / 1e6).toFixed(1)}M`;
  if (n >= 1e4) return `${(n / 1e3).toFixed(1)}k`;
  return String(Math.round(n));
}

/** `1h02m`, `3m05s`, `42s`. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '?';
  const s = Math.round(seconds);
  if (s >= 3600)
    return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
  if (s >= 60) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${s}s`;
}

/**
 * One line of progress text: `label [#####-----]  52% 1.6k/3.0k records  812/s  ETA 2s`. With
 * `bar: false` (plain log lines) the bar is left out. Pure: for tests and non-terminal output.
 */
export function formatProgress(label: string, state: ProgressState, bar = true): string {
  const { done, total, elapsedMs } = state;
  const seconds = elapsedMs / 1000;
  const rate = seconds > 0 ? done / seconds : 0;
  const parts = [label];
  if (total > 0) {
    const fraction = Math.min(1, Math.max(0, done / total));
    if (bar) {
      const filled = Math.round(fraction * BAR_WIDTH);
      parts.push(`[${'#'.repeat(filled)}${'-'.repeat(BAR_WIDTH - filled)}]`);
    }
    parts.push(`${String(Math.floor(fraction * 100)).padStart(3)}%`);
    parts.push(`${count(done)}/${count(total)} records`);
  } else {
    parts.push(`${count(done)} records`);
  }
  parts.push(`${count(rate)}/s`);
  if (total > 0) {
    const left = Math.max(0, total - done);
    parts.push(left === 0 ? 'done' : `ETA ${rate > 0 ? formatDuration(left / rate) : '?'}`);
  }
  parts.push(`elapsed ${formatDuration(seconds)}`);
  return parts.join('  ');
}

/**
 * A progress display for long runs: on a terminal, a cli-progress bar redrawn in place at most every
 * `redrawMs` (its line is {@link formatProgress}); otherwise plain lines at most every `lineMs`
 * (logs stay readable). Writes to stderr so stdout stays for results.
 */
export function createProgress(options: ProgressOptions): Progress {
  const stream = options.stream ?? process.stderr;
  return stream.isTTY === true ? terminalProgress(options, stream) : lineProgress(options, stream);
}

/** The terminal display: cli-progress draws and throttles, our formatter writes the line. */
function terminalProgress(options: ProgressOptions, stream: ProgressStream): Progress {
  const now = options.now ?? (() => performance.now());
  const started = now();
  let total = 0;
  const bar = new SingleBar({
    stream: stream as unknown as NodeJS.WritableStream,
    format: (_options, params) =>
      formatProgress(options.label, { done: params.value, total, elapsedMs: now() - started }),
    fps: 1000 / (options.redrawMs ?? 100),
    hideCursor: false,
    clearOnComplete: false,
    gracefulExit: false,
  });
  bar.start(0, 0);
  let finished = false;
  return {
    update(done, newTotal) {
      if (finished) return;
      if (newTotal !== undefined && newTotal !== total) {
        total = newTotal;
        bar.setTotal(total);
      }
      bar.update(done);
    },
    finish() {
      if (finished) return;
      finished = true;
      bar.stop();
    },
  };
}

/** Plain lines, at most every `lineMs`, and a last one on finish. */
function lineProgress(options: ProgressOptions, stream: ProgressStream): Progress {
  const now = options.now ?? (() => performance.now());
  const interval = options.lineMs ?? 2_000;
  const started = now();
  let last = -Infinity;
  let state: ProgressState = { done: 0, total: 0, elapsedMs: 0 };
  let finished = false;
  const draw = () => stream.write(`${formatProgress(options.label, state, false)}\n`);
  return {
    update(done, total) {
      if (finished) return;
      const t = now();
      state = { done, total: total ?? state.total, elapsedMs: t - started };
      if (t - last < interval) return;
      last = t;
      draw();
    },
    finish() {
      if (finished) return;
      finished = true;
      state = { ...state, elapsedMs: now() - started };
      draw();
    },
  };
}
