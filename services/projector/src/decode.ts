import type { KafkaMessage } from 'kafkajs';
import { attestationDigest, parseStatement, ProtocolError, toDsse } from '@lineage/protocol';
import type { DsseEnvelope, Statement } from '@lineage/protocol';
import { attestationCodec, SchemaError } from '@lineage/schemas';
import type { AttestationRecord } from '@lineage/schemas';

/** One `executions` row, in the JSON shape the insert reads with `jsonb_to_recordset`. */
export interface ExecutionRow {
  execution_id: string;
  attestation_digest: string;
  kind: string;
  decision: string;
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
}

/** One `lineage_edges` row. */
export interface EdgeRow {
  child_id: string;
  parent_id: string;
  parent_attestation: string;
}

/** Why a ledger record was not projected. */
export type SkipReason =
  /** The record has no value. */
  | 'EMPTY_RECORD'
  /** The bytes are not an attestation record (SchemaError). */
  | 'UNDECODABLE'
  /** The envelope does not hold a well-formed Lineage statement (VerificationError / EncodingError). */
  | 'STATEMENT_MALFORMED'
  /** A value Postgres cannot hold in its column (e.g. a policy version beyond int4, year 0000). */
  | 'UNSTORABLE';

/** What one ledger record becomes. */
export type Decoded =
  | { type: 'row'; row: ExecutionRow; edges: EdgeRow[] }
  | { type: 'skip'; reason: SkipReason; detail: string; partition: number; offset: string };

const INT4_MAX = 2_147_483_647;
// NUL is not storable in Postgres text, nor are lone surrogates in jsonb.
const UNSTORABLE_CHARS =
  /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/**
 * Text as Postgres can store it: NUL and lone surrogates become U+FFFD. The exact signed bytes stay
 * available in the envelope (its payload is base64).
 */
export function storable(text: string): string {
  return text.replace(UNSTORABLE_CHARS, '\ufffd');
}

/**
 * Decodes one record of the attestations topic into its rows. Never throws on bad input: the bytes
 * are attacker-reachable only through governance, but a bad record must not stop the projection.
 * Signatures are not verified here; the ledger is governance's own topic, and readers verify the
 * stored envelopes.
 */
export function decodeAttestation(partition: number, message: KafkaMessage): Decoded {
  const skip = (reason: SkipReason, detail: string): Decoded => ({
    type: 'skip',
    reason,
    detail,
    partition,
    offset: message.offset,
  });
  if (message.value === null || message.value.length === 0)
    return skip('EMPTY_RECORD', 'record has no value');
  let record: AttestationRecord;
  try {
    record = attestationCodec.decode(message.value);
  } catch (error) {
    if (error instanceof SchemaError) return skip('UNDECODABLE', error.message);
    throw error;
  }
  let statement: Statement;
  try {
    statement = parseStatement(record.envelope.payload);
  } catch (error) {
    if (error instanceof ProtocolError)
      return skip('STATEMENT_MALFORMED', `${error.code}: ${error.message}`);
    throw error;
  }
  const p = statement.predicate;
  if (p.policy.version > INT4_MAX)
    return skip('UNSTORABLE', `policy version ${p.policy.version} exceeds int4`);
  const digest = attestationDigest(record.envelope);
  const dsse = toDsse(record.envelope);
  const row: ExecutionRow = {
    execution_id: storable(p.execution_id),
    attestation_digest: digest,
    kind: p.kind,
    decision: p.decision,
    reasons: p.reasons.map(storable),
    agent: storable(p.agent),
    action: storable(p.action),
    resource: storable(p.resource),
    policy_id: storable(p.policy.id),
    policy_version: p.policy.version,
    policy_hash: p.policy.hash,
    runtime_hash: p.runtime_hash,
    fingerprint: p.execution_fingerprint,
    issued_at: p.issued_at,
    issuer: p.issuer,
    partition,
    offset: message.offset,
    sequence: p.sequence,
    envelope: {
      payloadType: storable(dsse.payloadType),
      payload: dsse.payload,
      signatures: dsse.signatures.map((s) => ({ keyid: storable(s.keyid), sig: s.sig })),
    },
  };
  // Only decisions carry lineage: overrides and rejections refer to an execution already linked.
  const edges: EdgeRow[] =
    p.kind === 'decision'
      ? p.parents.map((parent) => ({
          child_id: row.execution_id,
          parent_id: parent.execution_id,
          parent_attestation: parent.attestation,
        }))
      : [];
  return { type: 'row', row, edges };
}
