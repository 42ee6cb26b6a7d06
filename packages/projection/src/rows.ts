import type { AttestationKind, Decision, DsseEnvelope, JsonValue } from '@lineage/protocol';

/**
 * One `executions` row, in the JSON shape the projector writes (`jsonb_to_recordset`). 64-bit
 * columns travel as decimal strings; `sequence` is a safe integer (predicates hold it as one).
 */
export interface ExecutionRow {
  execution_id: string;
  attestation_digest: string;
  kind: AttestationKind;
  decision: Decision;
  reasons: string[];
  agent: string;
  action: string;
  resource: string;
  policy_id: string;
  policy_version: number;
  policy_hash: string;
  runtime_hash: string;
  fingerprint: string;
  issued_at: string;
  issuer: string;
  partition: number;
  /** 64-bit: a decimal string. */
  offset: string;
  sequence: number;
  envelope: DsseEnvelope;
  /** For `override` and `override_rejection`: digest of the pending decision answered; else null. */
  overrides: string | null;
  /** The approver key id its resolution names, when the resolution is readable; else null. */
  approver: string | null;
  /** `approve` or `reject`, when the resolution is readable; else null. */
  resolution: 'approve' | 'reject' | null;
  /** Digest of the root grant (roots only). */
  grant_digest: string | null;
  /** Principals at the roots of the execution's authority. */
  principals: string[];
  /** Links from the root grant (0 at a root). */
  depth: number;
}

/** One `policies` row. */
export interface PolicyRow {
  hash: string;
  id: string;
  version: number;
  document: JsonValue;
  activated_at: string;
  partition: number;
  /** 64-bit: a decimal string. */
  offset: string;
}

/** One `checkpoints` row. */
export interface CheckpointRow {
  partition: number;
  /** 64-bit: a decimal string. */
  offset: string;
  /** The attestations topic the note's origin names. */
  ledger: string;
  attestation_partition: number;
  size: number;
  /** Base64, as in the note. */
  root: string;
  note: string;
}

/** One `lineage_edges` row. */
export interface EdgeRow {
  child_id: string;
  parent_id: string;
  parent_attestation: string;
}

/** One `api_tokens` row; the raw token is never stored, only its SHA-256 hex. */
export interface ApiTokenRow {
  token_hash: string;
  name: string;
  scopes: string[];
  created_at: Date;
  revoked_at: Date | null;
  /** `hmac-sha256` (peppered, since version 6) or `sha256` (legacy rows, revoked by version 6). */
  hash_alg: string;
  expires_at: Date | null;
  last_used_at: Date | null;
}
