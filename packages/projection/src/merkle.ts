import { createHash } from 'node:crypto';
import type { PoolClient } from 'pg';
import { qualifiedName } from '@lineage/store';
import { TABLES } from './tables.js';

/**
 * One stored node of a partition's Merkle tree (`merkle_hashes`): the RFC 6962 hash of the complete
 * subtree over leaves [index·2^level, (index+1)·2^level) of the attestation partition. Level 0 is the
 * leaf hash of the attestation at that sequence (SHA-256(0x00 ‖ DSSE payload)); a node of level
 * L+1 exists once both its children of level L do. A partition's rows are thus the hashes C2SP
 * tlog-tiles serve (a tile of height 8 is levels 8k…8k+7), and any root or inclusion proof of a tree
 * size is O(log n) of them.
 */
export interface MerkleNode {
  level: number;
  index: number;
  hash: Buffer;
}

const NODE_PREFIX = Buffer.from([0x01]);
const key = (level: number, index: number) => `${level}:${index}`;

/** One new leaf of a partition's tree: the attestation's sequence and RFC 6962 leaf hash. */
export interface Leaf {
  sequence: number;
  leaf: Buffer;
}

function nodeOf(left: Buffer, right: Buffer): Buffer {
  return createHash('sha256').update(NODE_PREFIX).update(left).update(right).digest();
}

/**
 * The nodes whose stored hash the new leaves at `sequences` may depend on: at every level, each
 * ancestor of a new leaf (when `own`) and that ancestor's sibling, up to the level where the only
 * ancestor is node 0 and its sibling would start beyond the highest new sequence. Without `own`,
 * only siblings outside the batch's own subtrees: the O(log n) frontier the batch hashes onto.
 */
function touched(sequences: readonly number[], own: boolean): { level: number; index: number }[] {
  const out: { level: number; index: number }[] = [];
  // Arithmetic, not `^ 1`: sequences may pass 2^31, where bitwise operators wrap.
  const sibling = (i: number) => (i % 2 === 0 ? i + 1 : i - 1);
  const highest = sequences.reduce((a, b) => Math.max(a, b), 0);
  let level = new Set(sequences);
  for (let l = 0; l < 63; l++) {
    for (const i of level) {
      if (own) out.push({ level: l, index: i });
      if (!level.has(sibling(i))) out.push({ level: l, index: sibling(i) });
    }
    if (level.size === 1 && level.has(0) && 2 ** l > highest) break;
    level = new Set([...level].map((i) => Math.floor(i / 2)));
  }
  return out;
}

/**
 * Computes the nodes a batch of one partition adds: its leaves (the first row of a sequence wins,
 * and a hash already stored always wins, so a redelivery or a second attestation at a taken sequence
 * changes nothing), then every parent whose two children are now known. `stored` holds the stored
 * hashes of {@link touched} nodes.
 */
function newNodes(leaves: readonly Leaf[], stored: Map<string, Buffer>): MerkleNode[] {
  const known = new Map(stored);
  const added: MerkleNode[] = [];
  let level = new Set<number>();
  for (const { sequence, leaf } of leaves) {
    if (known.has(key(0, sequence))) continue;
    known.set(key(0, sequence), leaf);
    added.push({ level: 0, index: sequence, hash: leaf });
    level.add(sequence);
  }
  for (let l = 0; level.size > 0 && l < 62; l++) {
    const up = new Set<number>();
    for (const i of level) {
      const parent = Math.floor(i / 2);
      if (up.has(parent) || known.has(key(l + 1, parent))) continue;
      const left = known.get(key(l, parent * 2));
      const right = known.get(key(l, parent * 2 + 1));
      if (left === undefined || right === undefined) continue;
      const hash = nodeOf(left, right);
      known.set(key(l + 1, parent), hash);
      added.push({ level: l + 1, index: parent, hash });
      up.add(parent);
    }
    level = up;
  }
  return added;
}

/**
 * Reads the stored nodes of partition `partition`'s tree that new leaves at `sequences` depend on
 * ({@link touched}). A batch that starts after the last stored leaf — every batch but a redelivery
 * — has none of its own nodes stored, and needs only the O(log n) frontier it hashes onto: one
 * statement reads that and the last stored leaf's index; only when the batch does not start after
 * it, a second reads the batch's own nodes too, O(batch + log n).
 */
export async function readTree(
  client: PoolClient,
  schema: string,
  partition: number,
  sequences: readonly number[],
): Promise<Map<string, Buffer>> {
  const table = qualifiedName(schema, TABLES.merkleHashes);
  const read = (keys: { level: number; index: number }[], last: boolean) =>
    client.query<{ level: number; index: string | null; hash: Buffer | null }>(
      `SELECT m.level, m.index::text AS index, m.hash FROM ${table} m
       JOIN unnest($2::smallint[], $3::bigint[]) AS k(level, index)
         ON m.level = k.level AND m.index = k.index
       WHERE m.partition = $1
       ${last ? `UNION ALL SELECT -1, max(index)::text, NULL FROM ${table} WHERE partition = $1 AND level = 0` : ''}`,
      [partition, keys.map((k) => k.level), keys.map((k) => k.index)],
    );
  const { rows } = await read(touched(sequences, false), true);
  const lastLeaf = rows.find((r) => r.level === -1)?.index ?? null;
  const first = sequences.reduce((a, b) => Math.min(a, b), Number.POSITIVE_INFINITY);
  const found =
    lastLeaf === null || Number(lastLeaf) < first
      ? rows.filter((r) => r.level !== -1)
      : (await read(touched(sequences, true), false)).rows;
  return new Map(found.map((f) => [key(f.level, Number(f.index)), f.hash!]));
}

/**
 * Stores the nodes `leaves` add to partition `partition`'s tree, given what {@link readTree} read
 * for their sequences, in one set-based insert. `ON CONFLICT DO NOTHING` keeps the stored hash of a
 * node inserted concurrently (by a rebalanced consumer redoing the same records).
 */
export async function growTree(
  client: PoolClient,
  schema: string,
  partition: number,
  leaves: readonly Leaf[],
  stored: Map<string, Buffer>,
): Promise<void> {
  const added = newNodes(leaves, stored);
  if (added.length === 0) return;
  await client.query(
    `INSERT INTO ${qualifiedName(schema, TABLES.merkleHashes)} (partition, level, index, hash)
     SELECT $1, level, index, hash FROM unnest($2::smallint[], $3::bigint[], $4::bytea[])
       AS n(level, index, hash)
     ON CONFLICT DO NOTHING`,
    [partition, added.map((n) => n.level), added.map((n) => n.index), added.map((n) => n.hash)],
  );
}

/**
 * Adds `leaves` (of decoded attestations of Kafka partition `partition`) to that partition's stored
 * Merkle tree, in the caller's transaction: one read of the stored nodes the new ones depend on
 * ({@link readTree}), one set-based insert ({@link growTree}).
 */
export async function extendTree(
  client: PoolClient,
  schema: string,
  partition: number,
  leaves: readonly Leaf[],
): Promise<void> {
  if (leaves.length === 0) return;
  const stored = await readTree(
    client,
    schema,
    partition,
    leaves.map((l) => l.sequence),
  );
  await growTree(client, schema, partition, leaves, stored);
}
