export { startProjector } from './service.js';
export type { Projector, ProjectorOptions } from './service.js';
export { ProjectorError } from './errors.js';
export type { ProjectorErrorCode } from './errors.js';
export { rebuildProjection } from './rebuild.js';
export type { RebuildOptions, RebuildProgress, RebuildResult } from './rebuild.js';
export { createProgress, formatDuration, formatProgress } from './progress.js';
export type { Progress, ProgressOptions, ProgressState, ProgressStream } from './progress.js';
export { PROJECTOR_FLAGS, serveProjector } from './serve.js';
