import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  EMPTY_ROOT,
  MerkleBuilder,
  consistencyProof,
  inclusionProof,
  leafHash,
  merkleRoot,
  merkleRootOfHashes,
  nodeHash,
  verifyConsistency,
  verifyInclusion,
} from './merkle.js';
import { toHex } from '../encoding/bytes.js';
import { errorOf, flipped, hex, positions, readVector } from '@lineage/testkit';

interface Rfc6962Vectors {
  source: string;
  leaves: string[];
  roots: string[];
  inclusion: { index: number; size: number; proof: string[] }[];
  consistency: { size1: number; size2: number; proof: string[] }[];
}
const vectors = readVector<Rfc6962Vectors>('rfc6962-merkle.json');
const leaves = vectors.leaves.map(hex);
const roots = vectors.roots.map(hex);

/** Leaves 0..n-1 with distinct contents of varying length. */
function dataLeaves(n: number): Uint8Array[] {
  return Array.from({ length: n }, (_, i) =>
    new TextEncoder().encode(`leaf ${i} ${'x'.repeat(i % 7)}`),
  );
}

describe('RFC 6962 hashing', () => {
  it('uses 0x00 / 0x01 domain separation (checked against node:crypto)', () => {
    const data = new Uint8Array([1, 2, 3]);
    const ref = (prefix: number, ...parts: Uint8Array[]) => {
      const h = createHash('sha256').update(new Uint8Array([prefix]));
      for (const p of parts) h.update(p);
      return h.digest('hex');
    };
    expect(toHex(leafHash(data))).toBe(ref(0, data));
    const l = leafHash(data);
    const r = leafHash(new Uint8Array([4]));
    expect(toHex(nodeHash(l, r))).toBe(ref(1, l, r));
    expect(toHex(EMPTY_ROOT)).toBe(createHash('sha256').digest('hex'));
  });
});

describe('transparency-dev/merkle reference vectors', () => {
  it('the vector file cites its source', () => {
    expect(vectors.source).toMatch(/transparency-dev\/merkle.*constants\.go.*verify_test\.go/);
    expect(leaves).toHaveLength(8);
    expect(roots).toHaveLength(9);
  });

  it('merkleRoot and MerkleBuilder match the reference root for sizes 0..8', () => {
    const builder = new MerkleBuilder();
    for (let size = 0; size <= 8; size++) {
      expect(toHex(merkleRoot(leaves.slice(0, size)))).toBe(vectors.roots[size]);
      expect(toHex(builder.root())).toBe(vectors.roots[size]);
      if (size < 8) builder.appendLeaf(leaves[size]!);
    }
  });

  it.each(vectors.inclusion)('inclusion proof of leaf $index in a tree of $size', (v) => {
    const proof = inclusionProof(leaves.slice(0, v.size), v.index);
    expect(proof.map(toHex)).toEqual(v.proof);
    expect(
      verifyInclusion(leafHash(leaves[v.index]!), v.index, v.size, proof, roots[v.size]!),
    ).toBe(true);
  });

  it.each(vectors.consistency)('consistency proof from $size1 to $size2', (v) => {
    const proof = consistencyProof(leaves, v.size1, v.size2);
    expect(proof.map(toHex)).toEqual(v.proof);
    expect(verifyConsistency(v.size1, v.size2, proof, roots[v.size1]!, roots[v.size2]!)).toBe(true);
  });

  it('reference proofs do not verify against a wrong size, index or root', () => {
    for (const v of vectors.inclusion.filter((x) => x.proof.length > 0)) {
      const proof = v.proof.map(hex);
      const leaf = leafHash(leaves[v.index]!);
      const root = roots[v.size]!;
      expect(verifyInclusion(leaf, v.index, v.size * 2, proof, root)).toBe(false);
      const half = Math.floor(v.size / 2);
      if (v.index < half) expect(verifyInclusion(leaf, v.index, half, proof, root)).toBe(false);
      if (v.index > 0) expect(verifyInclusion(leaf, v.index - 1, v.size, proof, root)).toBe(false);
      expect(verifyInclusion(leaf, v.index, v.size, proof, EMPTY_ROOT)).toBe(false);
      expect(verifyInclusion(leaf, v.index, v.size, proof.slice(1), root)).toBe(false);
      expect(verifyInclusion(leaf, v.index, v.size, [...proof, root], root)).toBe(false);
    }
    for (const v of vectors.consistency.filter((x) => x.proof.length > 0)) {
      const proof = v.proof.map(hex);
      const [r1, r2] = [roots[v.size1]!, roots[v.size2]!];
      expect(verifyConsistency(v.size1, v.size2, proof, r2, r1)).toBe(false);
      expect(verifyConsistency(v.size1, v.size2, [], r1, r2)).toBe(false);
      expect(verifyConsistency(v.size1, v.size2, proof.slice(0, -1), r1, r2)).toBe(false);
      expect(verifyConsistency(v.size1, v.size2, [...proof, r1], r1, r2)).toBe(false);
      expect(verifyConsistency(v.size1, v.size2 * 2, proof, r1, r2)).toBe(false);
    }
  });
});

