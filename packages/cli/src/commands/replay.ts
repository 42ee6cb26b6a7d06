import type { Command } from 'commander';
import type { Kafka } from 'kafkajs';
import { fromDsse, isExecutionId, parseIntent, parseStatement, sha256Hex } from '@lineage/protocol';
import type { DsseEnvelope, Predicate, RawEnvelope, TrustStore } from '@lineage/protocol';
import { nodeEd25519 } from '@lineage/keys';
import { rederive } from '@lineage/policy';
import type { RederiveContext, RederiveResult } from '@lineage/policy';
import { readToEnd } from '@lineage/kafka';
import type { TopicNames } from '@lineage/kafka';
import { SchemaError, intentCodec, overrideCodec } from '@lineage/schemas';
import { createPool, qualifiedName } from '@lineage/store';
import { CliExit } from '../errors.js';
import { brokerOptions, checkSchema, connection, loadTrust, projectionOptions } from './options.js';
import type { BrokerFlags, ProjectionFlags } from './options.js';

type Pool = ReturnType<typeof createPool>;

interface Row {
  attestation_digest: string;
  envelope: DsseEnvelope;
}

interface LedgerEntry {
  digest: string;
  envelope: RawEnvelope;
  /** Parsed without verifying, only to index the ledger; rederive verifies. */
  predicate: Predicate | null;
  subject: string | null;
}

/** What `lineage replay-verify` found. */
export interface ReplayReport {
  checked: number;
  identical: number;
  byKind: Record<string, number>;
  mismatches: Extract<RederiveResult, { ok: false }>[];
}

function entryOf(row: Row): LedgerEntry {
  const envelope = fromDsse(row.envelope);
  // A stored row that does not parse is still re-derived (and reported) by rederive.
  try {
    const s = parseStatement(envelope.payload);
    return {
      digest: row.attestation_digest,
      envelope,
      predicate: s.predicate,
      subject: s.subject[0].digest.sha256,
    };
  } catch {
    return { digest: row.attestation_digest, envelope, predicate: null, subject: null };
  }
}

// The attestation digests an entry's re-derivation looks up: its intent's parents and the pending decision.
function referenced(e: LedgerEntry): string[] {
  const p = e.predicate;
  if (!p) return [];
  const out: string[] = p.override ? [p.override.pending] : [];
  if (p.intent) {
    try {
      out.push(...parseIntent(fromDsse(p.intent).payload).parents.map((x) => x.attestation));
    } catch {
      // A malformed intent names no parents.
    }
  }
  return out;
}

async function query<T extends object>(
  pool: Pool,
  sql: string,
  values: unknown[] = [],
): Promise<T[]> {
  try {
    return (await pool.query<T>(sql, values)).rows;
  } catch (error) {
    // 42P01 undefined_table, 3F000 invalid_schema_name: nothing (or no policies) projected there.
    const code = (error as { code?: unknown } | null)?.code;
    if (code === '42P01' || code === '3F000')
      throw new CliExit('USAGE', `the projection has no such table: ${(error as Error).message}`);
    throw error;
  }
}

/** Where the recorded intent records are: the intents topic. */
export interface IntentSource {
  kafka: Kafka;
  topics: TopicNames;
}

/** What the input records carried, by routing id and the digest of their signed payload. */
export interface CarriedInputs {
  /** The parent attestations each intent record carried. */
  parents: Map<string, RawEnvelope[]>;
  /** The agent-signed intent of each intent record. */
  intents: Map<string, RawEnvelope>;
  /** When the broker appended each intent record (RFC 3339). */
  received: Map<string, string>;
  /** The pending attestation each resolution record carried. */
  pendings: Map<string, RawEnvelope>;
}

/**
 * Reads what governance received: the parent attestations each intent record carried (intents
 * topic) and the pending attestation each resolution record carried (overrides topic) — the first
 * record of each (routing id, payload digest) pair, since a redelivery was never decided again.
 * Records that do not decode were dead-lettered, never decided, and are skipped.
 * @throws CliExit 2 when a topic cannot be read.
 */
