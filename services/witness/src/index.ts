export { Witness } from './witness.js';
export type { WitnessOptions, WitnessAnswer } from './witness.js';
export { serveWitness } from './server.js';
export type { WitnessServer } from './server.js';
export { StateFiles, originHash } from './state.js';
export type { CosignedState } from './state.js';
export { WitnessError } from './errors.js';
export type { WitnessErrorCode } from './errors.js';
export { ledgerLogKeys } from './logs.js';
