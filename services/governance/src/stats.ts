import type { Outcome, Source } from './outcome.js';

/**
 * Running totals; intents + overrides in = attestations + dead letters + redeliveries.
 * `allowed`, `denied` and `pending` count decisions and overrides by their decision.
 */
export interface GovernorStats {
  intents: number;
  overrides: number;
  attestations: number;
  deadLetters: number;
  redeliveries: number;
  allowed: number;
  denied: number;
  pending: number;
  replayRejections: number;
  overrideRejections: number;
}

/** Totals before anything was counted. */
export const NO_STATS: Readonly<GovernorStats> = Object.freeze({
  intents: 0,
  overrides: 0,
  attestations: 0,
  deadLetters: 0,
  redeliveries: 0,
  allowed: 0,
  denied: 0,
  pending: 0,
  replayRejections: 0,
  overrideRejections: 0,
});

/** Which counter an appended attestation moves, besides `attestations`. */
function attested(outcome: Extract<Outcome, { type: 'attest' }>): keyof GovernorStats {
  const { kind, decision } = outcome.draft;
  if (kind === 'replay_rejection') return 'replayRejections';
  if (kind === 'override_rejection') return 'overrideRejections';
  if (decision === 'allow') return 'allowed';
  if (decision === 'pending_override') return 'pending';
  return 'denied';
}

/** Counts one input record from `source` and what it became. Pure. */
export function count(
  stats: Readonly<GovernorStats>,
  source: Source,
  outcome: Outcome,
): GovernorStats {
  const next = { ...stats };
  next[source === 'override' ? 'overrides' : 'intents']++;
  if (outcome.type === 'redelivery') next.redeliveries++;
  else if (outcome.type === 'dead-letter') next.deadLetters++;
  else {
    next.attestations++;
    next[attested(outcome)]++;
  }
  return next;
}

/** The totals of a batch: a fold over its outcomes. Pure. */
export function tally(source: Source, outcomes: readonly Outcome[]): GovernorStats {
  return outcomes.reduce<GovernorStats>((s, o) => count(s, source, o), { ...NO_STATS });
}

/** The sum of two totals. Pure. */
export function addStats(a: Readonly<GovernorStats>, b: Readonly<GovernorStats>): GovernorStats {
  const sum = { ...a };
  for (const k of Object.keys(sum) as (keyof GovernorStats)[]) sum[k] += b[k];
  return sum;
}
