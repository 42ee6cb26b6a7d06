// Given/when/then specifications that need vitest but no I/O.
export { deciderSpecification } from './decider.js';
export type { Decider, DeciderThen, DeciderWhen } from './decider.js';
export { expectChains } from './chains.js';
