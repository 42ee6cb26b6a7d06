import type { BatchResult, TransactionOutcome } from '@lineage/kafka';
import type { InputRecord } from './input.js';
import type { Outcome, Source } from './outcome.js';
import type { Sealed } from './seal.js';

/** One decided batch, as an observer (metrics, tracing) sees it before its transaction. */
export interface DecidedBatch {
  source: Source;
  topic: string;
  partition: number;
  /** The records read, `outcomes[i]` being what `inputs[i]` became. */
  inputs: readonly InputRecord[];
  outcomes: readonly Outcome[];
  /** The attestations appended, in the order of the `attest` outcomes. */
  sealed: readonly Sealed[];
  /** The messages of the transaction: an observer may add headers (trace context), nothing else. */
  sends: BatchResult['sends'];
}

/**
 * Watches governance work without taking part in it: told of each batch once decided, and of its
 * commit. Its counters and spans are all that it changes (and message headers).
 */
export interface GovernanceObserver {
  decided(batch: DecidedBatch): { committed(): void } | undefined;
  /** How each batch's transaction ended: committed, aborted or fenced. */
  transaction?(outcome: TransactionOutcome): void;
}
