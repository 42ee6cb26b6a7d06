import type { PoolClient } from 'pg';
import { nodeHash } from '@lineage/protocol';
import { TABLES } from '@lineage/projection';
import { qualifiedName } from '@lineage/store';

/** Reads a stored complete-subtree hash; undefined when the projection does not hold it. */
type Lookup = (level: number, index: number) => Uint8Array | undefined;

const PLACEHOLDER = new Uint8Array(32);

/** Largest power of two strictly smaller than `n` (n >= 2). */
function splitPoint(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

/**
 * MTH(D[lo:hi]) of RFC 6962 from stored nodes: a range of 2^L leaves aligned on 2^L is node
 * (L, lo / 2^L); any other range splits as the RFC does, so its parts are aligned too.
 */
function rangeRoot(lo: number, hi: number, get: Lookup): Uint8Array | undefined {
  const n = hi - lo;
  // Arithmetic, not `n & (n - 1)`: sizes may pass 2^31, where bitwise operators wrap.
  const level = Math.round(Math.log2(n));
  if (2 ** level === n && lo % n === 0) return get(level, lo / n);
  const k = splitPoint(n);
  const left = rangeRoot(lo, lo + k, get);
  const right = rangeRoot(lo + k, hi, get);
  return left && right ? nodeHash(left, right) : undefined;
}

/** PATH(m, D[lo:hi]) of RFC 6962 §2.1.1 from stored nodes; undefined when one is missing. */
function auditPath(m: number, lo: number, hi: number, get: Lookup): Uint8Array[] | undefined {
  if (hi - lo <= 1) return [];
  const k = splitPoint(hi - lo);
  const [below, sibling] =
    m < k
      ? [auditPath(m, lo, lo + k, get), rangeRoot(lo + k, hi, get)]
      : [auditPath(m - k, lo + k, hi, get), rangeRoot(lo, lo + k, get)];
  return below && sibling ? [...below, sibling] : undefined;
}

/**
 * SUBPROOF(m, D[lo:hi], b) of RFC 6962 §2.1.2 from stored nodes: the consistency proof between the
 * first m leaves of the range and the whole range; undefined when a node is missing.
 */
function subproof(
  m: number,
  lo: number,
  hi: number,
  whole: boolean,
  get: Lookup,
): Uint8Array[] | undefined {
  if (m === hi - lo) {
    if (whole) return [];
    const root = rangeRoot(lo, hi, get);
    return root && [root];
  }
  const k = splitPoint(hi - lo);
  const [below, sibling] =
    m <= k
      ? [subproof(m, lo, lo + k, whole, get), rangeRoot(lo + k, hi, get)]
      : [subproof(m - k, lo + k, hi, false, get), rangeRoot(lo, lo + k, get)];
  return below && sibling ? [...below, sibling] : undefined;
}

/**
 * One attestation partition's Merkle tree as the projection stores it (`merkle_hashes`), read in
 * the caller's snapshot: roots and inclusion proofs of any size from O(log n) stored nodes, fetched
 * in one statement per {@link load}, never the partition's leaves.
 */
export class StoredTree {
  readonly #nodes = new Map<string, Uint8Array | null>();

  constructor(
    private readonly client: PoolClient,
    private readonly schema: string,
    readonly partition: number,
  ) {}

  /**
   * Fetches the nodes that the root of `size`, the proofs of `indexes` in it (leaves too) and the
   * consistency proofs to it from the sizes `from` need.
   */
  async load(
    size: number,
    indexes: readonly number[],
    from: readonly number[] = [],
  ): Promise<void> {
    const wanted = new Map<string, { level: number; index: number }>();
    const collect: Lookup = (level, index) => {
      const k = `${level}:${index}`;
      if (!this.#nodes.has(k)) wanted.set(k, { level, index });
      return PLACEHOLDER;
    };
    rangeRoot(0, size, collect);
    for (const i of indexes) {
      collect(0, i);
      auditPath(i, 0, size, collect);
    }
    for (const m of from) if (m > 0 && m < size) subproof(m, 0, size, true, collect);
    if (wanted.size === 0) return;
    const keys = [...wanted.values()];
    const { rows } = await this.client.query<{ level: number; index: string; hash: Buffer }>(
      `SELECT m.level, m.index::text AS index, m.hash
       FROM ${qualifiedName(this.schema, TABLES.merkleHashes)} m
       JOIN unnest($2::smallint[], $3::bigint[]) AS k(level, index)
         ON m.level = k.level AND m.index = k.index
       WHERE m.partition = $1`,
      [this.partition, keys.map((k) => k.level), keys.map((k) => k.index)],
    );
    for (const k of wanted.keys()) this.#nodes.set(k, null);
    for (const r of rows) this.#nodes.set(`${r.level}:${r.index}`, new Uint8Array(r.hash));
  }

  readonly #get: Lookup = (level, index) => this.#nodes.get(`${level}:${index}`) ?? undefined;

  /** The stored leaf hash at `index`, if loaded and stored. */
  leaf(index: number): Uint8Array | undefined {
    return this.#get(0, index);
  }

  /** The root of the first `size` leaves, if every node it needs was loaded and is stored. */
  root(size: number): Uint8Array | undefined {
    return rangeRoot(0, size, this.#get);
  }

  /** The audit path of leaf `index` in the tree of `size`, if its nodes were loaded and stored. */
  proof(index: number, size: number): Uint8Array[] | undefined {
    return auditPath(index, 0, size, this.#get);
  }

  /**
   * The consistency proof from the tree of `m` leaves to the tree of `size` (RFC 6962 §2.1.2; empty
   * when m is 0 or `size`), if its nodes were loaded and are stored.
   */
  consistency(m: number, size: number): Uint8Array[] | undefined {
    if (m === 0 || m === size) return [];
    return m < size ? subproof(m, 0, size, true, this.#get) : undefined;
  }
}
