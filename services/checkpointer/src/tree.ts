import {
  MerkleBuilder,
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
    this.#builder.append(attestationLeaf(payload));
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

  /** Records that a checkpoint of `head` was published. */
  published(head: Checkpoint): void {
    this.#published = head;
  }

  #break(reason: string): AppendOutcome {
    this.#broken = reason;
    return { type: 'broken', reason };
  }
}
