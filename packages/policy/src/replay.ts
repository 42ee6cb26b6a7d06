import type { Authorization, DenyReason, ParentRef } from '@lineage/protocol';
import { NO_AUTHORIZATION } from './authority.js';

/** What the ledger knows about an intent's execution id when the intent arrives. */
export interface ReplayFacts {
  /** The identical intent (same routing id, same signed bytes) already has its attestation. */
  answered: boolean;
  /** A decision already consumed the execution id. */
  consumed: boolean;
}

/**
 * What the replay rule makes of an intent: `decide` it, answer it as a `redelivery` (nothing new
 * is appended), or `reject` it as a replay.
 */
export type ReplayVerdict = 'decide' | 'redelivery' | 'reject';

/**
 * The replay rule (decided once, ARCHITECTURE §3.1), the one place it is written: governance
 * applies it to every intent, and re-derivation checks a recorded replay rejection against it.
 * Pure.
 */
export function replayVerdict(facts: ReplayFacts): ReplayVerdict {
  // The identical intent was already answered: its attestation stands, nothing new is appended.
  if (facts.answered) return 'redelivery';
  // A different intent under a consumed id is a replay: a signed rejection, never a second decision.
  if (facts.consumed) return 'reject';
  return 'decide';
}

/** The outcome a replay rejection records. */
export interface ReplayRejection {
  kind: 'replay_rejection';
  decision: 'deny';
  reasons: [Extract<DenyReason, 'REPLAY_EXECUTION_ID'>];
  parents: ParentRef[];
  authorization: Authorization;
}

/** The outcome of a rejected replay: a deny `REPLAY_EXECUTION_ID` that relies on no parent. */
export function replayRejection(): ReplayRejection {
  return {
    kind: 'replay_rejection',
    decision: 'deny',
    reasons: ['REPLAY_EXECUTION_ID'],
    parents: [],
    authorization: NO_AUTHORIZATION,
  };
}
