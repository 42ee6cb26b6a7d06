export { connectAgent } from './agent.js';
export type { AgentOptions, LineageAgent } from './agent.js';
export { connectApprover } from './approver.js';
export type { ApproverOptions, LineageApprover, ResolutionRequest } from './approver.js';
export { signIntent } from './intent.js';
export type { IntentDraft, SignedIntent } from './intent.js';
export { subscribeAttestations } from './subscribe.js';
export type { SubscribeOptions } from './subscribe.js';
export { AttestationWatcher, answerKey, resolutionKey } from './watcher.js';
export type { ReceivedAttestation } from './watcher.js';
export { LineageQueryError, LineageSdkError } from './errors.js';
export type { QueryErrorCode, SdkErrorCode } from './errors.js';
export { createQueryClient, OPERATION_OF } from './query.js';
export type {
  AuthorizationPath as QueryAuthorizationPath,
  ExecutionSummary as QueryExecutionSummary,
  ExecutionView,
  LineageNode as QueryLineageNode,
  Page as QueryPage,
  PageQuery,
  QueryClient,
  QueryClientOptions,
  WalkQuery,
} from './query.js';
