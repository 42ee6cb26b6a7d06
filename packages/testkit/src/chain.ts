// What a partition's hash chain is made of, and the check that it has no gap.
import type { Digest, Predicate } from '@lineage/protocol';

/** One attestation at its place in a partition's chain. */
export interface ChainEntry {
  partition: number;
  predicate: Predicate;
  subjectDigest: Digest;
  digest: Digest;
}

/**
 * The first break in any partition's chain (sequence 0, 1, … each naming the digest before as
 * `prev`), as `{ partition, at, sequence, prev }` with what was expected, or null when none breaks.
 */
export function chainBreak(entries: readonly ChainEntry[]): {
  partition: number;
  at: number;
  expected: [number, Digest | null];
  found: [number, Digest | null];
} | null {
  for (const p of new Set(entries.map((e) => e.partition))) {
    const chain = entries.filter((e) => e.partition === p);
    for (const [i, e] of chain.entries()) {
      const expected: [number, Digest | null] = [i, i === 0 ? null : chain[i - 1]!.digest];
      const found: [number, Digest | null] = [e.predicate.sequence, e.predicate.prev];
      if (expected[0] !== found[0] || expected[1] !== found[1])
        return { partition: p, at: i, expected, found };
    }
  }
  return null;
}
