import { createHash } from 'node:crypto';
import type { KafkaMessage } from 'kafkajs';
import {
  checkpointOrigin,
  digestOf,
  parseCheckpoint,
  parseSignedNote,
  fromDsse,
  isDigest,
  parseResolution,
  parseStatement,
  ProtocolError,
  toBase64,
} from '@lineage/protocol';
import type { JsonValue, OverrideRef, ResolutionBody, Statement } from '@lineage/protocol';
import { attestationCodec, policyCodec, SchemaError } from '@lineage/schemas';
import type { AttestationRecord, PolicyRecord } from '@lineage/schemas';
import type { CheckpointRow, EdgeRow, ExecutionRow, PolicyRow } from './rows.js';

// The rows this decoder produces are the projection's, declared once with its tables.

/** Why a ledger record was not projected. */
export type SkipReason =
  /** The record has no value. */
  | 'EMPTY_RECORD'
  /** The bytes are not an attestation record (SchemaError). */
  | 'UNDECODABLE'
  /** The envelope does not hold a well-formed Lineage statement (VerificationError / EncodingError). */
  | 'STATEMENT_MALFORMED'
  /** A value Postgres cannot hold in its column (e.g. a policy version beyond int4, year 0000). */
  | 'UNSTORABLE'
  /** A policy record whose document is not JSON or does not hash to, or name, what the record says. */
  | 'POLICY_INCONSISTENT'
  /**
   * A checkpoints record that is not a signed checkpoint note, whose key is not a partition number,
   * or whose origin is not that partition of the projected attestations topic.
   */
  | 'CHECKPOINT_MALFORMED';

/** A record left out of a projection, with the reason. */
export interface Skipped {
  type: 'skip';
  reason: SkipReason;
  detail: string;
  partition: number;
  offset: string;
}

/**
 * What one ledger record becomes: its rows, and its RFC 6962 leaf hash in its partition's Merkle
 * tree (SHA-256(0x00 ‖ DSSE payload), as `attestationLeaf` of `@lineage/protocol`).
 */
export type Decoded = { type: 'row'; row: ExecutionRow; edges: EdgeRow[]; leaf: Buffer } | Skipped;

/** What one record of the policies topic becomes. */
export type DecodedPolicy = { type: 'row'; row: PolicyRow } | Skipped;

/** What one record of the checkpoints topic becomes. */
export type DecodedCheckpoint = { type: 'row'; row: CheckpointRow } | Skipped;

const INT4_MAX = 2_147_483_647;
const LEAF_PREFIX = Buffer.from([0x00]);
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

/** Builds the skip of one record of `partition` at the message's offset. */
function skipper(partition: number, message: KafkaMessage) {
  return (reason: SkipReason, detail: string): Skipped => ({
    type: 'skip',
    reason,
    detail,
    partition,
    offset: message.offset,
  });
}

/**
 * The record a message holds, decoded with `codec`, or why it was skipped: no value (EMPTY_RECORD)
 * or bytes the codec refuses (UNDECODABLE). Never throws on bad input.
 */
function decodeValue<T>(
  codec: { decode(bytes: Buffer): T },
  partition: number,
  message: KafkaMessage,
): { record: T } | Skipped {
  const skip = skipper(partition, message);
  if (message.value === null || message.value.length === 0)
    return skip('EMPTY_RECORD', 'record has no value');
  try {
    return { record: codec.decode(message.value) };
  } catch (error) {
    if (error instanceof SchemaError) return skip('UNDECODABLE', error.message);
    throw error;
  }
}

/**
 * Decodes one record of the attestations topic into its rows. Never throws on bad input: the bytes
 * are attacker-reachable only through governance, but a bad record must not stop the projection.
 * Signatures are not verified here; the ledger is governance's own topic, and readers verify the
 * stored envelopes.
 */
// Over 60 lines: one straight pass from bytes to the row, each field written where it is stored.
export function decodeAttestation(partition: number, message: KafkaMessage): Decoded {
  const skip = skipper(partition, message);
  const decoded = decodeValue<AttestationRecord>(attestationCodec, partition, message);
  if ('type' in decoded) return decoded;
  const { record } = decoded;
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
  // Digest, leaf hash and base64 with node:crypto and Buffer: the same values as
  // `attestationDigest`, `attestationLeaf` and `toDsse`, at a fraction of their pure-JS cost.
  const { payload } = record.envelope;
  const bytes = Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength);
  const digest = createHash('sha256').update(bytes).digest('hex');
  const leaf = createHash('sha256').update(LEAF_PREFIX).update(bytes).digest();
  const base64 = (b: Uint8Array) =>
    Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('base64');
  const resolution = p.override === null ? null : readResolution(p.override);
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
      payloadType: storable(record.envelope.payload_type),
      payload: bytes.toString('base64'),
      signatures: record.envelope.signatures.map((s) => ({
        keyid: storable(s.keyid),
        sig: base64(s.sig),
      })),
    },
    overrides: p.override?.pending ?? null,
    approver: resolution === null ? null : resolution.approver,
    resolution: resolution === null ? null : resolution.resolution,
    grant_digest: p.authorization.grant,
    principals: p.authorization.principals,
    depth: p.authorization.depth,
  };
  if (p.authorization.depth > INT4_MAX)
    return skip('UNSTORABLE', `authorization depth ${p.authorization.depth} exceeds int4`);
  // Only decisions carry lineage: overrides and rejections refer to an execution already linked.
  const edges: EdgeRow[] =
    p.kind === 'decision'
      ? p.parents.map((parent) => ({
          child_id: row.execution_id,
          parent_id: parent.execution_id,
          parent_attestation: parent.attestation,
        }))
      : [];
  return { type: 'row', row, edges, leaf };
}

