import { MerkleError } from '../errors.js';
import { MERKLE_HASH_SIZE } from './merkle.js';

/**
 * C2SP tlog-tiles (v0.1.0 and its later editorial fixes): the log as static resources. A tile of
 * level L holds consecutive Merkle Tree Hashes of complete subtrees of 256^L leaves; an entry bundle
 * holds the entries of one level-0 tile, each a big-endian uint16 length and the entry's bytes.
 */

/** Hashes in a full tile (tiles are subtrees of height 8). */
export const TILE_WIDTH = 256;
/** Levels of the Merkle tree one tile level spans. */
export const TILE_HEIGHT = 8;
/** The longest entry an entry bundle can hold (its length prefix is a uint16). */
export const MAX_BUNDLED_ENTRY = 0xffff;

/** A tile resource: a hash tile of `level`, or (`level: 'entries'`) an entry bundle. */
export interface TilePath {
  level: number | 'entries';
  /** The tile's index within its level. */
  index: number;
  /** Hashes (entries) it holds: 256 for a full tile, 1…255 for a partial one. */
  width: number;
}

// Levels the spec allows, written without leading zeroes.
const LEVEL = /^(?:0|[1-9][0-9]?)$/;
const WIDTH = /^[1-9][0-9]{0,2}$/;
// The index path elements: `x` and three digits for all but the last.
const INNER = /^x[0-9]{3}$/;
const LAST = /^[0-9]{3}$/;
// More path elements than any safe integer needs (2^53 has 16 digits: 6 elements).
const MAX_ELEMENTS = 6;

/**
 * Reads the part of a tile URL after `tile/`: `<L>/<N>[.p/<W>]` or `entries/<N>[.p/<W>]`, with
 * `<N>` in zero-padded 3-digit elements, all but the last prefixed `x`. Only the canonical form is
 * accepted (no leading `x000`, no leading zeroes in L or W, L ≤ 63, W 1…255). Null otherwise.
 */
export function parseTilePath(path: string): TilePath | null {
  const parts = path.split('/');
  if (parts.length < 2 || parts.length > MAX_ELEMENTS + 2) return null;
  const head = parts[0]!;
  let level: TilePath['level'];
  if (head === 'entries') level = 'entries';
  else if (LEVEL.test(head) && Number(head) <= 63) level = Number(head);
  else return null;
  let rest = parts.slice(1);
  let width = TILE_WIDTH;
  const last = rest[rest.length - 1]!;
  if (rest.length >= 2 && rest[rest.length - 2]!.endsWith('.p')) {
    if (!WIDTH.test(last) || Number(last) >= TILE_WIDTH) return null;
    width = Number(last);
    rest = rest.slice(0, -1);
    rest[rest.length - 1] = rest[rest.length - 1]!.slice(0, -2);
  }
  if (rest.length === 0 || rest.length > MAX_ELEMENTS) return null;
  const inner = rest.slice(0, -1);
  if (!inner.every((e) => INNER.test(e)) || !LAST.test(rest[rest.length - 1]!)) return null;
  // Canonical: the first element carries a non-zero group when there are several.
  if (inner.length > 0 && inner[0] === 'x000') return null;
  const digits = [...inner.map((e) => e.slice(1)), rest[rest.length - 1]!].join('');
  const index = Number(digits);
  if (!Number.isSafeInteger(index)) return null;
  return { level, index, width };
}

/** The URL part after `tile/` of a tile: the inverse of {@link parseTilePath}. */
export function formatTilePath(tile: TilePath): string {
  const groups: string[] = [];
  let n = tile.index;
  do {
    groups.unshift(String(n % 1000).padStart(3, '0'));
    n = Math.floor(n / 1000);
  } while (n > 0);
  const index = groups.map((g, i) => (i < groups.length - 1 ? `x${g}` : g)).join('/');
  const partial = tile.width < TILE_WIDTH ? `.p/${tile.width}` : '';
  return `${String(tile.level)}/${index}${partial}`;
}

/**
 * The leaves a tile spans: [start, start + count). An entry bundle spans its level-0 tile. Null
 * when they pass the largest safe integer (no tree of this log is that large).
 */
export function tileSpan(tile: TilePath): { start: number; count: number } | null {
  const level = tile.level === 'entries' ? 0 : tile.level;
  const perHash = TILE_WIDTH ** level;
  const start = tile.index * TILE_WIDTH * perHash;
  const count = tile.width * perHash;
  if (!Number.isSafeInteger(start + count)) return null;
  return { start, count };
}

/** The tiles a tree of `size` leaves is served as at `level`: full ones, then the partial one. */
export function tilesOfLevel(size: number, level: number | 'entries'): TilePath[] {
  const perHash = TILE_WIDTH ** (level === 'entries' ? 0 : level);
  const hashes = Math.floor(size / perHash);
  const tiles: TilePath[] = [];
  for (let index = 0; index * TILE_WIDTH < hashes; index++)
    tiles.push({ level, index, width: Math.min(TILE_WIDTH, hashes - index * TILE_WIDTH) });
  return tiles;
}

/**
 * Encodes entries as an entry bundle.
 * @throws MerkleError INVALID_SIZE when an entry is longer than {@link MAX_BUNDLED_ENTRY} bytes.
 */
export function encodeEntryBundle(entries: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(entries.reduce((n, e) => n + 2 + e.length, 0));
  let at = 0;
  for (const e of entries) {
    if (e.length > MAX_BUNDLED_ENTRY)
      throw new MerkleError('INVALID_SIZE', `an entry of ${e.length} bytes does not fit a bundle`);
    out[at] = e.length >>> 8;
    out[at + 1] = e.length & 0xff;
    out.set(e, at + 2);
    at += 2 + e.length;
  }
  return out;
}

/**
 * Reads an entry bundle back into its entries.
 * @throws MerkleError INVALID_PROOF_SHAPE when a length prefix runs past the end.
 */
export function decodeEntryBundle(bundle: Uint8Array): Uint8Array[] {
  const entries: Uint8Array[] = [];
  let at = 0;
  while (at < bundle.length) {
    if (at + 2 > bundle.length)
      throw new MerkleError('INVALID_PROOF_SHAPE', 'entry bundle ends inside a length');
    const length = bundle[at]! * 256 + bundle[at + 1]!;
    if (at + 2 + length > bundle.length)
      throw new MerkleError('INVALID_PROOF_SHAPE', 'entry bundle ends inside an entry');
    entries.push(bundle.subarray(at + 2, at + 2 + length));
    at += 2 + length;
  }
  return entries;
}

/**
 * Splits a hash tile into its 32-byte hashes.
 * @throws MerkleError INVALID_PROOF_SHAPE when its length is not a multiple of 32.
 */
export function tileHashes(tile: Uint8Array): Uint8Array[] {
  if (tile.length % MERKLE_HASH_SIZE !== 0)
    throw new MerkleError('INVALID_PROOF_SHAPE', `a tile of ${tile.length} bytes`);
  const out: Uint8Array[] = [];
  for (let at = 0; at < tile.length; at += MERKLE_HASH_SIZE)
    out.push(tile.subarray(at, at + MERKLE_HASH_SIZE));
  return out;
}
