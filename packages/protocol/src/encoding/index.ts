export { canonicalize, canonicalBytes, parseCanonical, DEFAULT_LIMITS } from './canonical.js';
export type { JsonValue, CanonicalLimits } from './canonical.js';
export {
  utf8,
  fromUtf8,
  toBase64,
  fromBase64,
  toHex,
  fromHex,
  concatBytes,
  bytesEqual,
} from './bytes.js';
export { sha256Hex, sha256Bytes, digestOf, nobleSha256 } from './digest.js';
export type { Sha256 } from './digest.js';
export { nobleEd25519, nobleSigner, noblePublicKey, isStrongPublicKey } from './ed25519.js';
export type { Ed25519Verifier, SignatureCheck, Signer } from './ed25519.js';
export { pae, signEnvelope, toDsse, fromDsse } from './dsse.js';
export type { RawEnvelope, DsseEnvelope } from './dsse.js';
