export { assertQueryable, openQueries } from './queries.js';
export { QueryError } from './errors.js';
export type { QueryErrorCode } from './errors.js';
export {
  decodeListCursor,
  decodeWalkCursor,
  encodeListCursor,
  encodeWalkCursor,
} from './cursor.js';
export type { ListCursor, WalkCursor } from './cursor.js';
export { DEFAULT_DEPTH, DEFAULT_LIMIT, MAX_DEPTH, MAX_LIMIT } from './validate.js';
export { MAX_PINS } from './types.js';
export type {
  AuthorityView,
  AuthorizationPath,
  BundleOptions,
  BundleSources,
  ExecutionSummary,
  ExecutionView,
  ResolutionView,
  StoredPolicy,
  LineageNode,
  LineageQueries,
  Page,
  PageOptions,
  WalkOptions,
} from './types.js';
export { openLog } from './log.js';
export type { TransparencyLog } from './log.js';
