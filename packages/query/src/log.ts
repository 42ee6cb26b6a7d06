import type { Pool, PoolClient } from 'pg';
import {
  MerkleError,
  TILE_HEIGHT,
  TILE_WIDTH,
  bytesEqual,
  encodeEntryBundle,
  fromBase64,
  tileSpan,
} from '@lineage/protocol';
import type { TilePath } from '@lineage/protocol';
import { TABLES } from '@lineage/projection';
import { qualifiedName, quoteSchema } from '@lineage/store';
import { QueryError } from './errors.js';
import { inSnapshot } from './snapshot.js';
import { StoredTree } from './tree.js';

/**
 * Each attestation partition's Merkle log as C2SP tlog-tiles resources, read from the projection:
 * the checkpoint from `checkpoints`, hash tiles from `merkle_hashes`, entry bundles (the DSSE
 * payloads, whose RFC 6962 leaf hashes are the level-0 hashes) from `executions`. Only what the
 * newest served checkpoint's tree holds is served, so a tile never shows a leaf no signed
 * checkpoint commits to.
 */
export interface TransparencyLog {
  /**
   * The checkpoint of the largest tree size the checkpoints topic holds for `partition` whose root
   * the stored tree reproduces; of the notes of that size, the one with the most signature lines
   * (cosignatures), then the newest. @throws QueryError NOT_FOUND when there is none.
   */
  checkpoint(partition: number): Promise<string>;
  /**
   * A hash tile or an entry bundle of `partition`, inside the tree of {@link checkpoint}.
   * @throws QueryError NOT_FOUND when the tile is not inside it (or the level is above the stored
   *   tree's), RESPONSE_TOO_LARGE when an entry of the bundle is longer than a bundle can hold.
   */
  tile(partition: number, tile: TilePath): Promise<Uint8Array>;
}

/** The transparency log over the projection in `schema` (migrated to `SERVING_VERSION`). */
export function openLog(pool: Pool, schema: string): TransparencyLog {
  quoteSchema(schema);
  return {
    checkpoint: (partition) =>
      inSnapshot(pool, async (client) => (await served(client, schema, partition)).note),
    tile: (partition, tile) =>
      inSnapshot(pool, async (client) => {
        const { size } = await served(client, schema, partition);
        const span = tileSpan(tile);
        if (span === null || span.start + span.count > size)
          throw new QueryError('NOT_FOUND', `no such tile in a tree of ${size}`);
        return tile.level === 'entries'
          ? entries(client, schema, partition, span)
          : hashes(client, schema, partition, tile.level, tile.index, tile.width);
      }),
  };
}

// Candidate checkpoints read per statement: the largest sizes, most signatures first.
const CANDIDATES = 16;

async function served(
  client: PoolClient,
  schema: string,
  partition: number,
): Promise<{ note: string; size: number }> {
  const table = qualifiedName(schema, TABLES.checkpoints);
  // Notes of one size differ only in signature lines: the longest carries the most cosignatures.
  const { rows } = await client.query<{ size: string; root: string; note: string }>(
    `SELECT c.size::text AS size, c.root, c.note FROM ${table} c
     WHERE c.attestation_partition = $1
     ORDER BY c.size DESC, length(c.note) DESC, c.partition DESC, c."offset" DESC
     LIMIT ${CANDIDATES}`,
    [partition],
  );
  const tree = new StoredTree(client, schema, partition);
  for (const row of rows) {
    const size = Number(row.size);
    await tree.load(size, []);
    const root = tree.root(size);
    if (root !== undefined && rootIs(root, row.root)) return { note: row.note, size };
  }
  throw new QueryError('NOT_FOUND', `no checkpoint of partition ${partition} to serve`);
}

function rootIs(root: Uint8Array, stored: string): boolean {
  try {
    return bytesEqual(root, fromBase64(stored));
  } catch {
    return false;
  }
}

// Tile level L holds the stored nodes of level 8L.
async function hashes(
  client: PoolClient,
  schema: string,
  partition: number,
  level: number,
  index: number,
  width: number,
): Promise<Uint8Array> {
  if (level * TILE_HEIGHT > 62) throw new QueryError('NOT_FOUND', `no tiles of level ${level}`);
  const first = index * TILE_WIDTH;
  const { rows } = await client.query<{ hash: Buffer }>(
    `SELECT m.hash FROM ${qualifiedName(schema, TABLES.merkleHashes)} m
     WHERE m.partition = $1 AND m.level = $2 AND m.index >= $3 AND m.index < $4
     ORDER BY m.index`,
    [partition, level * TILE_HEIGHT, first, first + width],
  );
  if (rows.length !== width)
    throw new QueryError('NOT_FOUND', `the projection does not hold this tile yet`);
  return Buffer.concat(rows.map((r) => r.hash));
}

// The entries are the DSSE payloads whose leaf hashes are the stored level-0 hashes: of several
// rows at one sequence, the one the stored tree holds.
async function entries(
  client: PoolClient,
  schema: string,
  partition: number,
  span: { start: number; count: number },
): Promise<Uint8Array> {
  const { rows } = await client.query<{ payload: string }>(
    `SELECT DISTINCT ON (x.sequence) x.envelope->>'payload' AS payload
     FROM ${qualifiedName(schema, TABLES.executions)} x
     JOIN ${qualifiedName(schema, TABLES.merkleHashes)} m
       ON m.partition = x.partition AND m.level = 0 AND m.index = x.sequence
     WHERE x.partition = $1 AND x.sequence >= $2 AND x.sequence < $3
       AND sha256('\\x00'::bytea || decode(x.envelope->>'payload', 'base64')) = m.hash
     ORDER BY x.sequence, x."offset"`,
    [partition, span.start, span.start + span.count],
  );
  if (rows.length !== span.count)
    throw new QueryError('NOT_FOUND', `the projection does not hold these entries yet`);
  try {
    return encodeEntryBundle(rows.map((r) => Buffer.from(r.payload, 'base64')));
  } catch (error) {
    if (error instanceof MerkleError)
      throw new QueryError('RESPONSE_TOO_LARGE', `an entry does not fit a tlog-tiles bundle`);
    throw error;
  }
}
