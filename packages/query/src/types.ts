import type {
  AuthorizationPath,
  ExecutionSummary,
  ExecutionView,
  LineageNode,
  Page,
  StoredPolicy,
} from '@lineage/contract';
import type {
  DsseEnvelope,
  EvidenceBundle,
  JsonValue,
  PinnedSize,
  TrustedKey,
} from '@lineage/protocol';

// The shapes queries answer with are the query API's contract (one declaration, TypeBox): re-exported
// here so callers of the queries need not know where they are declared.
export type {
  AuthorityView,
  AuthorizationPath,
  ExecutionSummary,
  ExecutionView,
  LineageNode,
  Page,
  ResolutionView,
  StoredPolicy,
} from '@lineage/contract';

/** Paging and depth options shared by the graph walks. */
export interface WalkOptions {
  /** Parent/child links to follow at most (1..1000, default 50). */
  maxDepth?: number;
  /** Items per page (1..1000, default 100). */
  limit?: number;
  cursor?: string | null;
}

/** Paging for flat listings. */
export interface PageOptions {
  limit?: number;
  cursor?: string | null;
}

/** Trust material, policy documents and release manifests a bundle export embeds. */
export interface BundleSources {
  /** Keys to pick from: those that signed something in the bundle are embedded. */
  keys: readonly TrustedKey[];
  /** Policy documents used when the `policies` table does not hold a pinned hash. */
  policies: readonly JsonValue[];
  /** Signed release manifests (DSSE JSON), embedded as they are. */
  releases?: readonly DsseEnvelope[];
}

/** What a bundle export proves beyond inclusion. */
export interface BundleOptions {
  /**
   * Checkpoints the verifier pinned (partition, tree size): the bundle carries a consistency proof
   * between each and every bundled checkpoint of its partition. At most {@link MAX_PINS}.
   */
  pins?: readonly PinnedSize[];
}

/** The most pinned checkpoints one bundle export takes. */
export const MAX_PINS = 64;

/**
 * The one implementation of every lineage query, used by the HTTP API, the CLI and (through the
 * API) the SDK. Every id argument is validated; bad input throws QueryError INVALID_ARGUMENT.
 */
export interface LineageQueries {
  /**
   * An execution's effective outcome (its decision, or the override answering it), refused
   * resolutions, authority, and every attestation, the decision first. @throws QueryError NOT_FOUND.
   */
  show(executionId: string): Promise<ExecutionView>;
  ancestors(executionId: string, options?: WalkOptions): Promise<Page<LineageNode>>;
  /** Blast radius: everything that inherited from the execution. */
  descendants(executionId: string, options?: WalkOptions): Promise<Page<LineageNode>>;
  /** Blast radius of a compromised agent key: its executions and all their descendants. */
  agentBlastRadius(agentKeyId: string, options?: WalkOptions): Promise<Page<LineageNode>>;
  authorizationPath(
    executionId: string,
    options?: { maxDepth?: number },
  ): Promise<AuthorizationPath>;
  byFingerprint(fingerprint: string): Promise<ExecutionSummary[]>;
  byPolicy(
    policyId: string,
    version: number,
    options?: PageOptions,
  ): Promise<Page<ExecutionSummary>>;
  byRuntime(runtimeHash: string, options?: PageOptions): Promise<Page<ExecutionSummary>>;
  byAgent(agentKeyId: string, options?: PageOptions): Promise<Page<ExecutionSummary>>;
  /** Attestations decided under authority a principal granted (at any depth). */
  byPrincipal(principalKeyId: string, options?: PageOptions): Promise<Page<ExecutionSummary>>;
  /** The policy document stored under a hash. @throws QueryError NOT_FOUND. */
  policy(hash: string): Promise<StoredPolicy>;
  /** The evidence bundle of an execution and all its ancestors. @throws QueryError NOT_FOUND. */
  bundle(
    executionId: string,
    sources: BundleSources,
    options?: BundleOptions,
  ): Promise<EvidenceBundle>;
}