export async function readCarried(
  source: IntentSource,
  executionId?: string,
): Promise<CarriedInputs> {
  const carried: CarriedInputs = {
    parents: new Map(),
    intents: new Map(),
    received: new Map(),
    pendings: new Map(),
  };
  await readAll(source, source.topics.intents, (value, timestamp) => {
    const record = intentCodec.decode(value);
    if (executionId !== undefined && record.execution_id !== executionId) return;
    const key = carriedKey(record.execution_id, sha256Hex(record.envelope.payload));
    if (carried.parents.has(key)) return;
    carried.parents.set(key, record.parent_attestations);
    carried.intents.set(key, record.envelope);
    const ms = Number(timestamp);
    if (Number.isSafeInteger(ms) && ms >= 0) carried.received.set(key, new Date(ms).toISOString());
  });
  await readAll(source, source.topics.overrides, (value) => {
    const record = overrideCodec.decode(value);
    if (executionId !== undefined && record.execution_id !== executionId) return;
    const key = carriedKey(record.execution_id, sha256Hex(record.envelope.payload));
    if (!carried.pendings.has(key)) carried.pendings.set(key, record.pending_attestation);
  });
  return carried;
}

async function readAll(
  source: IntentSource,
  topic: string,
  onValue: (value: Buffer, timestamp: string) => void,
): Promise<void> {
  const admin = source.kafka.admin();
  let partitions: number[];
  try {
    await admin.connect();
    partitions = (await admin.fetchTopicOffsets(topic)).map((o) => o.partition);
  } catch (error) {
    throw new CliExit(
      'USAGE',
      `cannot read the recorded inputs on ${topic} (is Kafka running, is --topic-prefix right?): ${(error as Error).message}`,
    );
  } finally {
    await admin.disconnect();
  }
  await readToEnd(source.kafka, topic, new Map(partitions.map((p) => [p, 0n])), (_p, m) => {
    if (!m.value || m.value.length === 0) return;
    // Attacker-controlled bytes: what governance could not decode it never decided.
    try {
      onValue(m.value, m.timestamp);
    } catch (error) {
      if (!(error instanceof SchemaError)) throw error;
    }
  });
}

const carriedKey = (executionId: string, intentDigest: string) =>
  `${executionId}\u0000${intentDigest}`;

/**
 * Re-derives recorded outcomes from the projection (attestation envelopes and the `policies` table)
 * under the trust store: every attestation of the ledger, or those of one execution.
 * With `source`, decisions re-derive from the parent attestations their intent records carried.
 * @throws CliExit 1 NOT_FOUND for an execution with no attestation; 2 when the projection or the
 *   intents topic is absent.
 */
export async function replayVerify(
  pool: Pool,
  schema: string,
  trust: TrustStore,
  executionId?: string,
  source?: IntentSource,
): Promise<ReplayReport> {
  const { targets, ledger } = await loadLedger(pool, schema, executionId);
  const documents = await loadPolicyDocuments(pool, schema);
  // The recorded intents: what each decided record carried, so decisions re-derive from the same bytes.
  const carried = source ? await readCarried(source, executionId) : undefined;
  const ctx = rederiveContext(ledger, documents, trust, carried);
  const report: ReplayReport = { checked: 0, identical: 0, byKind: {}, mismatches: [] };
  for (const t of targets) {
    const result = rederive(t.envelope, ctx);
    report.checked++;
    report.byKind[result.kind] = (report.byKind[result.kind] ?? 0) + 1;
    if (result.ok) report.identical++;
    else report.mismatches.push(result);
  }
  return report;
}

/**
 * The attestations to re-derive (all, or one execution's) and the ledger they need: the targets
 * plus the attestations they reference.
 * @throws CliExit 2 for an id that is not one; 1 NOT_FOUND when the execution has no attestation.
 */
async function loadLedger(
  pool: Pool,
  schema: string,
  executionId: string | undefined,
): Promise<{ targets: LedgerEntry[]; ledger: LedgerEntry[] }> {
  const executions = qualifiedName(schema, 'executions');
  const select = (where: string, params?: unknown[]) =>
    query<Row>(
      pool,
      `SELECT attestation_digest, envelope FROM ${executions} ${where} ORDER BY partition, sequence, attestation_digest`,
      params,
    ).then((rows) => rows.map(entryOf));
  if (executionId === undefined) {
    const ledger = await select('');
    return { targets: ledger, ledger };
  }
  if (!isExecutionId(executionId))
    throw new CliExit('USAGE', `INVALID_ARGUMENT: ${executionId} is not a UUIDv7 execution id`);
  const targets = await select('WHERE execution_id = $1', [executionId]);
  if (targets.length === 0)
    throw new CliExit('INVALID', `NOT_FOUND: no attestation of ${executionId}`);
  const more = [...new Set(targets.flatMap(referenced))];
  const extra = await select('WHERE attestation_digest = ANY($1::text[])', [more]);
  const ledger = [...targets, ...extra.filter((e) => !targets.some((t) => t.digest === e.digest))];
  return { targets, ledger };
}

