import { checkWitnessQuorum, nobleEd25519 } from '@lineage/protocol';
import type { EvidenceBundle, TrustStore } from '@lineage/protocol';
import { openQueries } from '@lineage/query';
import type { BundleSources, LineageNode } from '@lineage/query';
import { pollUntil, waitUntil } from '@lineage/runtime';
import { qualifiedName } from '@lineage/store';
import type { createPool } from '@lineage/store';
import { exportBundle } from '../commands/query.js';

/** What the demo waits for: the projector and checkpointer catching up with the ledger. */

type Pool = ReturnType<typeof createPool>;
/** How long the demo waits for the projection to catch up with one thing. */
// Generous: on the embedded PGlite (one backend shared by every connection) catching up takes longer.
const CATCH_UP = { timeoutMs: 120_000, intervalMs: 100 };

/**
 * Waits until the projection holds the execution's decision (what `lineage override` reads).
 * @throws RuntimeError WAIT_TIMEOUT.
 */
export async function waitForRow(pool: Pool, schema: string, id: string): Promise<void> {
  const queries = openQueries(pool, schema);
  await waitUntil(async () => Boolean((await queries.show(id).catch(() => null))?.decision), {
    ...CATCH_UP,
    what: `the projection of ${id}`,
  });
}

/**
 * Waits until the projection holds the policy document (what `lineage replay-verify` reads).
 * @throws RuntimeError WAIT_TIMEOUT (is the policies topic projected?).
 */
export async function waitForPolicy(pool: Pool, schema: string, hash: string): Promise<void> {
  const found = () =>
    pool.query(`SELECT 1 FROM ${qualifiedName(schema, 'policies')} WHERE hash = $1`, [hash]).then(
      (r) => r.rowCount !== null && r.rowCount > 0,
      () => false,
    );
  await waitUntil(found, { ...CATCH_UP, what: `the projected policy ${hash}` });
}

/**
 * Exports the execution's bundle (as `lineage export` does) until a projected checkpoint covers
 * every attestation of its lineage, so each carries an inclusion proof, and the checkpoints carry
 * the cosignatures the trust store's witness policy asks for.
 * @throws RuntimeError WAIT_TIMEOUT when no checkpoint covers them within 30 s.
 */
export function waitForInclusion(
  executionId: string,
  schema: string,
  sources: BundleSources,
  trust: TrustStore,
): Promise<EvidenceBundle> {
  return pollUntil(
    () => exportBundle(executionId, schema, sources),
    (bundle) =>
      (bundle.proofs?.length ?? 0) === bundle.attestations.length && witnessed(bundle, trust),
    { ...CATCH_UP, what: `a projected checkpoint covering the lineage of ${executionId}` },
  );
}

/**
 * Waits until the projection's ancestry walk from `id` finds `expected` ancestors.
 * @throws RuntimeError WAIT_TIMEOUT.
 */
export function waitForAncestry(
  pool: Pool,
  schema: string,
  id: string,
  expected: number,
): Promise<LineageNode[]> {
  const queries = openQueries(pool, schema);
  // Until the projector has folded the execution in, the walk does not know it (NOT_FOUND).
  const walk = () =>
    queries.ancestors(id).then(
      (page) => page.items,
      (error: unknown) => {
        if ((error as { code?: unknown }).code === 'NOT_FOUND') return [];
        throw error;
      },
    );
  return pollUntil(walk, (items) => items.length >= expected, {
    ...CATCH_UP,
    what: `the ancestry of ${id}`,
  });
}

// Whether every checkpoint of the bundle has the witness quorum (the cosigned note is published
// shortly after the log's own).
function witnessed(bundle: EvidenceBundle, trust: TrustStore): boolean {
  try {
    for (const note of bundle.checkpoints ?? [])
      checkWitnessQuorum(note, { trust, ed25519: nobleEd25519 });
    return true;
  } catch {
    return false;
  }
}
