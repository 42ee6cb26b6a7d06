import { SchemaError } from './errors.js';
import type {
  AttestationRecord,
  DeadLetterRecord,
  IntentRecord,
  OverrideRecord,
  PolicyRecord,
} from './records.js';
import { HEADER_LENGTH, MARKER, registry } from './registry.js';
import type { SchemaRegistry, SchemaVersion, WriterSchema } from './registry.js';

/** Encodes and decodes one record in Avro single-object encoding. */
export interface Codec<T> {
  /** The record's `<name>` in `lineage.<name>.v<N>.avsc`. */
  readonly name: string;
  /** The latest version: the one `encode` writes and `decode` resolves to. */
  readonly version: number;
  /** Fingerprint of the latest version: its 8 wire bytes (little-endian) in hex. */
  readonly fingerprint: string;
  /**
   * Validates `value` against the latest version and encodes it: `C3 01`, fingerprint, body.
   *
   * @throws SchemaError `INVALID_VALUE` naming the offending paths.
   */
  encode(value: T): Buffer;
  /**
   * Decodes bytes written with any known version of this record, resolved to the latest version.
   *
   * @throws SchemaError — and nothing else, whatever the input — with code `BAD_MARKER`,
   * `TRUNCATED`, `UNKNOWN_FINGERPRINT`, `WRONG_SCHEMA`, `INVALID_BODY` or `TRAILING_BYTES`.
   */
  decode(bytes: Uint8Array): T;
}

const STRICT = { noUndeclaredFields: true };
const MAX_REPORTED_PATHS = 5;
const MAX_KEPT_SCRATCH = 1024 * 1024;
let scratch = Buffer.allocUnsafe(64 * 1024);

function validate(writer: WriterSchema, value: unknown): void {
  let valid: boolean;
  try {
    valid = writer.type.isValid(value, STRICT);
  } catch (cause) {
    throw new SchemaError('INVALID_VALUE', `not a valid ${writer.name} value`, { cause });
  }
  if (valid) return;
  // second pass, only on failure, to name the bad paths
  const paths: string[] = [];
  writer.type.isValid(value, {
    ...STRICT,
    errorHook: (path) => {
      if (paths.length < MAX_REPORTED_PATHS) paths.push(path.join('.') || '(root)');
    },
  });
  throw new SchemaError(
    'INVALID_VALUE',
    `not a valid ${writer.name} v${writer.version} value at ${paths.join(', ')}`,
  );
}

/**
 * Validates and encodes `value` with one specific schema version (codecs always write the latest;
 * the fixture script uses this to write older versions).
 *
 * @throws SchemaError `INVALID_VALUE` if `value` does not match the schema.
 */
export function encodeWith(writer: WriterSchema, value: unknown): Buffer {
  validate(writer, value);
  let target = scratch;
  writer.header.copy(target, 0);
  let end: number;
  try {
    end = writer.type.encode(value, target, HEADER_LENGTH);
    if (end < 0) {
      // did not fit: avsc returned minus the missing byte count
      target = Buffer.allocUnsafe(target.length - end);
      writer.header.copy(target, 0);
      end = writer.type.encode(value, target, HEADER_LENGTH);
      if (target.length <= MAX_KEPT_SCRATCH) scratch = target;
    }
  } catch (cause) {
    throw new SchemaError('INVALID_VALUE', `cannot encode ${writer.name} value`, { cause });
  }
  const out = Buffer.allocUnsafe(end);
  target.copy(out, 0, 0, end);
  return out;
}

/**
 * Reads the single-object header: checks the marker and looks up the writer schema.
 *
 * @throws SchemaError `BAD_MARKER`, `TRUNCATED` or `UNKNOWN_FINGERPRINT`.
 */
