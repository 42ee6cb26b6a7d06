export { startCheckpointer } from './service.js';
export type { CheckpointerOptions, CheckpointerService, CheckpointerStats } from './service.js';
export { PartitionTree } from './tree.js';
export type { AppendOutcome } from './tree.js';
export { CheckpointerError } from './errors.js';
export type { CheckpointerErrorCode } from './errors.js';
export { CHECKPOINTER_FLAGS, serveCheckpointer } from './serve.js';
export type { CheckpointerRole } from './serve.js';
