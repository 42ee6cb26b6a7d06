import type { Migration } from '@lineage/store';

/**
 * The projector's tables. `executions` holds one row per attestation on the ledger (an execution has
 * several when overridden or replayed); `lineage_edges` holds the parent links of decisions.
 * `partition`/`offset` say where in the attestations topic the row came from.
 */
export const PROJECTOR_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'executions and lineage edges',
    sql: (s) => `
      CREATE TABLE ${s}.executions (
        execution_id text NOT NULL,
        attestation_digest text PRIMARY KEY,
        kind text NOT NULL,
        decision text NOT NULL,
        reasons text[] NOT NULL,
        agent text NOT NULL,
        action text NOT NULL,
        resource text NOT NULL,
        policy_id text NOT NULL,
        policy_version int NOT NULL,
        policy_hash text NOT NULL,
        runtime_hash text NOT NULL,
        fingerprint text NOT NULL,
        issued_at timestamptz NOT NULL,
        issuer text NOT NULL,
        partition int NOT NULL,
        "offset" bigint NOT NULL,
        sequence bigint NOT NULL,
        envelope jsonb NOT NULL
      );
      CREATE INDEX executions_execution_id ON ${s}.executions (execution_id);
      CREATE TABLE ${s}.lineage_edges (
        child_id text NOT NULL,
        parent_id text NOT NULL,
        parent_attestation text NOT NULL,
        PRIMARY KEY (child_id, parent_id)
      );
    `,
  },
  {
    version: 2,
    name: 'query indexes',
    // The query package's walks and replay indexes: children of a node (descendants, blast radius),
    // and one index per replay listing, ordered like its keyset pages (issued_at, attestation_digest).
    sql: (s) => `
      CREATE INDEX lineage_edges_parent ON ${s}.lineage_edges (parent_id, child_id);
      CREATE INDEX executions_fingerprint ON ${s}.executions (fingerprint, issued_at, attestation_digest);
      CREATE INDEX executions_policy ON ${s}.executions (policy_id, policy_version, issued_at, attestation_digest);
      CREATE INDEX executions_runtime ON ${s}.executions (runtime_hash, issued_at, attestation_digest);
      CREATE INDEX executions_agent ON ${s}.executions (agent, issued_at, attestation_digest);
    `,
  },
];