/** Every byte of each proof element, sampled to at most `count` positions per element. */
function proofFlips(proof: Uint8Array[], count: number): Uint8Array[][] {
  const out: Uint8Array[][] = [];
  proof.forEach((p, i) => {
    for (const at of positions(p.length, count)) {
      out.push(proof.map((q, j) => (j === i ? flipped(q, at) : q)));
    }
  });
  return out;
}

const N = 200;
const data = dataLeaves(N);
const hashes = data.map(leafHash);
const builder = new MerkleBuilder();
const rootAt: Uint8Array[] = [builder.root()];
for (const h of hashes) {
  builder.append(h);
  rootAt.push(builder.root());
}
/** Sizes where every index / every m is checked; other sizes get evenly spread samples. */
const exhaustive = (n: number) => n <= 64 || [100, 127, 128, 129, 200].includes(n);

describe('inclusion proofs, sizes 1..200', () => {
  it('verify for every index (exhaustive up to 64 and at 100, 127-129, 200; 8 spread indices otherwise)', () => {
    let checked = 0;
    for (let n = 1; n <= N; n++) {
      const tree = data.slice(0, n);
      for (const i of exhaustive(n) ? positions(n, n) : positions(n, 8).concat(n - 1)) {
        const proof = inclusionProof(tree, i);
        expect(verifyInclusion(hashes[i]!, i, n, proof, rootAt[n]!)).toBe(true);
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(3900);
  });

  it('a flipped byte in the proof, the leaf or the root makes it false', () => {
    for (const n of [1, 2, 3, 7, 8, 9, 31, 64, 65, 200]) {
      const tree = data.slice(0, n);
      for (const i of positions(n, 12)) {
        const proof = inclusionProof(tree, i);
        for (const bad of proofFlips(proof, 4)) {
          expect(verifyInclusion(hashes[i]!, i, n, bad, rootAt[n]!)).toBe(false);
        }
        for (const at of positions(32, 8)) {
          expect(verifyInclusion(flipped(hashes[i]!, at), i, n, proof, rootAt[n]!)).toBe(false);
          expect(verifyInclusion(hashes[i]!, i, n, proof, flipped(rootAt[n]!, at))).toBe(false);
        }
      }
    }
  });
});

describe('consistency proofs, sizes 1..200', () => {
  it('verify for every (m, n) (every m for n up to 64 and 100, 127-129, 200; 8 spread m otherwise)', () => {
    let checked = 0;
    for (let n = 1; n <= N; n++) {
      const ms = exhaustive(n) ? positions(n + 1, n + 1) : [0, ...positions(n, 8), n];
      for (const m of ms) {
        const proof = consistencyProof(data, m, n);
        expect(verifyConsistency(m, n, proof, rootAt[m]!, rootAt[n]!)).toBe(true);
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(4000);
  });

  it('a flipped byte in the proof or either root makes it false', () => {
    for (const n of [2, 3, 7, 8, 9, 31, 64, 65, 200]) {
      for (const m of positions(n, 12).filter((x) => x > 0)) {
        const proof = consistencyProof(data, m, n);
        for (const bad of proofFlips(proof, 4)) {
          expect(verifyConsistency(m, n, bad, rootAt[m]!, rootAt[n]!)).toBe(false);
        }
        for (const at of positions(32, 8)) {
          expect(verifyConsistency(m, n, proof, flipped(rootAt[m]!, at), rootAt[n]!)).toBe(false);
          expect(verifyConsistency(m, n, proof, rootAt[m]!, flipped(rootAt[n]!, at))).toBe(false);
        }
      }
    }
  });

  it('trivial cases: equal sizes and the empty tree', () => {
    expect(verifyConsistency(5, 5, [], rootAt[5]!, rootAt[5]!)).toBe(true);
    expect(verifyConsistency(5, 5, [], rootAt[5]!, rootAt[6]!)).toBe(false);
    expect(verifyConsistency(5, 5, [rootAt[5]!], rootAt[5]!, rootAt[5]!)).toBe(false);
    expect(verifyConsistency(0, 9, [], EMPTY_ROOT, rootAt[9]!)).toBe(true);
    expect(verifyConsistency(0, 9, [rootAt[1]!], EMPTY_ROOT, rootAt[9]!)).toBe(false);
  });
});

describe('MerkleBuilder', () => {
  it('root equals merkleRoot for every size 0..300', () => {
    const more = dataLeaves(300);
    const b = new MerkleBuilder();
    for (let n = 0; n <= 300; n++) {
      expect(b.size).toBe(n);
      expect(toHex(b.root())).toBe(toHex(merkleRoot(more.slice(0, n))));
      if (n < 300) b.appendLeaf(more[n]!);
    }
  });

  it('append(leafHash) matches merkleRootOfHashes and rejects a non-32-byte hash', () => {
    const b = new MerkleBuilder();
    for (const h of hashes.slice(0, 127)) b.append(h);
    expect(toHex(b.root())).toBe(toHex(merkleRootOfHashes(hashes.slice(0, 127))));
    expect(errorOf(() => b.append(new Uint8Array(31)))).toEqual({
      type: 'MerkleError',
      code: 'INVALID_HASH',
    });
  });
});

describe('malformed arguments give typed MerkleErrors', () => {
  const root = rootAt[8]!;
  const proof = inclusionProof(data.slice(0, 8), 3);
  it.each([
    ['index >= size', () => verifyInclusion(hashes[3]!, 8, 8, proof, root), 'INVALID_INDEX'],
    ['negative index', () => verifyInclusion(hashes[3]!, -1, 8, proof, root), 'INVALID_INDEX'],
    ['fractional size', () => verifyInclusion(hashes[3]!, 3, 8.5, proof, root), 'INVALID_INDEX'],
    ['short leaf', () => verifyInclusion(new Uint8Array(3), 3, 8, proof, root), 'INVALID_HASH'],
    [
      'short root',
      () => verifyInclusion(hashes[3]!, 3, 8, proof, new Uint8Array(0)),
      'INVALID_HASH',
    ],
    [
      'short proof element',
      () => verifyInclusion(hashes[3]!, 3, 8, [...proof, new Uint8Array(0)], root),
      'INVALID_PROOF_SHAPE',
    ],
    [
      'proof not an array',
      () => verifyInclusion(hashes[3]!, 3, 8, 'x' as unknown as Uint8Array[], root),
      'INVALID_PROOF_SHAPE',
    ],
    ['m > n', () => verifyConsistency(9, 8, [], root, root), 'INVALID_SIZE'],
    ['NaN size', () => verifyConsistency(NaN, 8, [], root, root), 'INVALID_SIZE'],
    ['index out of tree', () => inclusionProof(data.slice(0, 8), 8), 'INVALID_INDEX'],
    ['n beyond leaves', () => consistencyProof(data.slice(0, 8), 2, 9), 'INVALID_SIZE'],
  ])('%s', (_name, fn, code) => {
    expect(errorOf(fn)).toEqual({ type: 'MerkleError', code });
  });
});
