export { loadTrustStore, keyIdOf, keyUnusableAt, requireKey, KEY_ROLES } from './store.js';
export type {
  KeyRole,
  TrustedKey,
  TrustStore,
  TrustStoreDocument,
  WitnessPolicy,
} from './store.js';
