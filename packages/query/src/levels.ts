import type { PoolClient } from 'pg';
import { prepared } from '@lineage/store';
import type { Direction } from './walk.sql.js';
import { levelSql } from './walk.sql.js';

/** Level 0 of a walk: its starts with ids after `afterId`, in id order, at most `n`. */
export type StartReader = (afterId: string, n: number) => Promise<string[]>;

/**
 * The levels of a breadth-first walk, read on demand: level k is the nodes one link from level
 * k − 1 that are in no earlier level, so each node comes once, at its shortest distance. A level
 * is read a part at a time (ids after a position, at most n, in id order), which costs O(n) reads
 * however wide the level is; passing a level to the next one needs it whole ({@link advance}).
 * Levels known whole in advance (from one statement, see `narrowLevelsSql`) are served from memory.
 */
export class Levels {
  private frontier: string[] = [];
  private readonly seen: string[] = [];
  private depth = 0;

  constructor(
    private readonly client: PoolClient,
    private readonly schema: string,
    private readonly direction: Direction,
    private readonly starts: StartReader,
    /** Whole levels 0..k known in advance, by depth. */
    private readonly known: readonly string[][] = [],
  ) {}

  /** Ids of the current level after `afterId`, in id order, at most `n`. */
  async read(afterId: string, n: number): Promise<string[]> {
    const known = this.known[this.depth];
    if (known !== undefined) return known.filter((id) => id > afterId).slice(0, n);
    if (this.depth === 0) return this.starts(afterId, n);
    const { rows } = await this.client.query<{ id: string }>(
      prepared(levelSql(this.schema, this.direction), [this.frontier, this.seen, afterId, n]),
    );
    return rows.map((r) => r.id);
  }

  /** Moves to the next level, given the whole current one. */
  advance(whole: readonly string[]): void {
    this.seen.push(...whole);
    this.frontier = [...whole];
    this.depth++;
  }
}
