// The query API's contract: every request and response shape, declared once with TypeBox. Pure (no
// pg, no fastify): the server, `@lineage/query` and the SDK all import it.
export {
  AgentParams,
  BundleQuery,
  DepthQuery,
  DigestParam,
  ExecutionIdParam,
  ExecutionParams,
  FingerprintParams,
  NoQuery,
  PageQuery,
  PolicyHashParams,
  PolicyVersionParams,
  PrincipalParams,
  RuntimeParams,
  WalkQuery,
} from './requests.js';
export {
  API_ERROR_CODES,
  ApiErrorCode,
  AttestationKind,
  AuthorityView,
  AuthorizationPath,
  Decision,
  Dsse,
  ErrorBody,
  EvidenceBundle,
  ExecutionSummary,
  ExecutionView,
  FingerprintResult,
  Health,
  LineageNode,
  NodePage,
  Page,
  Resolution,
  ResolutionView,
  StoredPolicy,
  SummaryPage,
} from './shapes.js';
export {
  MAX_BUNDLE_ATTESTATIONS,
  MAX_DEPTH,
  MAX_LIMIT,
  MAX_PATH_EDGES,
  MAX_PATH_NODES,
  MAX_WALK_WIDTH,
} from './caps.js';
export { API_SCOPES, ApiScope, ROUTES } from './routes.js';
export type { OperationId, ParamsOf, QueryOf, ResponseOf, RouteContract } from './routes.js';
export { LOG_ROUTES, LogParams, TileParams } from './log.js';
export type { LogOperationId, LogRouteContract } from './log.js';
