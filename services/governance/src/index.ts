export { startGovernance } from './service.js';
export type { GovernanceOptions, GovernanceService } from './service.js';
export { Governor } from './governor.js';
export type { GovernorConfig, GovernorStats } from './governor.js';
export { PartitionLedger } from './ledger.js';
export { loadRuntimeManifest, runtimeHash } from './runtime.js';
export type { RuntimeManifest } from './runtime.js';
