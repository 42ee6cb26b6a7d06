import {
  MerkleBuilder,
  consistencyProofOfHashes,
  attestationLeaf,
  bytesEqual,
  parseStatement,
  sha256Hex,
} from '@lineage/protocol';
import type { Checkpoint, Digest } from '@lineage/protocol';

/** What folding one attestation record into a partition tree did. */
export type AppendOutcome =
  | { type: 'appended'; size: number }
  /** The partition was already broken: the record is ignored. */
  | { type: 'skipped' }
  /** The record broke the partition: it will never be checkpointed again by this process. */
  | { type: 'broken'; reason: string }
  /** The rebuilt tree reached the size of the last published checkpoint and has its root. */
  | { type: 'restored'; size: number };

/**
 * One attestation partition's Merkle tree as the checkpointer rebuilds it from offset 0: leaves in
 * sequence order, the chain head, and the last checkpoint published for it. A partition whose chain
 * breaks, or whose rebuilt tree disagrees with its last published checkpoint, is never checkpointed
 * again by this process: signing it would vouch for a ledger that is not whole.
 */
export class PartitionTree {
  readonly #builder = new MerkleBuilder();
  /** Every leaf hash, for consistency proofs to witnesses (32 bytes a leaf, in 1 MiB chunks). */
  readonly #leaves = new LeafHashes();
  #prev: Digest | null = null;
  #broken: string | null = null;
  #published: Checkpoint | null;
  /** True once the rebuilt tree is known to extend the last published checkpoint. */
  #restored: boolean;

  constructor(
    readonly partition: number,
    published: Checkpoint | null = null,
  ) {
    this.#published = published;
    this.#restored = published === null || published.size === 0;
  }

  /** Leaves folded in so far. */
  get size(): number {
    return this.#builder.size;
  }

  /** Why the partition is broken, or null. */
  get broken(): string | null {
    return this.#broken;
  }

  /** Size of the last checkpoint published (or read back on start), 0 for none. */
  get publishedSize(): number {
    return this.#published?.size ?? 0;
  }

  /** Whether a checkpoint of the current size may be published now: grown, whole and restored. */
  get publishable(): boolean {
    return this.#broken === null && this.#restored && this.size > this.publishedSize;
  }

  /**
   * Folds in the attestation payload at the next offset of the partition.
   * Never throws: malformed input breaks the partition and says why.
   */
  append(payload: Uint8Array): AppendOutcome {
    if (this.#broken !== null) return { type: 'skipped' };
    let predicate;
    try {
      predicate = parseStatement(payload).predicate;
    } catch (e) {
      return this.#break(`record at size ${this.size} is not a statement: ${(e as Error).message}`);
    }
    // The record must belong to this partition.
    if (predicate.partition !== this.partition) {
      return this.#break(`record of partition ${predicate.partition} at size ${this.size}`);
    }
    // Its sequence must be the next one: no gap, no repeat, no reordering.
    if (predicate.sequence !== this.size) {
      return this.#break(`sequence ${predicate.sequence} where ${this.size} was expected`);
    }
    // It must link to the digest of the previous attestation.
    if (predicate.prev !== this.#prev) {
      return this.#break(`sequence ${predicate.sequence} has prev ${predicate.prev ?? 'null'}`);
    }
    const leaf = attestationLeaf(payload);
    this.#builder.append(leaf);
    this.#leaves.push(leaf);
    this.#prev = sha256Hex(payload);
    const published = this.#published;
    if (!this.#restored && published !== null && this.size === published.size) {
      // The last published checkpoint must be the rebuilt tree at its size (a prefix of the ledger).
      if (!bytesEqual(this.#builder.root(), published.root)) {
        return this.#break(
          `rebuilt tree at size ${published.size} differs from the published checkpoint`,
        );
      }
      this.#restored = true;
      return { type: 'restored', size: this.size };
    }
    return { type: 'appended', size: this.size };
  }

  /** The tree head to checkpoint now. */
  head(): { size: number; root: Uint8Array } {
    return { size: this.size, root: this.#builder.root() };
  }

  /**
   * The RFC 6962 consistency proof from size `old` to size `size` of this tree.
   * @throws MerkleError INVALID_SIZE unless 0 <= old <= size <= this.size.
   */
  consistency(old: number, size: number): Uint8Array[] {
    return consistencyProofOfHashes(this.#leaves.first(size), old, size);
  }

  /** Records that a checkpoint of `head` was published. */
  published(head: Checkpoint): void {
    this.#published = head;
  }

  #break(reason: string): AppendOutcome {
    this.#broken = reason;
    return { type: 'broken', reason };
  }
}

/** Leaf hashes kept in 1 MiB chunks rather than one object per leaf. */
class LeafHashes {
  static readonly CHUNK = 32 * 32_768;
  readonly #chunks: Uint8Array[] = [];
  #size = 0;

  push(hash: Uint8Array): void {
    const at = (this.#size * 32) % LeafHashes.CHUNK;
    if (at === 0) this.#chunks.push(new Uint8Array(LeafHashes.CHUNK));
    this.#chunks.at(-1)!.set(hash, at);
    this.#size++;
  }

  /** Views of the first `n` hashes (n <= size). */
  first(n: number): Uint8Array[] {
    const out: Uint8Array[] = [];
    for (let i = 0; i < Math.min(n, this.#size); i++) {
      const chunk = this.#chunks[Math.floor((i * 32) / LeafHashes.CHUNK)]!;
      const at = (i * 32) % LeafHashes.CHUNK;
      out.push(chunk.subarray(at, at + 32));
    }
    return out;
  }
}
