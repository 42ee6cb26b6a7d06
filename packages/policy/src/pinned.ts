import { loadPolicy } from './document.js';
import type { LoadedPolicy } from './document.js';
import { PolicyError } from './errors.js';

/** A stored policy document loaded against the hash an attestation pinned, or why it cannot be. */
export type Pinned =
  | { policy: LoadedPolicy }
  /** No document is stored under the hash. */
  | { code: 'POLICY_MISSING' }
  /** The stored document does not hash to the pinned hash (or is not a policy at all). */
  | { code: 'POLICY_HASH_MISMATCH' };

/**
 * Loads the stored document (parsed, or as its JSON text) that an attestation's pinned policy
 * hash names: it must exist and hash exactly to that hash. Never throws on malformed content.
 */
export function loadPinned(hash: string, stored: unknown): Pinned {
  if (stored === undefined || stored === null) return { code: 'POLICY_MISSING' };
  let document: unknown = stored;
  // A stored document is attacker-reachable bytes: unparseable text is a mismatch, not a crash.
  if (typeof stored === 'string') {
    try {
      document = JSON.parse(stored) as unknown;
    } catch {
      return { code: 'POLICY_HASH_MISMATCH' };
    }
  }
  try {
    const policy = loadPolicy(document);
    return policy.ref.hash === hash ? { policy } : { code: 'POLICY_HASH_MISMATCH' };
  } catch (e) {
    if (e instanceof PolicyError) return { code: 'POLICY_HASH_MISMATCH' };
    throw e;
  }
}
