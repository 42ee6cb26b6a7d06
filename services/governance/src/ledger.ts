import { fromBase64, isExecutionId, sha256Hex } from '@lineage/protocol';
import type { Digest, Predicate } from '@lineage/protocol';
import type { PendingState } from '@lineage/policy';

/** The longest routing id kept as an attestation subject; longer or non-string ids become "". */
const MAX_SUBJECT = 128;

/** The subject name used for a record's routing id. */
export function subjectName(executionId: unknown): string {
  return typeof executionId === 'string' && executionId.length <= MAX_SUBJECT ? executionId : '';
}

/** The identity of one intent as received: routing id and the digest of the signed payload. */
export function intentKey(subject: string, intentDigest: Digest): string {
  return `${subject}\u0000${intentDigest}`;
}

/** The identity of one resolution as received: routing id and the digest of its signed payload. */
export function resolutionKey(subject: string, resolutionDigest: Digest): string {
  return `${subject}\u0000${resolutionDigest}`;
}

/**
 * What governance must remember about one attestation partition to decide exactly once: which
 * execution ids are consumed, which intents and resolutions already have an attestation, which
 * decisions await an override and which were resolved, and the chain head. Rebuilt from the ledger
 * on acquisition; never written anywhere else.
 */
export class PartitionLedger {
  /** execution id → digest of the intent that consumed it. */
  readonly decided = new Map<string, Digest>();
  /** intentKey of every intent that already has its attestation. */
  readonly answered = new Set<string>();
  /** resolutionKey of every resolution that already has its attestation. */
  readonly resolutions = new Set<string>();
  /** Digests of `pending_override` decisions. */
  readonly pending = new Set<Digest>();
  /** Digests of pending decisions an `override` attestation resolved. */
  readonly resolved = new Set<Digest>();
  nextSequence = 0;
  prev: Digest | null = null;

  constructor(readonly partition: number) {}

  /** What the ledger says about a pending attestation, by digest. */
  pendingState(digest: string): PendingState {
    if (this.resolved.has(digest as Digest)) return 'resolved';
    return this.pending.has(digest as Digest) ? 'pending' : 'unknown';
  }

  /**
   * Folds one attestation of this partition in, in chain order.
   * @throws Error when the chain is broken: governance then refuses to run on this partition.
   */
  apply(predicate: Predicate, subjectDigest: Digest, digest: Digest): void {
    if (
      predicate.partition !== this.partition ||
      predicate.sequence !== this.nextSequence ||
      predicate.prev !== this.prev
    ) {
      throw new Error(
        `ledger partition ${this.partition} is broken: expected sequence ${this.nextSequence} after ${this.prev}, found ${predicate.sequence} after ${predicate.prev}`,
      );
    }
    this.answered.add(intentKey(predicate.execution_id, subjectDigest));
    if (predicate.kind === 'decision' && isExecutionId(predicate.execution_id)) {
      this.decided.set(predicate.execution_id, subjectDigest);
      if (predicate.decision === 'pending_override') this.pending.add(digest);
    }
    if (predicate.override !== null) {
      // Our own ledger: the embedded resolution was checked when it was appended.
      const payload = fromBase64(predicate.override.resolution.payload);
      this.resolutions.add(resolutionKey(predicate.execution_id, sha256Hex(payload)));
      if (predicate.kind === 'override') this.resolved.add(predicate.override.pending);
    }
    this.nextSequence += 1;
    this.prev = digest;
  }
}

/**
 * A partition ledger plus the attestations staged by the batch being processed: answers every
 * question as if the staged attestations were already appended, and changes the ledger only when
 * {@link LedgerView.commit} runs (after the transaction commits).
 */
export class LedgerView {
  private readonly staged = new PartitionLedger(-1);
  private readonly appended: { predicate: Predicate; subjectDigest: Digest; digest: Digest }[] = [];

  constructor(readonly ledger: PartitionLedger) {}

  /** The identical intent already has its attestation. */
  answered(key: string): boolean {
    return this.ledger.answered.has(key) || this.staged.answered.has(key);
  }

  /** The execution id is consumed by a decision. */
  decided(executionId: string): boolean {
    return this.ledger.decided.has(executionId) || this.staged.decided.has(executionId);
  }

  /** The identical resolution already has its attestation. */
  resolutionAnswered(key: string): boolean {
    return this.ledger.resolutions.has(key) || this.staged.resolutions.has(key);
  }

  /** What the ledger and the staged attestations say about a pending attestation. */
  pendingState(digest: string): PendingState {
    const staged = this.staged.pendingState(digest);
    if (staged === 'resolved') return 'resolved';
    const known = this.ledger.pendingState(digest);
    return known === 'unknown' ? staged : known;
  }

  /** Stages one attestation that this batch appends. */
  stage(predicate: Predicate, subjectDigest: Digest, digest: Digest): void {
    this.staged.apply(
      { ...predicate, partition: -1, sequence: this.staged.nextSequence, prev: this.staged.prev },
      subjectDigest,
      digest,
    );
    this.appended.push({ predicate, subjectDigest, digest });
  }

  /** Folds the staged attestations into the ledger, in order. */
  commit(): void {
    for (const a of this.appended) this.ledger.apply(a.predicate, a.subjectDigest, a.digest);
  }
}
