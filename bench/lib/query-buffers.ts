// Where a walk's pages come from: the database's buffer counters around a set of walks, so the
// bench can say how many pages each walk found in shared buffers and how many it had to read in.
import { setTimeout as sleep } from 'node:timers/promises';
import type { Pool } from 'pg';

/** The database's cumulative buffer counters (pg_stat_database). */
interface Counters {
  hit: number;
  read: number;
  /** Milliseconds spent reading, counted only where the server runs with track_io_timing. */
  readMs: number;
}

/** Buffers per walk: found in shared buffers, read in from the OS, and the mean time per read. */
export interface WalkBuffers {
  hit: number;
  read: number;
  /** Microseconds per read, or null when the server does not time reads (track_io_timing off). */
  readUs: number | null;
}

/**
 * The connection option that turns on the timing of reads (track_io_timing) for a pool's sessions,
 * when this role may set it (superusers; where it may not, reads are counted but not timed). Its
 * cost is two clock readings per read.
 */
export async function ioTimingOption(pool: Pool): Promise<{ options?: string }> {
  const client = await pool.connect();
  try {
    await client.query('SET track_io_timing = on');
    await client.query('RESET track_io_timing');
    return { options: '-c track_io_timing=on' };
  } catch {
    return {};
  } finally {
    client.release();
  }
}

async function counters(pool: Pool): Promise<Counters> {
  const { rows } = await pool.query<{ hit: string; read: string; read_ms: number }>(
    `SELECT blks_hit AS hit, blks_read AS read, blk_read_time AS read_ms
     FROM pg_stat_database WHERE datname = current_database()`,
  );
  const row = rows[0]!;
  return { hit: Number(row.hit), read: Number(row.read), readMs: row.read_ms };
}

/**
 * A backend reports its counters at the end of a transaction at most once a second, and when idle
 * for 10 s or on exit: the wait for what earlier work still holds back.
 */
const REPORT_MS = 11_000;

/**
 * Runs `walks` (which ends the pool it walks through: a backend reports its counters when it
 * exits) and returns its result with the database's buffer counters per walk over that time. It
 * first waits until earlier work has reported its own. Anything else using the database meanwhile
 * counts too; the bench walks alone.
 */
export async function withBuffersPerWalk<T>(
  pool: Pool,
  count: number,
  walks: () => Promise<T>,
): Promise<{ result: T; buffers: WalkBuffers }> {
  await sleep(REPORT_MS);
  const before = await counters(pool);
  const result = await walks();
  // An exiting backend's counters reach pg_stat_database shortly after its connection closes:
  // read them until two readings agree.
  await sleep(250);
  let after = await counters(pool);
  for (let i = 0; i < 20; i++) {
    await sleep(250);
    const next = await counters(pool);
    if (next.hit === after.hit && next.read === after.read) break;
    after = next;
  }
  const read = after.read - before.read;
  const readMs = after.readMs - before.readMs;
  const buffers = {
    hit: (after.hit - before.hit) / count,
    read: read / count,
    readUs: readMs > 0 && read > 0 ? (1000 * readMs) / read : null,
  };
  return { result, buffers };
}
