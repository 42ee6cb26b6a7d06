// The one test kit: keys, trust stores, grants, intents, attestations and signed ledgers for every
// test tier and the benches. Pure (no Kafka, no Postgres); I/O parts live in `/kafka` and `/pg`,
// vitest specifications in `/spec`.
export {
  PKCS8_ED25519_PREFIX,
  SPKI_ED25519_PREFIX,
  byteKey,
  labelledKey,
  nodeEd25519Verifier,
  nodePrivateKey,
  nodePublicKey,
  nodeSign,
  rawPublicKeyOf,
  testKey,
} from './keys.js';
export type { TestKey } from './keys.js';
export { keyring, trustStoreDocument, trustStoreOf, trustedKey } from './trust.js';
export { errorOf, flipped, hex, positions, readVector, withOverrides } from './bytes.js';
export {
  DEFAULT_POLICY,
  DEFAULT_PRINCIPAL,
  FIXTURE_POLICY,
  FIXTURE_POLICY_HASH,
  FIXTURE_RUNTIME,
  FIXTURE_RUNTIME_MANIFEST,
  GRANT_FROM,
  GRANT_UNTIL,
  ISSUED_AT,
  POLICY,
  RELEASED_AT,
  RESOLVED_AT,
  RUNTIME_HASH,
  RUNTIME_MANIFEST,
  RUNTIME_MANIFEST_HASH,
  agentKey,
  allowAllPolicy,
} from './defaults.js';
export type { FixturePolicy } from './defaults.js';
export { intentBody, signedIntent } from './intents.js';
export {
  ANY_SCOPE,
  grantBody,
  grantEnvelope,
  grantFor,
  releaseBody,
  releaseEnvelope,
  resolution,
  resolutionBody,
  resolutionEnvelope,
  signBody,
} from './authority.js';
export type { GrantOptions } from './authority.js';
export {
  attestationAt,
  makeAttestation,
  makeOverride,
  sealAttestation,
  signRaw,
} from './attestation.js';
export type { Attestation, AttestationOptions, OverrideOptions } from './attestation.js';
export { LedgerBuilder } from './ledger.js';
export type { DecideOptions, LedgerOptions, LedgerRecord } from './ledger.js';
export { diamondLadder, mulberry32, randomDag, seededRandom } from './dags.js';
export {
  attestationValue,
  encodeIntent,
  encodeOverride,
  policyMessages,
  policyRecord,
  policyValue,
} from './records.js';
export type { PolicyRecord } from './records.js';
export { chainBreak } from './chain.js';
export type { ChainEntry } from './chain.js';
