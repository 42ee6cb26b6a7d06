import { isExecutionId } from '@lineage/protocol';
import type { Digest, Predicate } from '@lineage/protocol';

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

/**
 * What governance must remember about one attestation partition to decide exactly once: which
 * execution ids are consumed, which intents already have an attestation, and the chain head.
 * Rebuilt from the ledger on acquisition; never written anywhere else.
 */
export class PartitionLedger {
  /** execution id → digest of the intent that consumed it. */
  readonly decided = new Map<string, Digest>();
  /** intentKey of every intent that already has its attestation. */
  readonly answered = new Set<string>();
  nextSequence = 0;
  prev: Digest | null = null;

  constructor(readonly partition: number) {}

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
    }
    this.nextSequence += 1;
    this.prev = digest;
  }
}