function readHeader(
  schemas: SchemaRegistry,
  bytes: Uint8Array,
): { buf: Buffer; writer: WriterSchema } {
  // anything that is not bytes (e.g. a Kafka tombstone's null value) has no header at all
  if (!(bytes instanceof Uint8Array)) throw new SchemaError('TRUNCATED', 'no bytes');
  const buf = Buffer.isBuffer(bytes)
    ? bytes
    : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  // the marker: C3 01
  for (let i = 0; i < MARKER.length && i < buf.length; i++) {
    if (buf[i] !== MARKER[i])
      throw new SchemaError('BAD_MARKER', 'not Avro single-object encoding');
  }
  if (buf.length < HEADER_LENGTH) throw new SchemaError('TRUNCATED', 'header incomplete');
  // the fingerprint names one of our schema versions
  const writer = schemas.writer(buf.toString('latin1', MARKER.length, HEADER_LENGTH));
  if (!writer) {
    const hex = buf.toString('hex', MARKER.length, HEADER_LENGTH);
    throw new SchemaError('UNKNOWN_FINGERPRINT', `unknown writer schema fingerprint ${hex}`);
  }
  return { buf, writer };
}

/**
 * Creates the codec of the record `name` in `schemas`. Types, resolvers and body checks are built
 * once by the registry; encode and decode only look them up.
 *
 * @throws Error if `schemas` has no record `name`.
 */
export function createCodec<T>(schemas: SchemaRegistry, name: string): Codec<T> {
  const latest = schemas.get(name);
  const reader = latest.type;
  return {
    name,
    version: latest.version,
    fingerprint: latest.fingerprint,
    encode: (value) => encodeWith(latest, value),
    decode(bytes) {
      // bytes are attacker-controlled: every failure must surface as a SchemaError, nothing else
      try {
        const { buf, writer } = readHeader(schemas, bytes);
        // the writer is a version of this record, not of another one
        if (writer.name !== name) {
          throw new SchemaError(
            'WRONG_SCHEMA',
            `expected ${name}, got ${writer.name} v${writer.version}`,
          );
        }
        // the body is exactly one well-formed value of the writer schema, within the buffer
        writer.checkBody(buf, HEADER_LENGTH);
        const { value, offset } = reader.decode(buf, HEADER_LENGTH, writer.resolver);
        // defence in depth: avsc must have consumed exactly the checked body
        if (offset !== buf.length) {
          throw new SchemaError(
            offset < 0 ? 'TRUNCATED' : 'TRAILING_BYTES',
            'body length mismatch',
          );
        }
        return value as T;
      } catch (cause) {
        if (cause instanceof SchemaError) throw cause;
        throw new SchemaError('INVALID_BODY', `cannot decode ${name}`, { cause });
      }
    },
  };
}

/**
 * Tells which schema version wrote `bytes`, from the header alone (the body is not checked).
 * Useful to route or dead-letter a record before choosing a codec.
 *
 * @throws SchemaError `BAD_MARKER`, `TRUNCATED` or `UNKNOWN_FINGERPRINT`.
 */
export function identify(bytes: Uint8Array): SchemaVersion {
  const { writer } = readHeader(registry, bytes);
  const { name, version, fullName, fingerprint, canonicalForm } = writer;
  return { name, version, fullName, fingerprint, canonicalForm };
}

/** Every schema version in `schemas/`, with its fingerprint (for docs and tooling). */
export function schemaVersions(): SchemaVersion[] {
  return registry.versions();
}

/** Codec for `lineage.intent.v<N>.avsc`. */
export const intentCodec: Codec<IntentRecord> = createCodec(registry, 'intent');
/** Codec for `lineage.attestation.v<N>.avsc`. */
export const attestationCodec: Codec<AttestationRecord> = createCodec(registry, 'attestation');
/** Codec for `lineage.override.v<N>.avsc`. */
export const overrideCodec: Codec<OverrideRecord> = createCodec(registry, 'override');
/** Codec for `lineage.policy.v<N>.avsc`. */
export const policyCodec: Codec<PolicyRecord> = createCodec(registry, 'policy');
/** Codec for `lineage.dead-letter.v<N>.avsc`. */
export const deadLetterCodec: Codec<DeadLetterRecord> = createCodec(registry, 'dead-letter');
