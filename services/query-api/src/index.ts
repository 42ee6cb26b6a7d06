export { createQueryApi } from './server.js';
export type { QueryApiOptions } from './server.js';
export {
  createToken,
  revokeToken,
  ensureTokensTable,
  hashToken,
  parseScopes,
  SCOPES,
} from './tokens.js';
export type { CreatedToken, Scope, TokenInfo } from './tokens.js';
export { readPolicies } from './policies.js';
export { readReleases } from './releases.js';
export { BUNDLE_MEDIA_TYPE } from '@lineage/protocol';
export { QueryApiError } from './errors.js';
export type { QueryApiErrorCode } from './errors.js';
