import { expect } from 'vitest';
import { chainBreak } from '../chain.js';
import type { ChainEntry } from '../chain.js';

/** Asserts that every partition of the ledger is one gap-free hash chain: sequence 0, 1, … and prev. */
export function expectChains(entries: readonly ChainEntry[]): void {
  expect(chainBreak(entries)).toBeNull();
}
