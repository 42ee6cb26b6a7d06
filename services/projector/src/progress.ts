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
 * A progress display for long runs: on a terminal, one bar redrawn in place at most every
 * `redrawMs`; otherwise plain lines at most every `lineMs` (logs stay readable). Writes to stderr so
 * stdout stays for results.
 */
export function createProgress(options: ProgressOptions): Progress {
  const stream = options.stream ?? process.stderr;
  const tty = stream.isTTY === true;
  const now = options.now ?? (() => performance.now());
  const interval = tty ? (options.redrawMs ?? 100) : (options.lineMs ?? 2_000);
  const started = now();
  let last = -Infinity;
  let state: ProgressState = { done: 0, total: 0, elapsedMs: 0 };
  let finished = false;

  const draw = () => {
    const line = formatProgress(options.label, state, tty);
    if (tty) {
      const width = Math.max(20, (stream.columns ?? 100) - 1);
      // \r back to column 0, \x1b[K clears what a longer previous line left behind.
      stream.write(`\r${line.slice(0, width)}\x1b[K`);
    } else {
      stream.write(`${line}\n`);
    }
  };

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
      if (tty) stream.write('\n');
    },
  };
}
