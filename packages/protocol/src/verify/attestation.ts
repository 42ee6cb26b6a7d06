import { fromBase64 } from '../encoding/bytes.js';
import { sha256Hex } from '../encoding/digest.js';
import { executionFingerprint } from '../records/fingerprint.js';
import type { RawEnvelope } from '../encoding/dsse.js';
import { fromDsse, pae } from '../encoding/dsse.js';
import type { ResolutionBody } from '../records/resolution.js';
import { RESOLUTION_PAYLOAD_TYPE, parseResolution } from '../records/resolution.js';
import type { Ed25519Verifier } from '../encoding/ed25519.js';
import { VerificationError } from '../errors.js';
import type { ProtocolError } from '../errors.js';
import type { Digest } from '../records/ids.js';
import type { Predicate, Statement } from '../records/statement.js';
import { ATTESTATION_PAYLOAD_TYPE, parseStatement } from '../records/statement.js';
import type { KeyRole, TrustStore, TrustedKey } from '../trust/store.js';
import { keyUnusableAt, requireKey } from '../trust/store.js';

/** What verification needs: trust material and the Ed25519 primitive, loaded once by the caller. */
export interface VerifyContext {
  trust: TrustStore;
  ed25519: Ed25519Verifier;
  /** Runtime hashes from a signed release manifest; absent means none are known. */
  knownRuntimes?: ReadonlySet<string>;
}

/** A verified attestation. */
export interface VerifiedAttestation {
  statement: Statement;
  predicate: Predicate;
  /** The attestation digest: SHA-256 of the DSSE payload (the canonical statement). */
  digest: Digest;
  signer: TrustedKey;
  /** False for a runtime hash not in the known set: reported, not invalid (ARCHITECTURE.md §3). */
  runtimeVerified: boolean;
}

function verifyOverrideResolution(predicate: Predicate, ctx: VerifyContext): void {
  const fail = (what: string, cause?: unknown) =>
    new VerificationError('OVERRIDE_INVALID', what, { cause });
  const ref = predicate.override!;
  let envelope: RawEnvelope;
  let resolution: ResolutionBody;
  try {
    envelope = fromDsse(ref.resolution);
    resolution = parseResolution(envelope.payload);
  } catch (cause) {
    throw fail('override resolution is malformed', cause);
  }
  if (envelope.payload_type !== RESOLUTION_PAYLOAD_TYPE)
    throw fail('override resolution has the wrong payload type');
  let approver: TrustedKey;
  try {
    approver = verifyEnvelopeSignature(envelope, 'approver', ctx.trust, ctx.ed25519);
  } catch (cause) {
    throw fail('override resolution is not signed by a trusted approver', cause);
  }
  if (approver.keyid !== resolution.approver || keyUnusableAt(approver, resolution.resolved_at))
    throw fail('override resolution signer is not its approver, or not valid then');
  const decision = resolution.resolution === 'approve' ? 'allow' : 'deny';
  if (
    resolution.pending !== ref.pending ||
    resolution.execution_id !== predicate.execution_id ||
    decision !== predicate.decision
  )
    throw fail('override does not apply its resolution');
}

/** The attestation digest used for parent links and the partition chain: SHA-256 of the payload. */
export function attestationDigest(envelope: RawEnvelope): Digest {
  return sha256Hex(envelope.payload);
}

/**
 * Checks one envelope signature by a trusted key holding `role`, without parsing the payload.
 * Returns the key; validity at a time is checked by the caller once the payload says when.
 * @throws VerificationError SIGNATURE_MISSING, KEY_UNKNOWN, KEY_ROLE_MISMATCH, SIGNATURE_INVALID.
 */
