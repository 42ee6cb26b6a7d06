import { sha256 } from '@noble/hashes/sha2.js';
import { bytesEqual } from '../encoding/bytes.js';
import { MerkleError } from '../errors.js';

/** Length in bytes of every hash in the tree (SHA-256). */
export const MERKLE_HASH_SIZE = 32;

/** Root of the empty tree: SHA-256 of the empty string (RFC 6962 §2.1). */
export const EMPTY_ROOT: Uint8Array = sha256(new Uint8Array(0));

const LEAF_PREFIX = new Uint8Array([0x00]);
const NODE_PREFIX = new Uint8Array([0x01]);

/** RFC 6962 leaf hash: SHA-256(0x00 || data). */
export function leafHash(data: Uint8Array): Uint8Array {
  return sha256.create().update(LEAF_PREFIX).update(data).digest();
}

/** RFC 6962 interior node hash: SHA-256(0x01 || left || right). */
export function nodeHash(left: Uint8Array, right: Uint8Array): Uint8Array {
  return sha256.create().update(NODE_PREFIX).update(left).update(right).digest();
}

/** Largest power of two strictly smaller than `n` (n >= 2). */
function splitPoint(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

function isSize(n: unknown): n is number {
  return typeof n === 'number' && Number.isSafeInteger(n) && n >= 0;
}

function requireHash(hash: Uint8Array, what: string): void {
  if (!(hash instanceof Uint8Array) || hash.length !== MERKLE_HASH_SIZE) {
    throw new MerkleError('INVALID_HASH', `${what} is not a ${MERKLE_HASH_SIZE}-byte hash`);
  }
}

function requireProof(proof: readonly Uint8Array[]): void {
  if (!Array.isArray(proof)) throw new MerkleError('INVALID_PROOF_SHAPE', 'proof is not an array');
  for (const p of proof) {
    if (!(p instanceof Uint8Array) || p.length !== MERKLE_HASH_SIZE) {
      throw new MerkleError(
        'INVALID_PROOF_SHAPE',
        `proof element is not a ${MERKLE_HASH_SIZE}-byte hash`,
      );
    }
  }
}

function isPowerOfTwo(n: number): boolean {
  return n > 0 && 2 ** Math.floor(Math.log2(n)) === n;
}

/** MTH(D[lo:hi]) over leaf hashes, hi > lo. */
function subtreeRoot(hashes: readonly Uint8Array[], lo: number, hi: number): Uint8Array {
  if (hi - lo === 1) return hashes[lo]!;
  const k = splitPoint(hi - lo);
  return nodeHash(subtreeRoot(hashes, lo, lo + k), subtreeRoot(hashes, lo + k, hi));
}

/** PATH(m, D[lo:hi]) of RFC 6962 §2.1.1, appended to `out`. */
function path(
  hashes: readonly Uint8Array[],
  m: number,
  lo: number,
  hi: number,
  out: Uint8Array[],
): void {
  if (hi - lo <= 1) return;
  const k = splitPoint(hi - lo);
  if (m < k) {
    path(hashes, m, lo, lo + k, out);
    out.push(subtreeRoot(hashes, lo + k, hi));
  } else {
    path(hashes, m - k, lo + k, hi, out);
    out.push(subtreeRoot(hashes, lo, lo + k));
  }
}

/** SUBPROOF(m, D[lo:hi], b) of RFC 6962 §2.1.2, appended to `out`. */
function subproof(
  hashes: readonly Uint8Array[],
  m: number,
  lo: number,
  hi: number,
  complete: boolean,
  out: Uint8Array[],
): void {
  const n = hi - lo;
  if (m === n) {
    if (!complete) out.push(subtreeRoot(hashes, lo, hi));
    return;
  }
  const k = splitPoint(n);
  if (m <= k) {
    subproof(hashes, m, lo, lo + k, complete, out);
    out.push(subtreeRoot(hashes, lo + k, hi));
  } else {
    subproof(hashes, m - k, lo + k, hi, false, out);
    out.push(subtreeRoot(hashes, lo, lo + k));
  }
}

/** Root of the Merkle tree over leaf hashes (already `leafHash`ed); the empty tree's root for none. */
export function merkleRootOfHashes(hashes: readonly Uint8Array[]): Uint8Array {
  return hashes.length === 0 ? EMPTY_ROOT.slice() : subtreeRoot(hashes, 0, hashes.length);
}

/** RFC 6962 Merkle Tree Hash of the leaf data (each leaf is hashed with {@link leafHash}). */
export function merkleRoot(leaves: readonly Uint8Array[]): Uint8Array {
  return merkleRootOfHashes(leaves.map(leafHash));
}

/**
 * Inclusion proof (audit path, RFC 6962 §2.1.1) for the leaf at `index` in the tree of `leaves`.
 * @throws MerkleError INVALID_INDEX when `index` is not a leaf of the tree.
 */
export function inclusionProof(leaves: readonly Uint8Array[], index: number): Uint8Array[] {
  if (!isSize(index) || index >= leaves.length) {
    throw new MerkleError(
      'INVALID_INDEX',
      `index ${String(index)} not in a tree of ${leaves.length}`,
    );
  }
  const out: Uint8Array[] = [];
  path(leaves.map(leafHash), index, 0, leaves.length, out);
  return out;
}

/**
 * Consistency proof (RFC 6962 §2.1.2) between the tree of the first `m` leaves and the tree of the
 * first `n` leaves. Empty when m is 0 or m equals n.
 * @throws MerkleError INVALID_SIZE unless 0 <= m <= n <= leaves.length.
 */
export function consistencyProof(
  leaves: readonly Uint8Array[],
  m: number,
  n: number,
): Uint8Array[] {
  if (!isSize(m) || !isSize(n) || m > n || n > leaves.length) {
    throw new MerkleError('INVALID_SIZE', `no consistency proof from ${String(m)} to ${String(n)}`);
  }
  return consistencyProofOfHashes(leaves.slice(0, n).map(leafHash), m, n);
}

/**
 * {@link consistencyProof} over leaf hashes (already {@link leafHash}ed) instead of leaf data.
 * @throws MerkleError INVALID_SIZE unless 0 <= m <= n <= hashes.length.
 */
export function consistencyProofOfHashes(
  hashes: readonly Uint8Array[],
  m: number,
  n: number,
): Uint8Array[] {
  if (!isSize(m) || !isSize(n) || m > n || n > hashes.length) {
    throw new MerkleError('INVALID_SIZE', `no consistency proof from ${String(m)} to ${String(n)}`);
  }
  const out: Uint8Array[] = [];
  if (m === 0 || m === n) return out;
  subproof(hashes, m, 0, n, true, out);
  return out;
}

/**
 * Verifies an inclusion proof with the algorithm of RFC 9162 §2.1.3.2. Returns false when the proof
 * does not verify.
 * @throws MerkleError INVALID_INDEX (index >= treeSize or not an integer), INVALID_HASH (leaf or root
 * not 32 bytes), INVALID_PROOF_SHAPE (a proof element not 32 bytes).
 */
export function verifyInclusion(
  leaf: Uint8Array,
  index: number,
  treeSize: number,
  proof: readonly Uint8Array[],
  root: Uint8Array,
): boolean {
  // Index and size must be integers with the leaf inside the tree.
  if (!isSize(index) || !isSize(treeSize) || index >= treeSize) {
    throw new MerkleError(
      'INVALID_INDEX',
      `index ${String(index)} not in a tree of ${String(treeSize)}`,
    );
  }
  // The leaf, the root and every proof element must be SHA-256 hashes.
  requireHash(leaf, 'leaf hash');
  requireHash(root, 'root');
  requireProof(proof);
  let fn = index;
  let sn = treeSize - 1;
  let r = leaf;
  for (const p of proof) {
    // A proof longer than the path from the leaf to the root does not verify.
    if (sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      r = nodeHash(p, r);
      if (fn % 2 === 0) {
        while (fn % 2 === 0 && fn !== 0) {
          fn = Math.floor(fn / 2);
          sn = Math.floor(sn / 2);
        }
      }
    } else {
      r = nodeHash(r, p);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  // The proof must reach the root exactly, and the recomputed root must match.
  return sn === 0 && bytesEqual(r, root);
}

/**
 * Verifies that the tree of size `m` with root `rootM` is a prefix of the tree of size `n` with root
 * `rootN`, with the algorithm of RFC 9162 §2.1.4.2. Returns false when the proof does not verify.
 * @throws MerkleError INVALID_SIZE (not integers, or m > n), INVALID_HASH (a root not 32 bytes),
 * INVALID_PROOF_SHAPE (a proof element not 32 bytes).
 */
export function verifyConsistency(
  m: number,
  n: number,
  proof: readonly Uint8Array[],
  rootM: Uint8Array,
  rootN: Uint8Array,
): boolean {
  // Sizes must be integers and the old tree no larger than the new one.
  if (!isSize(m) || !isSize(n) || m > n) {
    throw new MerkleError('INVALID_SIZE', `no consistency from ${String(m)} to ${String(n)}`);
  }
  // Both roots and every proof element must be SHA-256 hashes.
  requireHash(rootM, 'first root');
  requireHash(rootN, 'second root');
  requireProof(proof);
  // The empty tree is a prefix of every tree: the proof is empty and the old root is the empty root.
  if (m === 0) return proof.length === 0 && bytesEqual(rootM, EMPTY_ROOT);
  // Equal sizes: the proof is empty and the roots are equal.
  if (m === n) return proof.length === 0 && bytesEqual(rootM, rootN);
  // A non-trivial consistency needs a non-empty proof.
  if (proof.length === 0) return false;
  const path = isPowerOfTwo(m) ? [rootM, ...proof] : [...proof];
  let fn = m - 1;
  let sn = n - 1;
  while (fn % 2 === 1) {
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  let fr = path[0]!;
  let sr = path[0]!;
  for (const c of path.slice(1)) {
    // A proof longer than the path to the new root does not verify.
    if (sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      fr = nodeHash(c, fr);
      sr = nodeHash(c, sr);
      if (fn % 2 === 0) {
        while (fn % 2 === 0 && fn !== 0) {
          fn = Math.floor(fn / 2);
          sn = Math.floor(sn / 2);
        }
      }
    } else {
      sr = nodeHash(sr, c);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  // Both recomputed roots must match and the proof must reach the new root exactly.
  return sn === 0 && bytesEqual(fr, rootM) && bytesEqual(sr, rootN);
}

/**
 * Incremental RFC 6962 tree: append leaf hashes one at a time and read the root at any size. Keeps
 * only the "frontier" (the roots of the complete subtrees of the binary decomposition of the size),
 * so memory is O(log n) however many leaves are streamed through it.
 */
export class MerkleBuilder {
  readonly #frontier: Uint8Array[] = [];
  #size = 0;

  /** Number of leaves appended so far. */
  get size(): number {
    return this.#size;
  }

  /**
   * Appends one leaf hash (the output of {@link leafHash}).
   * @throws MerkleError INVALID_HASH when it is not 32 bytes.
   */
  append(hash: Uint8Array): void {
    requireHash(hash, 'leaf hash');
    let h = hash.slice();
    // Each trailing 1-bit of the size is a complete subtree the new leaf now completes a level of.
    for (let s = this.#size; s % 2 === 1; s = Math.floor(s / 2)) {
      h = nodeHash(this.#frontier.pop()!, h);
    }
    this.#frontier.push(h);
    this.#size++;
  }

  /** Appends one leaf by its data: `append(leafHash(data))`. */
  appendLeaf(data: Uint8Array): void {
    this.append(leafHash(data));
  }

  /** The RFC 6962 root of the leaves appended so far. */
  root(): Uint8Array {
    if (this.#frontier.length === 0) return EMPTY_ROOT.slice();
    let r = this.#frontier[this.#frontier.length - 1]!;
    for (let i = this.#frontier.length - 2; i >= 0; i--) r = nodeHash(this.#frontier[i]!, r);
    return r.slice();
  }
}
