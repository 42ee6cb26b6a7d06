export { startGovernance } from './service.js';
export type { GovernanceOptions, GovernanceService } from './service.js';
export { Governor } from './governor.js';
export type { GovernorConfig } from './governor.js';
export type { GovernorStats } from './stats.js';
export { PartitionLedger } from './ledger.js';
export { LevelIndex, MemoryIndex } from './state.js';
export type { IndexEntry, IndexSet, LedgerHead, LedgerIndex, StoredPartition } from './state.js';
export { GovernanceError } from './errors.js';
export type { GovernanceErrorCode } from './errors.js';
export { PolicyBook, policyRecord } from './policies.js';
export type { PolicyConsidered, PolicyRefusal } from './policies.js';
export {
  loadRuntimeManifest,
  runtimeHash,
  codeDigest,
  RUNTIME_CAPABILITIES,
  DECIDING_SOURCES,
} from './runtime.js';
export type { RuntimeManifest } from './runtime.js';
export { GOVERNANCE_FLAGS, serveGovernance } from './serve.js';
export type { GovernanceRole } from './serve.js';
export { governanceTelemetry } from './telemetry.js';
export type { DecidedBatch, GovernanceObserver } from './observe.js';