export function verifyEnvelopeSignature(
  envelope: RawEnvelope,
  role: KeyRole,
  trust: TrustStore,
  ed25519: Ed25519Verifier,
): TrustedKey {
  // The envelope must carry at least one signature.
  if (envelope.signatures.length === 0)
    throw new VerificationError('SIGNATURE_MISSING', 'envelope has no signature');
  const message = pae(envelope.payload_type, envelope.payload);
  let firstError: VerificationError | undefined;
  for (const { keyid, sig } of envelope.signatures) {
    try {
      // The signing key must be trusted and hold the role.
      const { key, publicKey } = requireKey(trust, keyid, role);
      // The Ed25519 signature must verify over PAE(payloadType, payload).
      if (sig.length === 64 && ed25519.verify(sig, message, publicKey)) return key;
      throw new VerificationError('SIGNATURE_INVALID', `signature by ${keyid} does not verify`);
    } catch (e) {
      if (!(e instanceof VerificationError)) throw e;
      firstError ??= e;
    }
  }
  throw firstError!;
}

/**
 * Verifies a governance attestation: payload type, governance signature, statement shape, that the
 * signing key was valid when the attestation was issued and is its issuer, and that an embedded
 * intent matches the subject digest. Pure and synchronous.
 * @throws VerificationError with the code of the first check that fails.
 */
export function verifyAttestation(envelope: RawEnvelope, ctx: VerifyContext): VerifiedAttestation {
  // The payload must be an in-toto statement.
  if (envelope.payload_type !== ATTESTATION_PAYLOAD_TYPE) {
    throw new VerificationError(
      'PAYLOAD_TYPE_UNSUPPORTED',
      `payload type ${envelope.payload_type}`,
    );
  }
  // A trusted governance key must have signed exactly these bytes.
  const signer = verifyEnvelopeSignature(envelope, 'governance', ctx.trust, ctx.ed25519);
  // The signed bytes must be a well-formed canonical statement with our predicate.
  const statement = parseStatement(envelope.payload);
  const { predicate } = statement;
  // The key that signed must be the issuer named inside, and valid at the issue time.
  if (predicate.issuer !== signer.keyid) {
    throw new VerificationError('KEY_ROLE_MISMATCH', 'attestation issuer is not the signing key');
  }
  const unusable = keyUnusableAt(signer, predicate.issued_at);
  if (unusable)
    throw new VerificationError(
      'KEY_NOT_VALID_AT',
      `governance key ${unusable} at ${predicate.issued_at}`,
    );
  // The fingerprint must be the documented function of the execution, its intent and the pinned policy.
  checkFingerprint(statement);
  // An embedded intent must be the one the subject digest names.
  checkEmbeddedIntent(statement);
  // An override must apply a resolution of that very pending decision, signed by a valid approver.
  if (predicate.kind === 'override') verifyOverrideResolution(predicate, ctx);
  return {
    statement,
    predicate,
    digest: attestationDigest(envelope),
    signer,
    runtimeVerified: ctx.knownRuntimes?.has(predicate.runtime_hash) ?? false,
  };
}

// The execution fingerprint must be recomputable from the subject and the pinned policy.
function checkFingerprint({ subject, predicate }: Statement): void {
  if (
    predicate.execution_fingerprint !==
    executionFingerprint(subject[0].name, subject[0].digest.sha256, predicate.policy)
  ) {
    throw new VerificationError(
      'STATEMENT_MALFORMED',
      'execution_fingerprint does not match the intent and policy',
    );
  }
}

// An embedded intent's payload must hash to the subject digest.
function checkEmbeddedIntent({ subject, predicate }: Statement): void {
  if (predicate.intent === null) return;
  let payload: Uint8Array;
  try {
    payload = fromBase64(predicate.intent.payload);
  } catch (cause) {
    throw new VerificationError('STATEMENT_MALFORMED', 'embedded intent payload is not base64', {
      cause: cause as ProtocolError,
    });
  }
  if (sha256Hex(payload) !== subject[0].digest.sha256) {
    throw new VerificationError(
      'SUBJECT_MISMATCH',
      'embedded intent does not match the subject digest',
    );
  }
}
