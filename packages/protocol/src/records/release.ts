import type { JsonValue } from '../encoding/canonical.js';
import { canonicalBytes, parseCanonical } from '../encoding/canonical.js';
import { digestOf } from '../encoding/digest.js';
import type { RawEnvelope } from '../encoding/dsse.js';
import { signEnvelope } from '../encoding/dsse.js';
import type { Ed25519Verifier, Signer } from '../encoding/ed25519.js';
import { VerificationError } from '../errors.js';
import { isDigest } from './ids.js';
import type { Digest } from './ids.js';
import { asArray, asObject, asTimestamp, onlyKeys } from '../encoding/shape.js';
import type { TrustStore } from '../trust/store.js';
import { keyUnusableAt } from '../trust/store.js';
import { verifyEnvelopeSignature } from '../verify/attestation.js';

export const RELEASE_PAYLOAD_TYPE = 'application/vnd.lineage.release.v1+json';
export const RELEASE_TYPE = 'https://lineage.dev/RuntimeRelease/v1';

/** A runtime a release vouches for: its manifest and the manifest's hash (`runtime_hash`). */
export interface ReleasedRuntime {
  hash: Digest;
  manifest: JsonValue;
}

/** A signed release manifest: the governance runtimes its signer vouches for. */
export interface ReleaseBody {
  _type: typeof RELEASE_TYPE;
  runtimes: ReleasedRuntime[];
  issued_at: string;
}

/**
 * Parses a release payload from untrusted bytes; every listed hash must be the SHA-256 of the RFC
 * 8785 form of the manifest beside it.
 * @throws VerificationError STATEMENT_MALFORMED.
 */
export function parseRelease(payload: Uint8Array): ReleaseBody {
  const fail = (what: string) => new VerificationError('STATEMENT_MALFORMED', what);
  let value: JsonValue;
  try {
    value = parseCanonical(payload, { maxBytes: 1 << 20, maxDepth: 16 });
  } catch (cause) {
    throw new VerificationError('STATEMENT_MALFORMED', `release: ${(cause as Error).message}`, {
      cause,
    });
  }
  const o = asObject(value, 'release', fail);
  onlyKeys(o, ['_type', 'runtimes', 'issued_at'], 'release', fail);
  if (o._type !== RELEASE_TYPE) throw fail('release _type is not ' + RELEASE_TYPE);
  const runtimes = asArray(o.runtimes, 'runtimes', fail, 1000).map((r, i) => {
    const ro = asObject(r, `runtimes[${i}]`, fail);
    onlyKeys(ro, ['hash', 'manifest'], `runtimes[${i}]`, fail);
    if (!isDigest(ro.hash)) throw fail(`runtimes[${i}].hash is not a digest`);
    // A missing manifest would make digestOf throw an EncodingError instead of our typed refusal.
    if (ro.manifest === undefined) throw fail(`runtimes[${i}] has no manifest`);
    // The hash must be the manifest's, so a release cannot vouch for a hash it does not describe.
    if (digestOf(ro.manifest) !== ro.hash) throw fail(`runtimes[${i}].hash is not its manifest's`);
    return { hash: ro.hash, manifest: ro.manifest as JsonValue };
  });
  return { _type: RELEASE_TYPE, runtimes, issued_at: asTimestamp(o.issued_at, 'issued_at', fail) };
}

/**
 * Verifies a signed release manifest: payload type, a signature by a trusted key with the `release`
 * role that was valid when the release was issued, and the manifest list. Pure.
 * @throws VerificationError PAYLOAD_TYPE_UNSUPPORTED, SIGNATURE_*, KEY_*, STATEMENT_MALFORMED.
 */
export function verifyRelease(
  envelope: RawEnvelope,
  ctx: { trust: TrustStore; ed25519: Ed25519Verifier },
): ReleaseBody {
  // The payload must be a release manifest.
  if (envelope.payload_type !== RELEASE_PAYLOAD_TYPE)
    throw new VerificationError(
      'PAYLOAD_TYPE_UNSUPPORTED',
      `payload type ${envelope.payload_type}`,
    );
  // A trusted release key must have signed exactly these bytes.
  const signer = verifyEnvelopeSignature(envelope, 'release', ctx.trust, ctx.ed25519);
  const release = parseRelease(envelope.payload);
  // The key must have been valid when the release was issued.
  const unusable = keyUnusableAt(signer, release.issued_at);
  if (unusable)
    throw new VerificationError(
      'KEY_NOT_VALID_AT',
      `release key ${unusable} at ${release.issued_at}`,
    );
  return release;
}

/** The runtime hashes that a set of verified releases vouch for. */
export function knownRuntimeHashes(releases: readonly ReleaseBody[]): Set<string> {
  return new Set(releases.flatMap((r) => r.runtimes.map((x) => x.hash)));
}

/**
 * Signs a release manifest vouching for runtimes (each hash computed from its manifest).
 * @throws EncodingError when a manifest holds a value canonical JSON cannot carry.
 */
export function signRelease(
  manifests: readonly JsonValue[],
  issuedAt: string,
  releaseKey: Signer,
): RawEnvelope {
  const body: ReleaseBody = {
    _type: RELEASE_TYPE,
    runtimes: manifests.map((manifest) => ({ hash: digestOf(manifest), manifest })),
    issued_at: issuedAt,
  };
  return signEnvelope(RELEASE_PAYLOAD_TYPE, canonicalBytes(body), releaseKey);
}
