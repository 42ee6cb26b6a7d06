import type { Pool, PoolClient } from 'pg';
import {
  attestationDigest,
  buildBundle,
  bundleInclusion,
  checkpointSigners,
  digestOf,
  fromBase64,
  fromDsse,
  attestationLeaf,
  bytesEqual,
  parseStatement,
  pinnedCheckpoint,
  ProtocolError,
} from '@lineage/protocol';
import type {
  BundledInclusion,
  ConsistencyEvidence,
  DsseEnvelope,
  EvidenceBundle,
  InclusionEvidence,
  JsonValue,
  PinnedSize,
  Predicate,
  RawEnvelope,
} from '@lineage/protocol';
import { MAX_BUNDLE_ATTESTATIONS } from '@lineage/contract';
import { TABLES } from '@lineage/projection';
import { qualifiedName } from '@lineage/store';
import { QueryError } from './errors.js';
import { StoredTree } from './tree.js';
import { MAX_PINS } from './types.js';
import type { BundleOptions, BundleSources } from './types.js';
import { ancestorCountSql, bundleAncestorsSql } from './walk.sql.js';

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
 * Inclusion: for each attestation, the latest projected checkpoint of its partition whose tree
 * holds it (size > its sequence) and whose root the projection's stored tree of that partition
 * (`merkle_hashes`) reproduces, with the inclusion proof computed from that stored tree; the
 * checkpoints' signers' keys are bundled too. An attestation no checkpoint covers yet gets no proof.
 * Cost: per partition in the bundle, checkpoints read newest first 16 at a time until each
 * attestation is decided, and per checkpoint tried one read of the O(log n) stored nodes its root
 * and the proofs need: nothing proportional to the partition's length.
 * Pins (`options.pins`): for each, a consistency proof between its tree size and every chosen
 * checkpoint of its partition, from the stored tree (none when a node it needs is not stored, e.g.
 * a pinned size beyond the projection's tree: verification then fails CONSISTENCY_PROOF_INVALID).
 * The bundle verifies with `verifyBundle` when the projection and the sources are complete.
 * At most MAX_BUNDLE_ATTESTATIONS attestations (`@lineage/contract`): the ancestors are counted,
 * up to that cap only, before any envelope is read.
 * @throws QueryError NOT_FOUND when the execution has no decision, RESPONSE_TOO_LARGE when the
 *   bundle would hold more than MAX_BUNDLE_ATTESTATIONS attestations, INVALID_ARGUMENT for more
 *   than MAX_PINS pins or one that is not a partition and a size; VerificationError
 *   ENVELOPE_MALFORMED if a stored envelope is not DSSE JSON (the projector only stores DSSE);
 *   ProtocolError when a release in `sources` is not DSSE JSON.
 */
// Over 60 lines: one snapshot read in order (lineage, policies, releases, keys, inclusion).
export async function bundle(
  pool: Pool,
  schema: string,
  executionId: string,
  sources: BundleSources,
  options: BundleOptions = {},
): Promise<EvidenceBundle> {
  const pins = pinsArg(options.pins ?? []);
  const executions = qualifiedName(schema, TABLES.executions);
  const client = await pool.connect();
  let rows: EnvelopeRow[];
  let stored: Map<string, JsonValue>;
  let inclusion: BundledInclusion | undefined;
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
    const own = [decision.attestation_digest, ...(override ? [override.attestation_digest] : [])];
    // Each ancestor brings its decision at least: count them (bounded) before reading any envelope.
    const room = MAX_BUNDLE_ATTESTATIONS - own.length;
    const count = await client.query<{ n: number }>(ancestorCountSql(schema), [executionId, room]);
    if ((count.rows[0]?.n ?? 0) > room) throw tooLarge(executionId);
    const ancestors = await client.query<EnvelopeRow>(bundleAncestorsSql(schema), [
      executionId,
      own,
      room + 1,
    ]);
    if (ancestors.rows.length > room) throw tooLarge(executionId);
    rows = [...(override ? [override] : []), decision, ...ancestors.rows];
    const policies = await client.query<{ hash: string; document: JsonValue }>(
      `SELECT p.hash, p.document FROM ${qualifiedName(schema, TABLES.policies)} p
       WHERE p.hash = ANY($1::text[])`,
      [[...new Set(rows.map((r) => r.policy_hash))]],
    );
    stored = new Map(policies.rows.map((p) => [p.hash, p.document]));
    inclusion = await proveInclusion(client, schema, rows, pins);
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
    ...(inclusion?.checkpoints.flatMap((note) => checkpointSigners(note, sources.keys)) ?? []),
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
  return buildBundle(executionId, envelopes, keys, policies, releases, inclusion);
}

const tooLarge = (executionId: string) =>
  new QueryError(
    'RESPONSE_TOO_LARGE',
    `the bundle of ${executionId} would hold more than ${MAX_BUNDLE_ATTESTATIONS} attestations`,
  );

interface CheckpointRow {
  ledger: string;
  partition: number;
  offset: string;
  size: string;
  root: string;
  note: string;
}

// Checkpoints of a partition are read newest first, this many at a time, until all are proved.
const CANDIDATES_PER_READ = 16;

/**
 * Inclusion proofs of the bundled attestations against the projected checkpoints (see
 * {@link bundle}), read in the caller's snapshot. Undefined when no checkpoint covers any of them.
 */
async function proveInclusion(
  client: PoolClient,
  schema: string,
  rows: readonly EnvelopeRow[],
  pins: readonly PinnedSize[],
): Promise<BundledInclusion | undefined> {
  const wanted = new Map<number, Wanted[]>();
  for (const row of rows) {
    const env = fromDsse(row.envelope);
    const { partition, sequence } = parseStatement(env.payload).predicate;
    const list = wanted.get(partition) ?? [];
    list.push({ digest: attestationDigest(env), sequence, leaf: attestationLeaf(env.payload) });
    wanted.set(partition, list);
  }
  const evidence: InclusionEvidence[] = [];
  const consistency: ConsistencyEvidence[] = [];
  const ledger: { name?: string } = {};
  for (const [partition, attestations] of wanted) {
    const tree = new StoredTree(client, schema, partition);
    const proved = await provePartition(client, schema, tree, attestations, ledger);
    evidence.push(...proved);
    const sizes = pins.filter((p) => p.partition === partition).map((p) => p.size);
    consistency.push(...(await proveConsistency(tree, partition, proved, sizes)));
  }
  return ledger.name === undefined
    ? undefined
    : bundleInclusion(ledger.name, evidence, consistency);
}

/**
 * Consistency proofs between each pinned size and each checkpoint `proved` uses (their sizes are
 * read from the notes, which the projection stored as checkpoints), from the stored tree.
 */
async function proveConsistency(
  tree: StoredTree,
  partition: number,
  proved: readonly InclusionEvidence[],
  pinned: readonly number[],
): Promise<ConsistencyEvidence[]> {
  const out: ConsistencyEvidence[] = [];
  for (const note of new Set(proved.map((e) => e.note))) {
    const size = pinnedCheckpoint(note).size;
    for (const pin of pinned) {
      const [small, large] = pin <= size ? [pin, size] : [size, pin];
      await tree.load(large, [], [small]);
      const hashes = tree.consistency(small, large);
      if (hashes !== undefined) out.push({ partition, note, size: pin, hashes });
    }
  }
  return out;
}

// Pins as the caller gave them: a bounded list of partitions and tree sizes.
function pinsArg(pins: readonly PinnedSize[]): readonly PinnedSize[] {
  if (pins.length > MAX_PINS)
    throw new QueryError('INVALID_ARGUMENT', `at most ${MAX_PINS} pinned checkpoints`);
  for (const p of pins)
    if (
      !Number.isSafeInteger(p.partition) ||
      p.partition < 0 ||
      p.partition > 2_147_483_647 ||
      !Number.isSafeInteger(p.size) ||
      p.size < 0
    )
      throw new QueryError('INVALID_ARGUMENT', 'a pin is a partition and a tree size');
  return pins;
}

interface Wanted {
  digest: string;
  sequence: number;
  /** Its RFC 6962 leaf hash. */
  leaf: Uint8Array;
}

/**
 * The proofs of one partition's attestations: each against the newest checkpoint that covers it
 * (size > its sequence), whose root the stored tree reproduces, and in whose tree the stored leaf
 * at its sequence is this very attestation. Reads the checkpoints newest first in small pages and,
 * per checkpoint tried, the O(log n) stored nodes its root and proofs need — never the leaves.
 * The first ledger a proof is chosen from is the bundle's; a checkpoint of another is skipped.
 */
async function provePartition(
  client: PoolClient,
  schema: string,
  tree: StoredTree,
  attestations: readonly Wanted[],
  ledger: { name?: string },
): Promise<InclusionEvidence[]> {
  const checkpoints = qualifiedName(schema, TABLES.checkpoints);
  const partition = tree.partition;
  const evidence: InclusionEvidence[] = [];
  let pending = [...attestations];
  let before: [number, string] = [2 ** 31, '0'];
  while (pending.length > 0) {
    const lowest = Math.min(...pending.map((a) => a.sequence));
    // ORDER BY names the table's columns: unqualified, "offset" would be the text output column.
    const { rows: candidates } = await client.query<CheckpointRow>(
      `SELECT ledger, partition, "offset"::text AS "offset", size::text AS size, root, note
       FROM ${checkpoints}
       WHERE attestation_partition = $1 AND size > $2 AND (partition, "offset") < ($3::bigint, $4::bigint)
       ORDER BY ${checkpoints}.partition DESC, ${checkpoints}."offset" DESC
       LIMIT ${CANDIDATES_PER_READ}`,
      [partition, lowest, ...before],
    );
    for (const c of candidates) {
      const size = Number(c.size);
      const covered = pending.filter((a) => a.sequence < size);
      if (covered.length === 0) continue;
      await tree.load(
        size,
        covered.map((a) => a.sequence),
      );
      const root = tree.root(size);
      if (root === undefined || !rootMatches(root, c.root)) continue;
      if (ledger.name !== undefined && ledger.name !== c.ledger) continue;
      ledger.name = c.ledger;
      for (const a of covered) {
        const stored = tree.leaf(a.sequence);
        const hashes = tree.proof(a.sequence, size);
        if (stored === undefined || !bytesEqual(stored, a.leaf) || hashes === undefined) continue;
        evidence.push({
          attestation: a.digest as InclusionEvidence['attestation'],
          partition,
          index: a.sequence,
          note: c.note,
          hashes,
        });
      }
      // Proved, or its leaf is not this attestation in the tree of the newest checkpoint that
      // reproduces: no older checkpoint is tried for it (an older tree holds the same leaf).
      pending = pending.filter((a) => a.sequence >= size);
    }
    if (candidates.length < CANDIDATES_PER_READ) break;
    const last = candidates[candidates.length - 1]!;
    before = [last.partition, last.offset];
  }
  return evidence;
}

// A stored root that is not base64 of 32 bytes matches nothing.
function rootMatches(root: Uint8Array, stored: string): boolean {
  try {
    return bytesEqual(root, fromBase64(stored));
  } catch (error) {
    if (error instanceof ProtocolError) return false;
    throw error;
  }
}

// A policy document that cannot be canonicalized cannot be the one a hash pins.
function hashOf(document: JsonValue): string | null {
  try {
    return digestOf(document);
  } catch {
    return null;
  }
}
