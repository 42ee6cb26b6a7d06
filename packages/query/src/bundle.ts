import type { Pool } from 'pg';
import { buildBundle, digestOf, fromDsse, parseStatement } from '@lineage/protocol';
import type {
  DsseEnvelope,
  EvidenceBundle,
  JsonValue,
  Predicate,
  RawEnvelope,
} from '@lineage/protocol';
import { qualifiedName } from '@lineage/store';
import { QueryError } from './errors.js';
import type { BundleSources } from './types.js';
import { bundleAncestorsSql } from './walk.sql.js';

interface EnvelopeRow {
  attestation_digest: string;
  policy_hash: string;
  envelope: DsseEnvelope;
}

/**
 * The evidence bundle of an (already validated) execution id. Attestations: the override that
 * answers its decision, if any (then the bundle's target), its decision (for an overridden
 * execution, the `pending_override`), then every attestation its lineage names (a parent's
 * decision or the override that approved it) and every ancestor's decision, all ancestors without
 * a depth limit. Keys: those of `sources` that signed one of them, the intent it embeds, an
 * override's resolution, a bundled release, or granted the authority. Policies: the documents the
 * `policies` table holds for every pinned hash, else the document of `sources.policies` with that
 * hash (a stored document that no longer hashes to its key is replaced by a file that does, and
 * kept otherwise: bundled under its own hash, verification then reports the pinned one missing).
 * Releases: `sources.releases` as they are.
 * The bundle verifies with `verifyBundle` when the projection and the sources are complete.
 * @throws QueryError NOT_FOUND when the execution has no decision; VerificationError
 *   ENVELOPE_MALFORMED if a stored envelope is not DSSE JSON (the projector only stores DSSE);
 *   ProtocolError when a release in `sources` is not DSSE JSON.
 */
export async function bundle(
  pool: Pool,
  schema: string,
  executionId: string,
  sources: BundleSources,
): Promise<EvidenceBundle> {
  const executions = qualifiedName(schema, 'executions');
  const client = await pool.connect();
  let rows: EnvelopeRow[];
  let stored: Map<string, JsonValue>;
  try {
    // The decision, its override and its ancestors from one snapshot.
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    const head = await client.query<EnvelopeRow>(
      `SELECT x.attestation_digest, x.policy_hash, x.envelope FROM ${executions} x
       WHERE x.execution_id = $1 AND x.kind = 'decision'
       ORDER BY x.sequence, x.issued_at, x.attestation_digest
       LIMIT 1`,
      [executionId],
    );
    const decision = head.rows[0];
    if (!decision) throw new QueryError('NOT_FOUND', `no decision for ${executionId}`);
    const answer = await client.query<EnvelopeRow>(
      `SELECT x.attestation_digest, x.policy_hash, x.envelope FROM ${executions} x
       WHERE x.execution_id = $1 AND x.kind = 'override' AND x.overrides = $2
       ORDER BY x.sequence, x.issued_at, x.attestation_digest
       LIMIT 1`,
      [executionId, decision.attestation_digest],
    );
    const override = answer.rows[0];
    const ancestors = await client.query<EnvelopeRow>(bundleAncestorsSql(schema), [
      executionId,
      [decision.attestation_digest, ...(override ? [override.attestation_digest] : [])],
    ]);
    rows = [...(override ? [override] : []), decision, ...ancestors.rows];
    const policies = await client.query<{ hash: string; document: JsonValue }>(
      `SELECT p.hash, p.document FROM ${qualifiedName(schema, 'policies')} p
       WHERE p.hash = ANY($1::text[])`,
      [[...new Set(rows.map((r) => r.policy_hash))]],
    );
    stored = new Map(policies.rows.map((p) => [p.hash, p.document]));
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
  const envelopes: RawEnvelope[] = rows.map((r) => fromDsse(r.envelope));
  const releases: RawEnvelope[] = (sources.releases ?? []).map((r) => fromDsse(r));
  const predicates: Predicate[] = envelopes.map((e) => parseStatement(e.payload).predicate);
  // The keys that signed the attestations, the intents and resolutions inside them and the
  // releases, and the principals whose grants the authority comes from.
  const signers = new Set([
    ...envelopes.flatMap((e) => e.signatures.map((s) => s.keyid)),
    ...predicates.flatMap((p) => [
      ...(p.intent?.signatures.map((s) => s.keyid) ?? []),
      ...(p.override?.resolution.signatures.map((s) => s.keyid) ?? []),
      ...p.authorization.principals,
    ]),
    ...releases.flatMap((r) => r.signatures.map((s) => s.keyid)),
  ]);
  const keys = sources.keys.filter((k) => signers.has(k.keyid));
  const files = new Map<string, JsonValue>();
  for (const document of sources.policies) {
    const hash = hashOf(document);
    if (hash !== null && !files.has(hash)) files.set(hash, document);
  }
  const policies: JsonValue[] = [];
  for (const hash of new Set(rows.map((r) => r.policy_hash))) {
    const fromTable = stored.get(hash);
    const document =
      fromTable !== undefined && hashOf(fromTable) === hash
        ? fromTable
        : (files.get(hash) ?? fromTable);
    if (document !== undefined) policies.push(document);
  }
  return buildBundle(executionId, envelopes, keys, policies, releases);
}

// A policy document that cannot be canonicalized cannot be the one a hash pins.
function hashOf(document: JsonValue): string | null {
  try {
    return digestOf(document);
  } catch {
    return null;
  }
}
