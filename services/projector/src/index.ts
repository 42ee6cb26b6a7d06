export { startProjector } from './service.js';
export type { Projector, ProjectorOptions } from './service.js';
export { projectAttestations, projectCheckpoints, projectPolicies } from './project.js';
export type { OnSkip } from './project.js';
export { decodeAttestation, decodeCheckpoint, decodePolicy } from './decode.js';
export type {
  CheckpointRow,
  Decoded,
  DecodedCheckpoint,
  DecodedPolicy,
  EdgeRow,
  ExecutionRow,
  PolicyRow,
  Skipped,
  SkipReason,
} from './decode.js';
export { ProjectorError } from './errors.js';
export type { ProjectorErrorCode } from './errors.js';
export { rebuildProjection } from './rebuild.js';
export type { RebuildOptions, RebuildProgress, RebuildResult } from './rebuild.js';
export { projectionChecksum } from './checksum.js';
export type { ProjectionChecksum, StoredOffset, TableChecksum } from './checksum.js';
export { createProgress, formatDuration, formatProgress } from './progress.js';
export type { Progress, ProgressOptions, ProgressState, ProgressStream } from './progress.js';