// A resolution governance refused may be unreadable; the row then names no approver.
function readResolution(ref: OverrideRef): ResolutionBody | null {
  try {
    return parseResolution(fromDsse(ref.resolution).payload);
  } catch (error) {
    if (error instanceof ProtocolError) return null;
    throw error;
  }
}

/**
 * Decodes one record of the policies topic into its row. Never throws on bad input: the document
 * must be JSON whose RFC 8785 SHA-256 is the record's `hash`, and must name the record's id and
 * version; anything else is skipped with a reason, so the table only holds documents that are what
 * their hash says.
 */
export function decodePolicy(partition: number, message: KafkaMessage): DecodedPolicy {
  const skip = skipper(partition, message);
  const decoded = decodeValue<PolicyRecord>(policyCodec, partition, message);
  if ('type' in decoded) return decoded;
  const { record } = decoded;
  // The document must be JSON, as the record's canonical text is.
  let document: JsonValue;
  try {
    document = JSON.parse(record.document) as JsonValue;
  } catch (error) {
    return skip('POLICY_INCONSISTENT', `document is not JSON: ${(error as Error).message}`);
  }
  // The document must hash to the record's hash: the one attestations pin.
  let hash: string;
  try {
    hash = digestOf(document);
  } catch (error) {
    return skip(
      'POLICY_INCONSISTENT',
      `document cannot be canonicalized: ${(error as Error).message}`,
    );
  }
  if (!isDigest(record.hash) || hash !== record.hash)
    return skip('POLICY_INCONSISTENT', `document hashes to ${hash}, not ${record.hash}`);
  // The document must name the id and version the record files it under.
  const named = document as { id?: unknown; version?: unknown } | null;
  if (
    typeof named !== 'object' ||
    named === null ||
    named.id !== record.id ||
    named.version !== record.version
  )
    return skip('POLICY_INCONSISTENT', `document is not policy ${record.id} v${record.version}`);
  if (!Number.isInteger(record.version) || record.version < 0 || record.version > INT4_MAX)
    return skip('UNSTORABLE', `policy version ${record.version} is not an int4`);
  return {
    type: 'row',
    row: {
      hash,
      id: storable(record.id),
      version: record.version,
      document,
      activated_at: record.activated_at,
      partition,
      offset: message.offset,
    },
  };
}

const PARTITION_KEY = /^(0|[1-9][0-9]{0,9})$/;

/**
 * Decodes one record of the checkpoints topic of ledger `attestationsTopic` into its row. Never
 * throws on bad input: the value must be a signed note (UTF-8) whose text is a checkpoint, the key
 * the attestation partition number, and the origin `checkpointOrigin(attestationsTopic, key)`;
 * anything else is skipped as CHECKPOINT_MALFORMED. Signatures are not verified here: bundles carry
 * the note, and verifiers check it against their trusted governance keys.
 */
export function decodeCheckpoint(
  attestationsTopic: string,
  partition: number,
  message: KafkaMessage,
): DecodedCheckpoint {
  const skip = skipper(partition, message);
  if (message.value === null || message.value.length === 0)
    return skip('EMPTY_RECORD', 'record has no value');
  // The key names the attestation partition the checkpoint is of.
  const key = message.key?.toString('utf8') ?? '';
  if (!PARTITION_KEY.test(key) || Number(key) > INT4_MAX)
    return skip('CHECKPOINT_MALFORMED', `key ${JSON.stringify(key)} is not a partition number`);
  const attestationPartition = Number(key);
  // The value must be valid UTF-8 text of a signed note whose text is a checkpoint.
  let note: string;
  try {
    note = new TextDecoder('utf-8', { fatal: true }).decode(message.value);
  } catch {
    return skip('CHECKPOINT_MALFORMED', 'note is not UTF-8');
  }
  let origin: string;
  let size: number;
  let root: string;
  try {
    const checkpoint = parseCheckpoint(parseSignedNote(note).text);
    origin = checkpoint.origin;
    size = checkpoint.size;
    root = toBase64(checkpoint.root);
  } catch (error) {
    if (error instanceof ProtocolError) return skip('CHECKPOINT_MALFORMED', error.message);
    throw error;
  }
  // The origin must be the keyed partition of the attestations topic this projector reads.
  const expected = checkpointOrigin(attestationsTopic, attestationPartition);
  if (origin !== expected)
    return skip('CHECKPOINT_MALFORMED', `origin ${origin} is not ${expected}`);
  return {
    type: 'row',
    row: {
      partition,
      offset: message.offset,
      ledger: attestationsTopic,
      attestation_partition: attestationPartition,
      size,
      root,
      note: storable(note),
    },
  };
}
