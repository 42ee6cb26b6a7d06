export {
  attestationCodec,
  deadLetterCodec,
  identify,
  intentCodec,
  overrideCodec,
  policyCodec,
  schemaVersions,
} from './codec.js';
export type { Codec } from './codec.js';
export { SchemaError } from './errors.js';
export type { SchemaErrorCode } from './errors.js';
export { envelopeRecord } from './records.js';
export type {
  EnvelopeLike,
  AttestationRecord,
  DeadLetterRecord,
  EnvelopeRecord,
  IntentRecord,
  OverrideRecord,
  PolicyRecord,
} from './records.js';
export type { SchemaVersion } from './registry.js';
