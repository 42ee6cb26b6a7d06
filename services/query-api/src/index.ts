export { createQueryApi } from './server.js';
export type { QueryApiOptions } from './server.js';
export {
  createToken,
  revokeToken,
  listTokens,
  ensureTokensTable,
  hashToken,
  parseScopes,
  parseValidFor,
  SCOPES,
} from './tokens.js';
export type { CreatedToken, ListedToken, Scope, TokenInfo } from './tokens.js';
export { grantReader, readerGrants } from './grants.js';
export { LOCAL_PEPPER_PATH, PEPPER_ENV, readPepper } from './pepper.js';
export type { PepperSource } from './pepper.js';
export { DEFAULT_LIMITS, limitsFromEnv } from './limits.js';
export type { Limits } from './limits.js';
export { readPolicies } from './policies.js';
export { readReleases } from './releases.js';
export { BUNDLE_MEDIA_TYPE } from '@lineage/protocol';
export { QueryApiError } from './errors.js';
export type { QueryApiErrorCode } from './errors.js';
export { QUERY_API_FLAGS, serveQueryApi } from './serve.js';
