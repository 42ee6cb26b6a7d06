import type { DsseEnvelope, EvidenceBundle, JsonValue, Scope, TrustedKey } from '@lineage/protocol';

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
  kind: 'decision' | 'override' | 'replay_rejection' | 'override_rejection';
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
  /** For an `override` or `override_rejection`: digest of the pending decision it answers. */
  overrides: string | null;
  /** The approver its resolution names (overrides and refusals with a readable resolution). */
  approver: string | null;
  /** `approve` or `reject` (overrides and refusals with a readable resolution). */
  resolution: 'approve' | 'reject' | null;
  /** Digest of the root grant the execution decided under (roots only). */
  grant_digest: string | null;
  /** Principals at the roots of the execution's authority. */
  principals: string[];
  /** Links from the root grant (0 at a root). */
  depth: number;
}

/** An approver's resolution as an override or refusal carries it. */
export interface ResolutionView {
  /** Digest of the `override` or `override_rejection` attestation. */
  attestation_digest: string;
  /** The pending decision it answers. */
  pending: string;
  /** The attestation's decision (`allow`/`deny`) and reasons. */
  decision: 'allow' | 'deny' | 'pending_override';
  reasons: string[];
  /** The signed resolution's content; null when it cannot be read (a refusal may hold anything). */
  approver: string | null;
  resolution: 'approve' | 'reject' | null;
  reason: string | null;
  resolved_at: string | null;
  issued_at: string;
  /** The approver-signed resolution envelope, verbatim. */
  envelope: DsseEnvelope;
}

/** Where an execution's authority came from, as its decision records it. */
export interface AuthorityView {
  /** Digest of the root grant (roots only). */
  grant: string | null;
  /** Parent attestations it inherits from (a parent's decision, or the override that approved it). */
  inherited_from: string[];
  principals: string[];
  scope: Scope | null;
  depth: number;
}

/** An execution as `show` reports it: its effective outcome and every attestation. */
export interface ExecutionView {
  execution_id: string;
  /**
   * What settles the execution: its override when one answers its decision, else its decision;
   * null when the projection holds no decision for it (only rejections of replays).
   */
  outcome: {
    decision: 'allow' | 'deny' | 'pending_override';
    kind: 'decision' | 'override';
    attestation_digest: string;
  } | null;
  /** Its decision (`pending_override` for an execution that needed an override). */
  decision: ExecutionSummary | null;
  /** The override that answers the decision, if any. */
  override: ResolutionView | null;
  /** Resolutions governance refused (`override_rejection`): they changed nothing. */
  refused: ResolutionView[];
  authorization: AuthorityView | null;
  /** Every attestation of the execution, the decision first, then in ledger order. */
  attestations: ExecutionSummary[];
}

/** A policy document as the policies topic published it. */
export interface StoredPolicy {
  hash: string;
  id: string;
  version: number;
  /** The document; its RFC 8785 SHA-256 is `hash` unless the table was tampered with. */
  document: JsonValue;
  activated_at: string;
  partition: number;
  /** Kafka offset, decimal string (64-bit). */
  offset: string;
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

/** Trust material, policy documents and release manifests a bundle export embeds. */
export interface BundleSources {
  /** Keys to pick from: those that signed something in the bundle are embedded. */
  keys: readonly TrustedKey[];
  /** Policy documents used when the `policies` table does not hold a pinned hash. */
  policies: readonly JsonValue[];
  /** Signed release manifests (DSSE JSON), embedded as they are. */
  releases?: readonly DsseEnvelope[];
}

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
  bundle(executionId: string, sources: BundleSources): Promise<EvidenceBundle>;
}