/** Every projected policy document, by hash. */
async function loadPolicyDocuments(pool: Pool, schema: string): Promise<Map<string, unknown>> {
  const rows = await query<{ hash: string; document: unknown }>(
    pool,
    `SELECT hash, document FROM ${qualifiedName(schema, 'policies')}`,
  );
  return new Map(rows.map((r) => [r.hash, r.document]));
}

/** What re-deriving needs to look up: attestations, policies, earlier records, recorded intents. */
function rederiveContext(
  ledger: LedgerEntry[],
  documents: Map<string, unknown>,
  trust: TrustStore,
  carried: Awaited<ReturnType<typeof readCarried>> | undefined,
): RederiveContext {
  const byDigest = new Map(ledger.map((e) => [e.digest, e]));
  const byExecution = new Map<string, LedgerEntry[]>();
  for (const e of ledger) {
    if (!e.predicate) continue;
    const list = byExecution.get(e.predicate.execution_id) ?? [];
    list.push(e);
    byExecution.set(e.predicate.execution_id, list);
  }
  // Earlier in ledger order: the same partition chain, a lower sequence.
  const before = (e: LedgerEntry, at: Predicate) =>
    e.predicate !== null &&
    e.predicate.partition === at.partition &&
    e.predicate.sequence < at.sequence;
  return {
    ...(carried
      ? {
          carried: (id, digest) => carried.parents.get(carriedKey(id, digest)),
          recordedIntent: (id, digest) => carried.intents.get(carriedKey(id, digest)),
          receivedAt: (id, digest) => carried.received.get(carriedKey(id, digest)),
          carriedPending: (id, digest) => carried.pendings.get(carriedKey(id, digest)),
        }
      : {}),
    trust,
    ed25519: nodeEd25519(),
    attestation: (d) => byDigest.get(d)?.envelope,
    policyDocument: (h) => documents.get(h),
    overriddenBefore: (pending, at) =>
      (byExecution.get(at.predicate.execution_id) ?? []).some(
        (e) =>
          before(e, at.predicate) &&
          e.predicate!.kind === 'override' &&
          e.predicate!.override?.pending === pending,
      ),
    decidedBefore: (id, at) =>
      (byExecution.get(id) ?? []).find(
        (e) => before(e, at.predicate) && e.predicate!.kind === 'decision',
      )?.subject ?? undefined,
  };
}

/** One line per mismatch. */
export function describeMismatch(m: Extract<RederiveResult, { ok: false }>): string {
  const outcome = (o: { decision: string; reasons: string[] }) =>
    `${o.decision} [${o.reasons.join(' ')}]`;
  const versus =
    m.expected && m.recorded
      ? `; re-derived ${outcome(m.expected)} vs recorded ${outcome(m.recorded)}`
      : '';
  return `MISMATCH ${m.code} ${m.kind} ${m.executionId}: ${m.detail}${versus}`;
}

/** The summary line. */
export function describeReport(r: ReplayReport): string {
  const kinds = Object.entries(r.byKind)
    .sort()
    .map(([k, n]) => `${n} ${k}`)
    .join(', ');
  return `replay-verify: ${r.checked} attestations (${kinds || 'none'}): ${r.identical} re-derived identically, ${r.mismatches.length} mismatches`;
}

/** `lineage replay-verify <execution_id> | --all`: exit 0 when everything re-derives, else 1. */
export function registerReplay(program: Command): void {
  brokerOptions(
    projectionOptions(
      program
        .command('replay-verify [execution_id]')
        .description(
          're-evaluate recorded intents and resolutions under their pinned policies; report any that differ',
        )
        .option('--all', 'every attestation of the ledger')
        .option('--trust <truststore>', 'trust store', '.lineage/truststore.json'),
    ),
  ).action(
    async (
      id: string | undefined,
      o: ProjectionFlags & BrokerFlags & { all?: boolean; trust: string },
    ) => {
      if ((id === undefined) === (o.all !== true))
        throw new CliExit('USAGE', 'give an execution id or --all (not both)');
      checkSchema(o.schema);
      const trust = await loadTrust(o.trust);
      const pool = createPool(o.databaseUrl);
      const { kafka, topics } = connection(o, 'lineage-replay-verify');
      let report: ReplayReport;
      try {
        report = await replayVerify(pool, o.schema, trust, id, { kafka, topics });
      } finally {
        await pool.end();
      }
      for (const m of report.mismatches) console.log(describeMismatch(m));
      const summary = describeReport(report);
      if (report.mismatches.length > 0) throw new CliExit('INVALID', summary);
      console.log(summary);
    },
  );
}
