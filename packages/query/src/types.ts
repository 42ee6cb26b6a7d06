import type { EvidenceBundle, JsonValue, TrustedKey } from '@lineage/protocol';

/** One page of results; `next` is an opaque cursor for the following page, null on the last. */
export interface Page<T> {
  items: T[];
  next: string | null;
}

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

/** One attestation of an execution as projected. */
export interface ExecutionSummary {
  execution_id: string;
  attestation_digest: string;
  kind: 'decision' | 'override' | 'replay_rejection';
  decision: 'allow' | 'deny' | 'pending_override';
  reasons: string[];
  agent: string;
  action: string;
  resource: string;
  policy: { id: string; version: number; hash: string };
  runtime_hash: string;
  fingerprint: string;
  issued_at: string;
  issuer: string;
  partition: number;
  /** Kafka offset, decimal string (64-bit). */
  offset: string;
  sequence: number;
}

/** An execution reached by a graph walk, with its shortest distance from the start. */
export interface LineageNode {
  execution_id: string;
  depth: number;
  decision: string | null;
  action: string | null;
  agent: string | null;
}

/** The authorization path: the ancestor subgraph from an execution up to its roots. */
export interface AuthorizationPath {
  execution_id: string;
  nodes: LineageNode[];
  edges: { child: string; parent: string; parent_attestation: string }[];
  /** Ancestors (or the execution itself) with no parents: where authority entered. */
  roots: string[];
  /** True when `maxDepth` cut the walk: some node has parents outside `nodes`. */
  truncated?: boolean;
}

/** Trust material and policy documents a bundle export embeds. */
export interface BundleSources {
  keys: readonly TrustedKey[];
  policies: readonly JsonValue[];
}

/**
 * The one implementation of every lineage query, used by the HTTP API, the CLI and (through the
 * API) the SDK. Every id argument is validated; bad input throws QueryError INVALID_ARGUMENT.
 */
export interface LineageQueries {
  /** Every attestation of an execution, the decision first. @throws QueryError NOT_FOUND. */
  show(executionId: string): Promise<ExecutionSummary[]>;
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
  /** The evidence bundle of an execution and all its ancestors. @throws QueryError NOT_FOUND. */
  bundle(executionId: string, sources: BundleSources): Promise<EvidenceBundle>;
}
