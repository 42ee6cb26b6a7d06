/**
 * Why a record could not be encoded or decoded. A closed list: consumers route on it (a dead-letter
 * `reason` is one of these).
 *
 * - `BAD_MARKER`: the bytes do not start with the Avro single-object marker `C3 01`.
 * - `TRUNCATED`: the bytes end before the header or the body does (a declared length or count
 *   runs past the end counts as truncation).
 * - `UNKNOWN_FINGERPRINT`: the writer-schema fingerprint is not one of ours.
 * - `WRONG_SCHEMA`: the fingerprint is ours but belongs to a different record (e.g. an attestation
 *   given to the intent codec).
 * - `INVALID_BODY`: the body is malformed for its writer schema (bad union or enum index, negative
 *   length, invalid UTF-8, integer out of range, ...) or cannot be resolved to the reader.
 * - `TRAILING_BYTES`: the body is complete but more bytes follow it.
 * - `INVALID_VALUE`: a value given to `encode` does not match the schema.
 */
export type SchemaErrorCode =
  | 'BAD_MARKER'
  | 'TRUNCATED'
  | 'UNKNOWN_FINGERPRINT'
  | 'WRONG_SCHEMA'
  | 'INVALID_BODY'
  | 'TRAILING_BYTES'
  | 'INVALID_VALUE';

/** The only error `encode`/`decode` throw. Assert on `code`, never on `message`. */
export class SchemaError extends Error {
  override readonly name = 'SchemaError';
  readonly code: SchemaErrorCode;

  /** @param options.cause - the underlying error, kept as the standard `Error#cause`. */
  constructor(code: SchemaErrorCode, message: string, options?: { cause?: unknown }) {
    super(`${code}: ${message}`, options);
    this.code = code;
  }
}
