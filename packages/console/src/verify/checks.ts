import {
  BundleError,
  loadTrustStore,
  nobleEd25519,
  ProtocolError,
  verifyBundle,
} from '@lineage/protocol';
import type { TrustStore, VerifiedBundle } from '@lineage/protocol';

/** One check of `verifyBundle`, in the order it runs them, with the codes its failure carries. */
interface CheckSpec {
  id: string;
  label: string;
  codes: readonly string[];
}

const SIGNATURE_CODES = [
  'ENVELOPE_MALFORMED',
  'PAYLOAD_TYPE_UNSUPPORTED',
  'SIGNATURE_MISSING',
  'KEY_UNKNOWN',
  'KEY_ROLE_MISMATCH',
  'KEY_NOT_VALID_AT',
  'SIGNATURE_INVALID',
  'STATEMENT_MALFORMED',
  'PREDICATE_TYPE_UNSUPPORTED',
  'SUBJECT_MISMATCH',
];

const check = (id: string, label: string, codes: readonly string[]): CheckSpec => ({
  id,
  label,
  codes,
});

/** The checks of `@lineage/protocol`'s `verifyBundle`, in its order (see its steps). */
export const CHECKS: readonly CheckSpec[] = [
  check('shape', 'The bundle has the documented shape', ['BUNDLE_MALFORMED']),
  check('trust', 'Every bundled key is the key the trust store names', [
    'KEY_MISMATCH',
    'TRUST_STORE_MALFORMED',
  ]),
  check('releases', 'Every bundled release is signed by a trusted release key', [
    'RELEASE_INVALID',
  ]),
  check('signatures', 'Every attestation is signed by a trusted governance key', SIGNATURE_CODES),
  check('settled', 'The execution is decided in the bundle; its override answers it validly', [
    'BUNDLE_TARGET_MISSING',
    'OVERRIDE_INVALID',
  ]),
  check('ancestry', 'Every ancestor is present and was allowed', [
    'ANCESTOR_MISSING',
    'ANCESTOR_NOT_ALLOWED',
  ]),
  check('intents', "Every allowed execution's intent is signed by its agent", [
    'INTENT_SIGNATURE_INVALID',
    'INTENT_MALFORMED',
  ]),
  check('policies', 'Every pinned policy is bundled and hashes to its pin', [
    'POLICY_MISSING',
    'POLICY_HASH_MISMATCH',
  ]),
  check('inclusion', 'Merkle inclusion proofs lead to signed (and witnessed) checkpoints', [
    'CHECKPOINT_INVALID',
    'INCLUSION_PROOF_INVALID',
    'WITNESS_QUORUM_MISSING',
    'COSIGNATURE_INVALID',
    'CONSISTENCY_PROOF_INVALID',
  ]),
];

export type CheckStatus = 'pass' | 'fail' | 'skipped' | 'info';

/** A check's outcome as the page shows it. */
export interface CheckResult {
  id: string;
  label: string;
  status: CheckStatus;
  detail: string;
}

/** What verifying a bundle in the page found. */
export interface Verification {
  valid: boolean;
  /** The failing check's code (`BundleError`/`VerificationError`), or NOT_JSON for unreadable input. */
  code: string | null;
  /** The execution the failure concerns, when the verifier names one. */
  execution: string | null;
  checks: CheckResult[];
  result: VerifiedBundle | null;
  /** Whose keys signatures were checked against. */
  keys: 'trust store' | 'bundle';
}

/**
 * Runs `verifyBundle` (noble Ed25519) on a bundle, against a trust store when one is given, and
 * reports every check: those before the failing one passed, the failing one carries its code, the
 * rest did not run. Never throws: unreadable input is a failed first check.
 */
export function verifyInPage(bundle: unknown, trustDocument?: unknown): Verification {
  let trust: TrustStore | undefined;
  const keys = trustDocument === undefined ? 'bundle' : 'trust store';
  try {
    if (trustDocument !== undefined) trust = loadTrustStore(trustDocument);
    const result = verifyBundle(bundle, { ed25519: nobleEd25519, ...(trust && { trust }) });
    return {
      ...{ valid: true, code: null, execution: null, result, keys },
      checks: passed(result, trust !== undefined),
    };
  } catch (error) {
    if (!(error instanceof ProtocolError)) throw error;
    const execution = error instanceof BundleError ? error.executionId : null;
    return { valid: false, code: error.code, execution, checks: failed(error), result: null, keys };
  }
}

// Every check passed; inclusion and runtime provenance say how much the bundle proves.
function passed(result: VerifiedBundle, withTrust: boolean): CheckResult[] {
  const n = result.attestations.length;
  const checks: CheckResult[] = CHECKS.map((c) => ({ ...c, status: 'pass', detail: '' }));
  // Without a trust store the bundle's own keys are the only keys: nothing to compare them with.
  if (!withTrust)
    Object.assign(
      checks.find((c) => c.id === 'trust')!,
      {
        status: 'info',
        detail: "no trust store given: the bundle's own keys were used",
      },
    );
  checks.find((c) => c.id === 'signatures')!.detail = `${n} attestations`;
  const proven = result.attestations.filter((a) => a.included).length;
  const inclusion = checks.find((c) => c.id === 'inclusion')!;
  inclusion.detail = `${proven} of ${n} proven included`;
  if (!result.included) inclusion.status = 'info';
  checks.push({
    id: 'runtime',
    label: 'runtime_verified: a signed release vouches for every governance runtime',
    status: 'info',
    detail: String(result.runtimeVerified),
  });
  return checks;
}

// The failing check carries the code; earlier checks passed, later ones never ran.
function failed(error: ProtocolError): CheckResult[] {
  const at = CHECKS.findIndex((c) => c.codes.includes(error.code));
  return CHECKS.map((c, i) => ({
    ...c,
    status: at === -1 || i > at ? 'skipped' : i === at ? 'fail' : 'pass',
    detail: i === at ? `${error.code}: ${error.message}` : '',
  }));
}
