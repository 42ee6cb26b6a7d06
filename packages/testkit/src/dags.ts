// Lineage shapes for ledgers: seeded random DAGs and diamond ladders.
import type { ExecutionId } from '@lineage/protocol';
import type { LedgerBuilder, LedgerRecord } from './ledger.js';

/** A seeded xorshift32 generator of numbers in [0, 1): failures reproduce. */
export function seededRandom(seed = 1): () => number {
  let state = seed >>> 0 || 1;
  return () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 2 ** 32;
  };
}

/** A seeded mulberry32 generator of numbers in [0, 1): failures reproduce, as do bench graphs. */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

/**
 * A multi-parent DAG of `count` decisions: each execution after the first five has 1 to 4 parents
 * drawn from earlier ones; about 10% are denied and 5% held for an override.
 */
export function randomDag(builder: LedgerBuilder, count: number, seed = 1): LedgerRecord[] {
  const next = seededRandom(seed);
  const out: LedgerRecord[] = [];
  for (let i = 0; i < count; i++) {
    const parents = new Set<ExecutionId>();
    const wanted = i < 5 ? 0 : 1 + Math.floor(next() * 4);
    while (parents.size < Math.min(wanted, i))
      parents.add(out[Math.floor(next() * i)]!.executionId);
    const roll = next();
    const decision = roll < 0.1 ? 'deny' : roll < 0.15 ? 'pending_override' : 'allow';
    out.push(builder.decide([...parents], decision));
  }
  return out;
}

/**
 * `layers` layers of two decisions each, every node a child of both nodes of the layer before, and
 * one leaf below the last layer: the leaf has 2 × layers ancestors reached by 2^layers paths.
 */
export function diamondLadder(
  builder: LedgerBuilder,
  layers: number,
): { attestations: LedgerRecord[]; leaf: LedgerRecord; layers: LedgerRecord[][] } {
  const attestations: LedgerRecord[] = [];
  const all: LedgerRecord[][] = [];
  let previous: ExecutionId[] = [];
  for (let layer = 0; layer < layers; layer++) {
    const pair = [builder.decide(previous), builder.decide(previous)];
    attestations.push(...pair);
    all.push(pair);
    previous = pair.map((a) => a.executionId);
  }
  const leaf = builder.decide(previous);
  attestations.push(leaf);
  return { attestations, leaf, layers: all };
}
