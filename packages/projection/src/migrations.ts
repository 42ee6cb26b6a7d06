import type { Migration } from '@lineage/store';

/**
 * The version each migration brings a projection schema to. Never renumber one: a schema records the
 * versions applied to it. Readers state the version they need (e.g. `QUERYABLE_VERSION`).
 */
export const MIGRATION = {
  /** `executions` and `lineage_edges`. */
  EXECUTIONS: 1,
  /** The indexes of the lineage walks and replay listings. */
  QUERY_INDEXES: 2,
  /** Override, approver and authority columns of `executions`; the `policies` table. */
  OVERRIDES_AUTHORITY_POLICIES: 3,
  /** The `checkpoints` table. */
  CHECKPOINTS: 4,
  /** The query API's `api_tokens` table. */
  API_TOKENS: 5,
  /** Peppered (HMAC) token hashes, expiry and last-used time of `api_tokens`. */
  API_TOKEN_HARDENING: 6,
  /** The `merkle_hashes` table: each partition's Merkle tree, filled from the projected envelopes. */
  MERKLE_HASHES: 7,
  /** An index of `executions` by (partition, sequence): the entry bundles of the tiled log. */
  LOG_POSITIONS: 9,
  /**
   * `executions_latest`, by execution id with the latest decision's columns, in place of
   * `executions_execution_id`: a walk reads each node's latest decision from the index alone.
   */
  LATEST_INDEX: 10,
} as const;

/**
 * The projection's tables (see `TABLES`). `executions` holds one row per attestation on the ledger (an
 * execution has several when overridden or replayed); `lineage_edges` holds the parent links of
 * decisions; `policies` holds the policy documents of the policies topic by hash; `checkpoints` holds
 * the signed checkpoints of the checkpoints topic; `api_tokens` the query API's tokens.
 * `partition`/`offset` say where in its topic a row came from. SQL here is history: a table name
 * written in a migration stays as it was applied.
 */
