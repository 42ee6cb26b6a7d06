import { checkpointOrigin, PREDICATE_TYPE } from '@lineage/protocol';
import type { Attested } from './attestation.js';
import { namesEstablishedParents } from './graph.js';
import type { RunGraph } from './graph.js';
import {
  ATTESTATION_FACET_SCHEMA_URL,
  JOB_TYPE_FACET_SCHEMA_URL,
  PARENT_FACET_SCHEMA_URL,
  PARENTS_FACET_SCHEMA_URL,
} from './spec.js';
import type {
  JobTypeJobFacet,
  LineageAttestationRunFacet,
  LineageParentsRunFacet,
  ParentRunFacet,
} from './types.js';

/**
 * The `lineage_attestation` run facet: what a verifier needs to find and check the signed
 * attestation behind an event (its digest, the decision and why, what decided it, whose authority,
 * and where it sits in the ledger's Merkle log).
 */
export function attestationFacet(
  { statement, digest }: Attested,
  producer: string,
  ledger: string,
): LineageAttestationRunFacet {
  const p = statement.predicate;
  return {
    _producer: producer,
    _schemaURL: ATTESTATION_FACET_SCHEMA_URL,
    digest,
    predicateType: PREDICATE_TYPE,
    executionId: p.execution_id,
    executionFingerprint: p.execution_fingerprint,
    intentDigest: statement.subject[0].digest.sha256,
    kind: p.kind,
    decision: p.decision,
    reasons: [...p.reasons],
    policy: { id: p.policy.id, version: p.policy.version, hash: p.policy.hash },
    runtimeHash: p.runtime_hash,
    authorization: {
      grant: p.authorization.grant,
      inheritedFrom: [...p.authorization.inherited_from],
      principals: [...p.authorization.principals],
      depth: p.authorization.depth,
    },
    issuer: p.issuer,
    issuedAt: p.issued_at,
    partition: p.partition,
    sequence: p.sequence,
    prev: p.prev,
    // Leaf `sequence` of the partition's log: any signed checkpoint of this origin larger than it commits to it.
    checkpoint: { origin: checkpointOrigin(ledger, p.partition), leafIndex: p.sequence },
    overrides: p.override?.pending ?? null,
  };
}

/**
 * The standard `parent` run facet: the first parent (the spec has room for one) and the root of
 * the first-parent chain. Null at a root, and for a denial (whose parents are only claimed).
 * @throws OpenLineageError RUN_UNKNOWN.
 */
export function parentFacet(
  { statement }: Attested,
  graph: RunGraph,
  producer: string,
): ParentRunFacet | null {
  const first = statement.predicate.parents[0];
  if (first === undefined || !namesEstablishedParents(statement.predicate)) return null;
  const parent = graph.run(first.execution_id);
  const root = graph.root(first.execution_id);
  return {
    _producer: producer,
    _schemaURL: PARENT_FACET_SCHEMA_URL,
    run: { runId: parent.runId },
    job: { ...parent.job },
    root: { run: { runId: root.runId }, job: { ...root.job } },
  };
}

/**
 * The `lineage_parents` run facet: every parent in the attestation's order, with the digest of
 * the parent attestation it relied on, and its job when the parent is established (a denial names
 * the runs its intent claimed, without jobs). Null at a root.
 * @throws OpenLineageError RUN_UNKNOWN.
 */
export function parentsFacet(
  { statement }: Attested,
  graph: RunGraph,
  producer: string,
): LineageParentsRunFacet | null {
  const parents = statement.predicate.parents;
  if (parents.length === 0) return null;
  const established = namesEstablishedParents(statement.predicate);
  return {
    _producer: producer,
    _schemaURL: PARENTS_FACET_SCHEMA_URL,
    parents: parents.map((ref) => {
      if (!established) return { run: { runId: ref.execution_id }, attestation: ref.attestation };
      const run = graph.run(ref.execution_id);
      return { run: { runId: run.runId }, job: { ...run.job }, attestation: ref.attestation };
    }),
  };
}

/** The standard `jobType` job facet: an agent action governed by Lineage. */
export function jobTypeFacet(producer: string): JobTypeJobFacet {
  return {
    _producer: producer,
    _schemaURL: JOB_TYPE_FACET_SCHEMA_URL,
    processingType: 'BATCH',
    integration: 'LINEAGE',
    jobType: 'AGENT_ACTION',
  };
}
