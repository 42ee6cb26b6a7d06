import { ClassicLevel } from 'classic-level';
import type { Digest } from '@lineage/protocol';
import { GovernanceError } from './errors.js';

/**
 * The membership sets governance keeps per attestation partition. `answered`, `decided` and
 * `resolutions` grow with the ledger and are only ever asked about one key at a time; `pending`
 * and `resolved` (the holds awaiting or given a human answer) are loaded into memory.
 */
export type IndexSet = 'answered' | 'decided' | 'resolutions' | 'pending' | 'resolved';

/** One member of a set. */
export interface IndexEntry {
  readonly set: IndexSet;
  readonly key: string;
}

/** Where a partition's chain stands after the attestations folded into the index. */
export interface LedgerHead {
  readonly nextSequence: number;
  readonly prev: Digest | null;
  /** Offset of the last attestation folded in (a decimal string), or "-1" when none is. */
  readonly lastOffset: string;
}

/** What the index holds about a partition: its head and the sets kept in memory. */
export interface StoredPartition {
  head: LedgerHead;
  pending: Set<Digest>;
  resolved: Set<Digest>;
}

/**
 * Governance's replay and pending state per partition, a cache of the attestation ledger in the
 * way a Kafka Streams state store caches its changelog: written only after the transaction that
 * appended the attestations committed, restored by reading the ledger from the stored head onward.
 */
export interface LedgerIndex {
  /** Whether `key` is in set `set` of `partition`. */
  has(partition: number, set: IndexSet, key: string): Promise<boolean>;
  /** Whether each entry's key is in its set, in one lookup. */
  hasMany(partition: number, entries: readonly IndexEntry[]): Promise<boolean[]>;
  /** Adds `entries` and moves the partition's head to `head`, atomically. */
  write(partition: number, entries: readonly IndexEntry[], head: LedgerHead): Promise<void>;
  /** The partition's stored head and in-memory sets, or undefined when nothing is stored. */
  load(partition: number): Promise<StoredPartition | undefined>;
  /** Forgets everything stored for the partition. */
  clear(partition: number): Promise<void>;
  close(): Promise<void>;
}

/** An index in memory: for tests and in-process runs. It grows with the ledger. */
export class MemoryIndex implements LedgerIndex {
  private readonly partitions = new Map<number, { head: LedgerHead; sets: Set<string> }>();

  has(partition: number, set: IndexSet, key: string): Promise<boolean> {
    return Promise.resolve(this.partitions.get(partition)?.sets.has(memberKey(set, key)) ?? false);
  }

  hasMany(partition: number, entries: readonly IndexEntry[]): Promise<boolean[]> {
    const sets = this.partitions.get(partition)?.sets;
    return Promise.resolve(entries.map((e) => sets?.has(memberKey(e.set, e.key)) ?? false));
  }

  write(partition: number, entries: readonly IndexEntry[], head: LedgerHead): Promise<void> {
    const stored = this.partitions.get(partition) ?? { head, sets: new Set<string>() };
    for (const e of entries) stored.sets.add(memberKey(e.set, e.key));
    stored.head = head;
    this.partitions.set(partition, stored);
    return Promise.resolve();
  }

  load(partition: number): Promise<StoredPartition | undefined> {
    const stored = this.partitions.get(partition);
    if (stored === undefined) return Promise.resolve(undefined);
    const of = (set: IndexSet) =>
      new Set(
        [...stored.sets]
          .filter((m) => m.startsWith(memberKey(set, '')))
          .map((m) => m.slice(memberKey(set, '').length) as Digest),
      );
    return Promise.resolve({ head: stored.head, pending: of('pending'), resolved: of('resolved') });
  }

  clear(partition: number): Promise<void> {
    this.partitions.delete(partition);
    return Promise.resolve();
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}

/** `<set>\u0001<key>`: one string per set member (keys may hold U+0000 but never U+0001). */
export function memberKey(set: IndexSet, key: string): string {
  return `${set}\u0001${key}`;
}

/** `<partition>\u0001<set>\u0001<key>`; the head is `<partition>\u0001head`. */
function levelKey(partition: number, rest: string): string {
  return `${partition}\u0001${rest}`;
}

/**
 * An index in a LevelDB directory owned by one governance instance: memory stays bounded by
 * LevelDB's block cache and write buffer however long the ledger grows. Partitions released in a
 * rebalance keep their state, so acquiring one again reads only what others appended since.
 */
export class LevelIndex implements LedgerIndex {
  private constructor(private readonly db: ClassicLevel<string, string>) {}

  /**
   * Opens (or creates) the index in `dir`.
   * @throws GovernanceError `STATE_LOCKED` when another process holds the directory,
   *   `STATE_UNREADABLE` when LevelDB cannot open it.
   */
  static async open(dir: string): Promise<LevelIndex> {
    const db = new ClassicLevel<string, string>(dir, {
      keyEncoding: 'utf8',
      valueEncoding: 'utf8',
      cacheSize: 8 << 20,
      writeBufferSize: 4 << 20,
    });
    try {
      await db.open();
    } catch (error) {
      const locked = (error as { cause?: { code?: unknown } }).cause?.code === 'LEVEL_LOCKED';
      throw new GovernanceError(
        locked ? 'STATE_LOCKED' : 'STATE_UNREADABLE',
        locked
          ? `the state directory ${dir} is used by another governance process: give each instance its own --state-dir`
          : `cannot open the state directory ${dir}: ${String(error)}`,
        { cause: error },
      );
    }
    return new LevelIndex(db);
  }

  async has(partition: number, set: IndexSet, key: string): Promise<boolean> {
    return (await this.db.get(levelKey(partition, memberKey(set, key)))) !== undefined;
  }

  async hasMany(partition: number, entries: readonly IndexEntry[]): Promise<boolean[]> {
    const values = await this.db.getMany(
      entries.map((e) => levelKey(partition, memberKey(e.set, e.key))),
    );
    return values.map((v) => v !== undefined);
  }

  async write(partition: number, entries: readonly IndexEntry[], head: LedgerHead): Promise<void> {
    const batch = this.db.batch();
    for (const e of entries) batch.put(levelKey(partition, memberKey(e.set, e.key)), '');
    batch.put(levelKey(partition, 'head'), JSON.stringify(head));
    await batch.write();
  }

  async load(partition: number): Promise<StoredPartition | undefined> {
    const head = await this.db.get(levelKey(partition, 'head'));
    if (head === undefined) return undefined;
    const of = async (set: IndexSet) => {
      const prefix = levelKey(partition, memberKey(set, ''));
      const keys = await this.db.keys({ gte: prefix, lt: `${prefix}\uffff` }).all();
      return new Set(keys.map((k) => k.slice(prefix.length) as Digest));
    };
    return {
      head: JSON.parse(head) as LedgerHead,
      pending: await of('pending'),
      resolved: await of('resolved'),
    };
  }

  async clear(partition: number): Promise<void> {
    await this.db.clear({ gte: `${partition}\u0001`, lt: `${partition}\u0002` });
  }

  async close(): Promise<void> {
    await this.db.close();
  }
}
