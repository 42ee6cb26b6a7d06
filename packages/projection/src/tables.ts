/**
 * The tables of a projection schema, by name. Write them qualified with the schema
 * (`qualifiedName(schema, TABLES.executions)`); the migrations in `migrations.ts` create them.
 */
export const TABLES = {
  /** One row per attestation on the ledger (an execution has several when overridden or replayed). */
  executions: 'executions',
  /** The parent links of decisions. */
  lineageEdges: 'lineage_edges',
  /** The policy documents of the policies topic, by hash. */
  policies: 'policies',
  /** The signed checkpoints of the checkpoints topic. */
  checkpoints: 'checkpoints',
  /**
   * Each attestation partition's RFC 6962 Merkle tree, one row per complete subtree
   * (partition, level, index): what bundles' inclusion proofs and tlog tiles are computed from.
   */
  merkleHashes: 'merkle_hashes',
  /** The query API's bearer tokens, by SHA-256; the one table that is not a projection of a topic. */
  apiTokens: 'api_tokens',
} as const;

/** The name of one projection table. */
export type TableName = (typeof TABLES)[keyof typeof TABLES];
