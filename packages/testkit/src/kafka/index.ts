// The kit's Kafka parts: appending fixture ledgers and reading a ledger's topics back. Free of vitest,
// so command-line harnesses can load them too.
export { appendLedger, appendMessages } from './append.js';
export type { KeyedValue } from './append.js';
export {
  readAttestationsOnce,
  readDeadLettersOnce,
  readLedger,
  readDeadLetters,
  waitUntil,
} from './read.js';
export type { LedgerEntry } from './read.js';
