import type { Pool } from 'pg';
import { buildBundle, digestOf, fromDsse, parseStatement } from '@lineage/protocol';
import type { DsseEnvelope, EvidenceBundle, JsonValue, RawEnvelope } from '@lineage/protocol';
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
 * The evidence bundle of an (already validated) execution id: its decision attestation first, then
 * every attestation its lineage names and every ancestor's decision, all ancestors without a depth
 * limit; the keys of `sources` that signed one of them or the intent it embeds; the policy documents of `sources` whose
 * canonical hash one of them pins. It verifies with `verifyBundle` when the projection and the
 * sources are complete.
 * @throws QueryError NOT_FOUND when the execution has no decision; VerificationError
 *   ENVELOPE_MALFORMED if a stored envelope is not DSSE JSON (the projector only stores DSSE).
 */
export async function bundle(
  pool: Pool,
  schema: string,
  executionId: string,
  sources: BundleSources,
): Promise<EvidenceBundle> {
  const client = await pool.connect();
  let rows: EnvelopeRow[];
  try {
    // The decision and its ancestors from one snapshot.
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    const head = await client.query<EnvelopeRow>(
      `SELECT x.attestation_digest, x.policy_hash, x.envelope
       FROM ${qualifiedName(schema, 'executions')} x
       WHERE x.execution_id = $1 AND x.kind = 'decision'
       ORDER BY x.sequence, x.issued_at, x.attestation_digest
       LIMIT 1`,
      [executionId],
    );
    const decision = head.rows[0];
    if (!decision) throw new QueryError('NOT_FOUND', `no decision for ${executionId}`);
    const ancestors = await client.query<EnvelopeRow>(bundleAncestorsSql(schema), [
      executionId,
      decision.attestation_digest,
    ]);
    await client.query('COMMIT');
    rows = [decision, ...ancestors.rows];
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
  const envelopes: RawEnvelope[] = rows.map((r) => fromDsse(r.envelope));
  // The keys that signed the attestations, and the agent keys that signed the intents inside them.
  const signers = new Set(
    envelopes.flatMap((e) => [
      ...e.signatures.map((s) => s.keyid),
      ...(parseStatement(e.payload).predicate.intent?.signatures.map((s) => s.keyid) ?? []),
    ]),
  );
  const pinned = new Set(rows.map((r) => r.policy_hash));
  const keys = sources.keys.filter((k) => signers.has(k.keyid));
  const policies: JsonValue[] = [];
  const bundled = new Set<string>();
  for (const document of sources.policies) {
    const hash = hashOf(document);
    if (hash !== null && pinned.has(hash) && !bundled.has(hash)) {
      bundled.add(hash);
      policies.push(document);
    }
  }
  return buildBundle(executionId, envelopes, keys, policies);
}

// A policy document that cannot be canonicalized cannot be the one a hash pins.
function hashOf(document: JsonValue): string | null {
  try {
    return digestOf(document);
  } catch {
    return null;
  }
}
