import type { Digest } from '@lineage/protocol';

/** The run state transitions of OpenLineage 2-0-2. */
export type EventType = 'START' | 'RUNNING' | 'COMPLETE' | 'ABORT' | 'FAIL' | 'OTHER';

/** A job as the spec names it. */
export interface JobRef {
  namespace: string;
  name: string;
}

/** A run and its job: what a parent or root reference names. */
export interface RunRef {
  runId: string;
  job: JobRef;
}

/** Fields every facet carries (the spec's BaseFacet). */
export interface BaseFacet {
  _producer: string;
  _schemaURL: string;
}

/** The standard `parent` run facet, with `root`. */
export interface ParentRunFacet extends BaseFacet {
  run: { runId: string };
  job: JobRef;
  root: { run: { runId: string }; job: JobRef };
}

/** Our `lineage_parents` run facet: every parent, in the attestation's order. */
export interface LineageParentsRunFacet extends BaseFacet {
  /** `job` is absent for the parents a denial names: only claimed, perhaps not on the ledger. */
  parents: { run: { runId: string }; job?: JobRef; attestation: Digest }[];
}

/** Our `lineage_attestation` run facet: the signed attestation behind the event. */
export interface LineageAttestationRunFacet extends BaseFacet {
  /** SHA-256 (hex) of the DSSE payload: what parent links, the chain and bundles name. */
  digest: Digest;
  predicateType: string;
  /** The predicate's execution id verbatim (the runId is derived when it is not a UUID). */
  executionId: string;
  executionFingerprint: Digest;
  /** SHA-256 of the canonical intent: the in-toto subject digest. */
  intentDigest: Digest;
  kind: string;
  decision: string;
  reasons: string[];
  policy: { id: string; version: number; hash: Digest };
  runtimeHash: Digest;
  authorization: {
    grant: Digest | null;
    inheritedFrom: Digest[];
    principals: string[];
    depth: number;
  };
  issuer: string;
  issuedAt: string;
  partition: number;
  sequence: number;
  prev: Digest | null;
  /** The partition's Merkle log and this attestation's leaf index in it. */
  checkpoint: { origin: string; leafIndex: number };
  /** For `override` and `override_rejection`: the digest of the pending decision answered. */
  overrides: Digest | null;
}

/** The standard `jobType` job facet. */
export interface JobTypeJobFacet extends BaseFacet {
  processingType: string;
  integration: string;
  jobType: string;
}

/** A dataset reference. */
export interface Dataset {
  namespace: string;
  name: string;
}

/** An OpenLineage 2-0-2 RunEvent as this mapping emits it. */
export interface RunEvent {
  eventTime: string;
  producer: string;
  schemaURL: string;
  eventType: EventType;
  run: {
    runId: string;
    facets: {
      parent?: ParentRunFacet;
      lineage_parents?: LineageParentsRunFacet;
      lineage_attestation: LineageAttestationRunFacet;
    };
  };
  job: JobRef & { facets: { jobType: JobTypeJobFacet } };
  inputs: Dataset[];
  outputs: Dataset[];
}
