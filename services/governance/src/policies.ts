import { canonicalize } from '@lineage/protocol';
import type { PolicyRef } from '@lineage/protocol';
import { PolicyError, loadPolicy } from '@lineage/policy';
import type { LoadedPolicy } from '@lineage/policy';
import type { PolicyRecord } from '@lineage/schemas';

/** Why a policies-topic record was refused. */
export type PolicyRefusal = 'HASH_MISMATCH' | 'NOT_A_POLICY' | 'REF_MISMATCH';

/** What {@link PolicyBook.consider} made of a record. */
export type PolicyConsidered =
  | { type: 'activated'; ref: PolicyRef }
  | { type: 'known'; ref: PolicyRef }
  | { type: 'refused'; reason: PolicyRefusal; detail: string };

/**
 * Every policy document governance knows, by hash, and the one that decides new intents. The
 * active policy changes only to a higher version of the same policy id (a rollout); documents of
 * other ids or older versions stay known, so decisions pinned to them can still be resolved.
 */
export class PolicyBook {
  private readonly known = new Map<string, LoadedPolicy>();
  private current: LoadedPolicy;

  constructor(configured: LoadedPolicy) {
    this.current = configured;
    this.known.set(configured.ref.hash, configured);
  }

  /** The policy that decides intents now. */
  get active(): LoadedPolicy {
    return this.current;
  }

  /** A known policy by hash. */
  byHash(hash: string): LoadedPolicy | undefined {
    return this.known.get(hash);
  }

  /**
   * Considers one record of the policies topic, failing closed: the document must load as a policy
   * and hash to the record's key and hash, and the record's id and version must be the document's.
   * Never throws on malformed input.
   */
  consider(key: string | null, record: PolicyRecord): PolicyConsidered {
    let loaded: LoadedPolicy;
    // The document must be a loadable policy.
    try {
      loaded = loadPolicy(JSON.parse(record.document) as unknown);
    } catch (e) {
      if (e instanceof PolicyError || e instanceof SyntaxError)
        return { type: 'refused', reason: 'NOT_A_POLICY', detail: (e as Error).message };
      throw e;
    }
    // It must be exactly the document its hash and key name.
    if (loaded.ref.hash !== record.hash || (key !== null && key !== record.hash))
      return {
        type: 'refused',
        reason: 'HASH_MISMATCH',
        detail: `document hashes to ${loaded.ref.hash}, record says ${record.hash}`,
      };
    // The record's id and version must be the document's own.
    if (loaded.ref.id !== record.id || loaded.ref.version !== record.version)
      return {
        type: 'refused',
        reason: 'REF_MISMATCH',
        detail: `record names ${record.id} v${record.version}, document is ${loaded.ref.id} v${loaded.ref.version}`,
      };
    this.known.set(loaded.ref.hash, loaded);
    if (loaded.ref.id === this.current.ref.id && loaded.ref.version > this.current.ref.version) {
      this.current = loaded;
      return { type: 'activated', ref: loaded.ref };
    }
    return { type: 'known', ref: loaded.ref };
  }
}

/** The policies-topic record of a loaded policy: its canonical document, keyed by hash. */
export function policyRecord(policy: LoadedPolicy, activatedAt: Date): PolicyRecord {
  return {
    hash: policy.ref.hash,
    id: policy.ref.id,
    version: policy.ref.version,
    document: canonicalize(policy.document),
    activated_at: activatedAt.toISOString(),
  };
}
