export {
  nodeEd25519,
  nodeSha256,
  memoizedEd25519,
  nodeSigner,
  publicKeyObject,
  privateKeyObject,
  rawPublicKey,
} from './ed25519.js';
export type { PrefetchingEd25519 } from './ed25519.js';
export { generateKeyPair, writeKeyFile, readKeyFile, trustedKey } from './keyfile.js';
export type { KeyPair } from './keyfile.js';
export { readTrustStore, writeTrustStore } from './truststore.js';
export { KeyFileError } from './errors.js';
export type { KeyFileErrorCode } from './errors.js';
