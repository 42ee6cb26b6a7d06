import { verifyAttestation } from '@lineage/protocol';
import type { VerifyContext } from '@lineage/protocol';
import type { DeadLetterRecord } from '@lineage/schemas';
import type { Input } from './inputs.js';
import { chainBreaks } from './read.js';
import type { LedgerRecord } from './read.js';

/** What the ledger and the dead-letter topic hold, measured against the inputs. */
export interface OutcomeCounts {
  attestations: number;
  deadLetters: number;
  /** Inputs that were identical redeliveries: answered by the attestation already on the ledger. */
  redeliveries: number;
  /** Outcomes present more than once: digests, decisions per id, fingerprints, rejections, dead letters. */
  duplicates: number;
  /** Records out of place in their partition's hash chain (`sequence` or `prev`). */
  gaps: number;
  /** Expected outcomes missing: decisions, replay rejections, dead letters. */
  lost: number;
  /** Outcomes present but not as expected (another decision or reason, an id nobody sent). */
  wrong: number;
  /** Attestations whose signature or digest does not verify. */
  invalid: number;
  /** Partitions holding attestations. */
  partitions: number;
  /** A description of the first problems found, for the report. */
  problems: string[];
}

const tally = <T>(items: readonly T[]): Map<T, number> => {
  const m = new Map<T, number>();
  for (const i of items) m.set(i, (m.get(i) ?? 0) + 1);
  return m;
};
const extra = (counts: Map<unknown, number>): number =>
  [...counts.values()].reduce((n, c) => n + Math.max(0, c - 1), 0);

/**
 * Measures every input's outcome: each intent must have exactly one (an attestation, a dead letter,
 * or for an identical redelivery the attestation already there), each execution id one decision as
 * expected and each fingerprint one, each replay one rejection, each partition a whole hash chain,
 * and every attestation must verify against the trust store.
 */
export function checkOutcomes(
  inputs: readonly Input[],
  records: readonly LedgerRecord[],
  letters: readonly DeadLetterRecord[],
  verify: VerifyContext,
): OutcomeCounts {
  const summary: string[] = [];
  const samples: string[] = [];
  const note = (line: string) => samples.length < 10 && samples.push(line);
  const decisions = records.filter((r) => r.predicate.kind === 'decision');
  const rejections = records.filter((r) => r.predicate.kind === 'replay_rejection');
  const redeliveries = inputs.filter((i) => i.expect === 'redelivery').length;

  // Nothing appended twice: attestation digests, decisions per id and fingerprint, rejections per
  // replayed intent, dead letters per input offset.
  const replays = tally(inputs.filter((i) => i.expect === 'replay').map((i) => i.key));
  const rejected = tally(rejections.map((r) => r.predicate.execution_id));
  const letterSources = tally(letters.map((l) => `${l.source_partition}@${l.source_offset}`));
  const duplicateDigests = extra(tally(records.map((r) => r.digest)));
  const duplicateDecisions = extra(tally(decisions.map((r) => r.predicate.execution_id)));
  const duplicateFingerprints = extra(
    tally(decisions.map((r) => r.predicate.execution_fingerprint)),
  );
  let duplicateRejections = 0;
  for (const [id, n] of rejected) duplicateRejections += Math.max(0, n - (replays.get(id) ?? 0));
  const duplicateLetters = extra(letterSources);
  const duplicates =
    duplicateDigests +
    duplicateDecisions +
    duplicateFingerprints +
    duplicateRejections +
    duplicateLetters;
  if (duplicates > 0)
    summary.push(
      `duplicates: ${duplicateDigests} digests, ${duplicateDecisions} decisions, ${duplicateFingerprints} fingerprints, ${duplicateRejections} rejections, ${duplicateLetters} dead letters`,
    );

  // Every expected outcome is there, as expected.
  const decisionOf = new Map(decisions.map((r) => [r.predicate.execution_id, r]));
  let lost = 0;
  let wrong = 0;
  const expectedIds = new Set<string>();
  for (const input of inputs) {
    if (typeof input.expect !== 'object') continue;
    expectedIds.add(input.key);
    const d = decisionOf.get(input.key);
    if (d === undefined) {
      lost += 1;
      note(`no decision for ${input.key}`);
    } else if (
      d.predicate.decision !== input.expect.decision ||
      JSON.stringify(d.predicate.reasons) !== JSON.stringify(input.expect.reasons)
    ) {
      wrong += 1;
      note(`${input.key}: ${d.predicate.decision} ${d.predicate.reasons.join(',')}`);
    }
  }
  for (const id of decisionOf.keys())
    if (!expectedIds.has(id)) {
      wrong += 1;
      note(`a decision for ${id}, which no input expects`);
    }
  for (const [id, n] of replays) lost += Math.max(0, n - (rejected.get(id) ?? 0));
  for (const r of rejections) {
    const id = r.predicate.execution_id;
    if (!replays.has(id) || !r.predicate.reasons.includes('REPLAY_EXECUTION_ID')) {
      wrong += 1;
      note(`rejection of ${id}: ${r.predicate.reasons.join(',')}`);
    }
  }
  const otherKinds = records.length - decisions.length - rejections.length;
  if (otherKinds > 0) {
    wrong += otherKinds;
    note(`${otherKinds} attestations of another kind`);
  }
  const expectedLetters = inputs.filter((i) => i.expect === 'dead-letter').length;
  lost += Math.max(0, expectedLetters - letterSources.size);
  const badLetters = letters.filter((l) => l.reason !== 'UNDECODABLE').length;
  wrong += badLetters;
  if (badLetters > 0) note(`${badLetters} dead letters with another reason than UNDECODABLE`);

  // Exactly one outcome per input: intents in = attestations + dead letters + redeliveries.
  const outcomes = records.length + letters.length + redeliveries;
  if (outcomes !== inputs.length)
    summary.push(
      `${inputs.length} intents in, ${outcomes} outcomes (attestations + dead letters + redeliveries)`,
    );

  // Every partition is one gap-free, fork-free hash chain.
  const breaks = chainBreaks(records);
  if (breaks.sequence + breaks.prev > 0)
    summary.push(
      `chain breaks: ${breaks.sequence} sequence, ${breaks.prev} prev; first: ${breaks.first
        .map(
          (f) =>
            `partition ${f.partition} offset ${f.offset} (record ${f.index}) carries sequence ${f.sequence}, issued ${f.issuedAt}`,
        )
        .join('; ')}`,
    );

  // Every attestation verifies against the trust store, under its own digest.
  let invalid = 0;
  for (const r of records) {
    try {
      if (verifyAttestation(r.envelope, verify).digest !== r.digest) invalid += 1;
    } catch (error) {
      invalid += 1;
      note(`partition ${r.partition} offset ${r.offset} does not verify: ${String(error)}`);
    }
  }

  return {
    attestations: records.length,
    deadLetters: letters.length,
    redeliveries,
    duplicates,
    gaps: breaks.sequence + breaks.prev,
    lost,
    wrong,
    invalid,
    partitions: new Set(records.map((r) => r.partition)).size,
    problems: [
      ...summary,
      ...(lost + wrong > 0 ? [`${lost} outcomes missing, ${wrong} not as expected; e.g.:`] : []),
      ...samples,
    ],
  };
}
