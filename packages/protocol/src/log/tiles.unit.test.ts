import { describe, expect, it } from 'vitest';
import { errorOf } from '@lineage/testkit';
import {
  decodeEntryBundle,
  encodeEntryBundle,
  formatTilePath,
  parseTilePath,
  tileHashes,
  tileSpan,
  tilesOfLevel,
} from './tiles.js';

describe('tile paths (C2SP tlog-tiles)', () => {
  it('reads and writes the spec examples', () => {
    expect(parseTilePath('0/x001/x234/067')).toEqual({ level: 0, index: 1234067, width: 256 });
    expect(formatTilePath({ level: 0, index: 1234067, width: 256 })).toBe('0/x001/x234/067');
    expect(parseTilePath('2/000.p/1')).toEqual({ level: 2, index: 0, width: 1 });
    expect(parseTilePath('entries/x001/000.p/112')).toEqual({
      level: 'entries',
      index: 1000,
      width: 112,
    });
    for (const tile of [
      { level: 1, index: 0, width: 17 },
      { level: 'entries' as const, index: 999, width: 256 },
      { level: 63, index: 2 ** 40, width: 255 },
    ])
      expect(parseTilePath(formatTilePath(tile))).toEqual(tile);
  });

  it('refuses every non-canonical or out-of-range path', () => {
    for (const bad of [
      '',
      '0',
      '0/',
      '00/000',
      '64/000',
      '-1/000',
      '0/1',
      '0/0001',
      '0/x000/001',
      '0/001/x002',
      '0/x1/001',
      '0/000.p',
      '0/000.p/0',
      '0/000.p/256',
      '0/000.p/05',
      '0/000.q/5',
      '0/000/.p/5',
      'entry/000',
      '0/x001/x002/x003/x004/x005/x006/007',
      '0/000.p/1/2',
    ])
      expect(parseTilePath(bad), bad).toBeNull();
  });

  it('names the tiles of a tree of 70,000 as the spec does', () => {
    const level0 = tilesOfLevel(70_000, 0);
    expect(level0.length).toBe(274);
    expect(level0.filter((t) => t.width === 256).length).toBe(273);
    expect(level0.at(-1)!.width).toBe(112);
    expect(tilesOfLevel(70_000, 1).map((t) => t.width)).toEqual([256, 17]);
    expect(tilesOfLevel(70_000, 2).map((t) => t.width)).toEqual([1]);
    expect(tilesOfLevel(70_000, 3)).toEqual([]);
    expect(tilesOfLevel(256, 1).map((t) => t.width)).toEqual([1]);
    expect(tileSpan({ level: 1, index: 1, width: 17 })).toEqual({ start: 65_536, count: 17 * 256 });
    expect(tileSpan({ level: 7, index: 2 ** 20, width: 256 })).toBeNull();
  });

  it('round-trips entry bundles and refuses truncated ones and entries too long', () => {
    const entries = [new Uint8Array(0), new Uint8Array([1, 2, 3]), new Uint8Array(300).fill(7)];
    const bundle = encodeEntryBundle(entries);
    expect(bundle.length).toBe(6 + 303);
    expect(decodeEntryBundle(bundle)).toEqual(entries);
    expect(errorOf(() => decodeEntryBundle(bundle.subarray(0, bundle.length - 1))).code).toBe(
      'INVALID_PROOF_SHAPE',
    );
    expect(errorOf(() => decodeEntryBundle(new Uint8Array([0]))).code).toBe('INVALID_PROOF_SHAPE');
    expect(errorOf(() => encodeEntryBundle([new Uint8Array(65_536)])).code).toBe('INVALID_SIZE');
    expect(tileHashes(new Uint8Array(64)).length).toBe(2);
    expect(errorOf(() => tileHashes(new Uint8Array(33))).code).toBe('INVALID_PROOF_SHAPE');
  });
});
