export { verifyAttestation, verifyEnvelopeSignature, attestationDigest } from './attestation.js';
export type { VerifyContext, VerifiedAttestation } from './attestation.js';
export { buildBundle, verifyBundle, isBundle, BUNDLE_MEDIA_TYPE } from './bundle.js';
export type {
  EvidenceBundle,
  BundledPolicy,
  IncludedAttestation,
  VerifiedBundle,
} from './bundle.js';