export const PROJECTION_MIGRATIONS: readonly Migration[] = [
  {
    version: MIGRATION.EXECUTIONS,
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
    version: MIGRATION.QUERY_INDEXES,
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
  {
    version: MIGRATION.OVERRIDES_AUTHORITY_POLICIES,
    name: 'overrides, authority and policies',
    // Per attestation: the pending decision an override or override_rejection answers (`overrides`),
    // its resolution's approver and verdict, and the authority it decided under (root grant digest,
    // principals at the roots, depth below them). Rows projected before this version are filled in
    // from their stored envelopes, so an upgraded projection equals one rebuilt from offset 0 (except a
    // row whose payload Postgres cannot read as jsonb, e.g. one holding a \u0000 escape: it keeps the
    // defaults).
    // `policies` is the projection of the compacted policies topic, one row per policy hash.
    sql: (s) => `
      ALTER TABLE ${s}.executions
        ADD COLUMN overrides text,
        ADD COLUMN approver text,
        ADD COLUMN resolution text,
        ADD COLUMN grant_digest text,
        ADD COLUMN principals text[] NOT NULL DEFAULT '{}',
        ADD COLUMN depth int NOT NULL DEFAULT 0;
      DO $$
      DECLARE
        r record;
        p jsonb;
        res jsonb;
      BEGIN
        FOR r IN SELECT attestation_digest, envelope FROM ${s}.executions LOOP
          BEGIN
            p := convert_from(decode(r.envelope->>'payload', 'base64'), 'UTF8')::jsonb -> 'predicate';
            res := CASE WHEN jsonb_typeof(p->'override') = 'object'
              THEN convert_from(decode(p->'override'->'resolution'->>'payload', 'base64'), 'UTF8')::jsonb
              END;
            UPDATE ${s}.executions SET
              overrides = p->'override'->>'pending',
              approver = res->>'approver',
              resolution = res->>'resolution',
              grant_digest = p->'authorization'->>'grant',
              principals = coalesce(
                ARRAY(SELECT jsonb_array_elements_text(p->'authorization'->'principals')), '{}'),
              depth = coalesce((p->'authorization'->>'depth')::int, 0)
            WHERE attestation_digest = r.attestation_digest;
          EXCEPTION WHEN others THEN NULL;
          END;
        END LOOP;
      END $$;
      CREATE INDEX executions_overrides ON ${s}.executions (overrides) WHERE overrides IS NOT NULL;
      CREATE INDEX executions_approver ON ${s}.executions (approver, issued_at, attestation_digest)
        WHERE approver IS NOT NULL;
      CREATE INDEX executions_grant ON ${s}.executions (grant_digest) WHERE grant_digest IS NOT NULL;
      CREATE INDEX executions_principals ON ${s}.executions USING gin (principals);
      CREATE TABLE ${s}.policies (
        hash text PRIMARY KEY,
        id text NOT NULL,
        version int NOT NULL,
        document jsonb NOT NULL,
        activated_at timestamptz NOT NULL,
        partition int NOT NULL,
        "offset" bigint NOT NULL
      );
      CREATE INDEX policies_id ON ${s}.policies (id, version);
    `,
  },
  {
    version: MIGRATION.CHECKPOINTS,
    name: 'checkpoints',
    // `checkpoints` is the projection of the checkpoints topic: one row per record (a signed C2SP
    // checkpoint note of one attestation partition), keyed by its position in that topic.
    // `ledger` is the attestations topic its origin names; `root` is base64, as in the note.
    sql: (s) => `
      CREATE TABLE ${s}.checkpoints (
        partition int NOT NULL,
        "offset" bigint NOT NULL,
        ledger text NOT NULL,
        attestation_partition int NOT NULL,
        size bigint NOT NULL,
        root text NOT NULL,
        note text NOT NULL,
        PRIMARY KEY (partition, "offset")
      );
      CREATE INDEX checkpoints_attestation_partition
        ON ${s}.checkpoints (attestation_partition, size);
    `,
  },
  {
    version: MIGRATION.API_TOKENS,
    name: 'api tokens',
    // The query API's bearer tokens, stored as SHA-256 hex only. Before this version the API created
    // the table itself, hence IF NOT EXISTS: a schema that already holds it keeps its tokens.
    // A name identifies one live token, so `lineage tokens revoke <name>` is unambiguous.
    sql: (s) => `
      CREATE TABLE IF NOT EXISTS ${s}.api_tokens (
        token_hash text PRIMARY KEY,
        name text NOT NULL,
        scopes text[] NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        revoked_at timestamptz
      );
      CREATE UNIQUE INDEX IF NOT EXISTS api_tokens_live_name ON ${s}.api_tokens (name)
        WHERE revoked_at IS NULL;
    `,
  },
  {
    version: MIGRATION.API_TOKEN_HARDENING,
    name: 'api token hardening',
    // Tokens are stored as HMAC-SHA-256 under a server-side pepper (`hash_alg`), so whoever can write
    // this table cannot mint a token. Rows of version 5 hold unpeppered SHA-256, which cannot be
    // upgraded without the raw token: they are revoked here (reissue with `lineage tokens create`).
    // `expires_at` is optional; `last_used_at` is touched by the API at most once a minute per token.
    sql: (s) => `
      ALTER TABLE ${s}.api_tokens
        ADD COLUMN hash_alg text NOT NULL DEFAULT 'sha256',
        ADD COLUMN expires_at timestamptz,
        ADD COLUMN last_used_at timestamptz;
      UPDATE ${s}.api_tokens SET revoked_at = now() WHERE revoked_at IS NULL;
      ALTER TABLE ${s}.api_tokens ALTER COLUMN hash_alg SET DEFAULT 'hmac-sha256';
    `,
  },
  {
    version: MIGRATION.MERKLE_HASHES,
    name: 'merkle hashes',
    // One row per complete subtree of an attestation partition's RFC 6962 tree: level 0 holds the
    // leaf hash SHA-256(0x00 || DSSE payload) at its sequence, level L+1 index i the node hash
    // SHA-256(0x01 || left || right) of (L, 2i) and (L, 2i+1), present once both are. The projector
    // extends it in the transaction that projects the attestations; here it is filled from the rows
    // already projected (the first row of a sequence by offset), level by level. Bundles read a
    // partition's checkpoints newest first: an index in that order.
    sql: (s) => `
      CREATE INDEX checkpoints_newest
        ON ${s}.checkpoints (attestation_partition, partition DESC, "offset" DESC);
      CREATE TABLE ${s}.merkle_hashes (
        partition int NOT NULL,
        level smallint NOT NULL,
        index bigint NOT NULL,
        hash bytea NOT NULL,
        PRIMARY KEY (partition, level, index)
      );
      INSERT INTO ${s}.merkle_hashes (partition, level, index, hash)
      SELECT DISTINCT ON (partition, sequence) partition, 0, sequence,
        sha256('\\x00'::bytea || decode(envelope->>'payload', 'base64'))
      FROM ${s}.executions WHERE envelope ? 'payload'
      ORDER BY partition, sequence, "offset";
      DO $$
      DECLARE
        l int := 0;
        n bigint;
      BEGIN
        LOOP
          INSERT INTO ${s}.merkle_hashes (partition, level, index, hash)
          SELECT a.partition, l + 1, a.index / 2, sha256('\\x01'::bytea || a.hash || b.hash)
          FROM ${s}.merkle_hashes a
          JOIN ${s}.merkle_hashes b
            ON b.partition = a.partition AND b.level = l AND b.index = a.index + 1
          WHERE a.level = l AND a.index % 2 = 0;
          GET DIAGNOSTICS n = ROW_COUNT;
          EXIT WHEN n = 0;
          l := l + 1;
        END LOOP;
      END $$;
    `,
  },
  {
    version: MIGRATION.LOG_POSITIONS,
    name: 'log positions',
    // The query API serves each partition's entries in sequence ranges (C2SP tlog-tiles entry
    // bundles); without this index each bundle would scan every execution.
    sql: (s) => `
      CREATE INDEX executions_position ON ${s}.executions (partition, sequence, "offset");
    `,
  },
  {
    version: MIGRATION.LATEST_INDEX,
    name: 'latest decision index',
    // Every node a walk lists needs its latest decision, action and agent. By the bare id index
    // that is an index probe plus a heap page (rows of ~3.5 kB, two to a page), and at 1,000,000
    // executions the heap page is nearly always outside shared_buffers: one buffer read per node.
    // This index orders an execution's attestations as the walk does and carries what it reads,
    // so the walk is an index-only scan of pages ~15x denser; it serves every by-id lookup the
    // old index did.
    sql: (s) => `
      CREATE INDEX executions_latest
        ON ${s}.executions (execution_id, issued_at DESC, sequence DESC, attestation_digest)
        INCLUDE (kind, decision, action, agent);
      DROP INDEX ${s}.executions_execution_id;
    `,
  },
];
