export {
  attestationCodec,
  deadLetterCodec,
  identify,
  intentCodec,
  schemaVersions,
} from './codec.js';
export type { Codec } from './codec.js';
export { SchemaError } from './errors.js';
export type { SchemaErrorCode } from './errors.js';
export type {
  AttestationRecord,
  DeadLetterRecord,
  EnvelopeRecord,
  IntentRecord,
} from './records.js';
export type { SchemaVersion } from './registry.js';
