import { describe, expect, it } from 'vitest';
import {
  RELEASE_PAYLOAD_TYPE,
  RELEASE_TYPE,
  canonicalBytes,
  digestOf,
  knownRuntimeHashes,
  nobleEd25519,
  parseRelease,
  sha256Hex,
  utf8,
  verifyRelease,
} from '../index.js';
import type { JsonValue, RawEnvelope, TrustStore } from '../index.js';
import {
  RELEASED_AT,
  RUNTIME_MANIFEST,
  RUNTIME_MANIFEST_HASH,
  errorOf,
  flipped,
  releaseBody,
  releaseEnvelope,
  signBody,
  signRaw,
  keyring,
  trustStoreOf,
  trustedKey,
} from '@lineage/testkit';

const {
  keys: { releaser, governance, stranger },
  trust,
} = keyring({ releaser: ['release'], governance: ['governance'], stranger: null });
const NEXT_MANIFEST: JsonValue = { name: 'lineage-governance', version: '1.1.0' };

const fails = (code: string) => ({ type: 'VerificationError', code });
const verify = (envelope: RawEnvelope, store: TrustStore = trust) =>
  verifyRelease(envelope, { trust: store, ed25519: nobleEd25519 });

describe('parseRelease', () => {
  it('reads the runtimes a release vouches for', () => {
    const release = parseRelease(canonicalBytes(releaseBody([RUNTIME_MANIFEST, NEXT_MANIFEST])));
    expect(release).toEqual({
      _type: RELEASE_TYPE,
      runtimes: [
        { hash: RUNTIME_MANIFEST_HASH, manifest: RUNTIME_MANIFEST },
        { hash: digestOf(NEXT_MANIFEST), manifest: NEXT_MANIFEST },
      ],
      issued_at: RELEASED_AT,
    });
  });

  it('reads a release that vouches for nothing', () => {
    expect(parseRelease(canonicalBytes(releaseBody([]))).runtimes).toEqual([]);
  });

  it.each<[string, Record<string, unknown>]>([
    [
      'a hash that is another manifest’s',
      { runtimes: [{ hash: digestOf(NEXT_MANIFEST), manifest: RUNTIME_MANIFEST }] },
    ],
    [
      // The hash is over the RFC 8785 form, not over whatever bytes the manifest was written as.
      'a hash over a non-canonical form of the manifest',
      {
        runtimes: [
          {
            hash: sha256Hex(utf8(JSON.stringify(RUNTIME_MANIFEST, null, 2))),
            manifest: RUNTIME_MANIFEST,
          },
        ],
      },
    ],
    [
      'a hash that is not a digest',
      { runtimes: [{ hash: 'sha256:abc', manifest: RUNTIME_MANIFEST }] },
    ],
    ['a runtime without a manifest', { runtimes: [{ hash: RUNTIME_MANIFEST_HASH }] }],
    ['a runtime without a hash', { runtimes: [{ manifest: RUNTIME_MANIFEST }] }],
    [
      'a runtime with an unknown field',
      { runtimes: [{ hash: RUNTIME_MANIFEST_HASH, manifest: RUNTIME_MANIFEST, signed: true }] },
    ],
    ['a runtime that is a bare hash', { runtimes: [RUNTIME_MANIFEST_HASH] }],
    ['runtimes that are not a list', { runtimes: { hash: RUNTIME_MANIFEST_HASH } }],
    ['an unknown field', { note: 'x' }],
    ['another _type', { _type: 'https://lineage.dev/RuntimeRelease/v2' }],
    ['no issued_at', { issued_at: undefined }],
    ['issued_at that is not a timestamp', { issued_at: 'March 2024' }],
  ])('refuses %s with STATEMENT_MALFORMED', (_name, overrides) => {
    expect(
      errorOf(() => parseRelease(canonicalBytes(releaseBody([RUNTIME_MANIFEST], overrides)))),
    ).toEqual(fails('STATEMENT_MALFORMED'));
  });

  it.each<[string, Uint8Array]>([
    ['bytes that are not JSON', utf8('release 1.0.0')],
    ['JSON that is not canonical', utf8(JSON.stringify(releaseBody(), null, 2))],
    ['a JSON string', utf8('"release"')],
  ])('refuses %s with STATEMENT_MALFORMED', (_name, bytes) => {
    expect(errorOf(() => parseRelease(bytes))).toEqual(fails('STATEMENT_MALFORMED'));
  });
});

describe('verifyRelease', () => {
  it('accepts a release signed by a release key valid when it was issued', () => {
    const release = verify(releaseEnvelope(releaser));
    expect(release.runtimes.map((r) => r.hash)).toEqual([RUNTIME_MANIFEST_HASH]);
  });

  it('signRelease signs the canonical release, each hash computed from its manifest', () => {
    expect(releaseEnvelope(releaser, [RUNTIME_MANIFEST, NEXT_MANIFEST])).toEqual(
      signBody(releaser, RELEASE_PAYLOAD_TYPE, releaseBody([RUNTIME_MANIFEST, NEXT_MANIFEST])),
    );
  });

  it('accepts a release whose key was revoked only after it was issued', () => {
    const store = trustStoreOf(
      trustedKey(releaser, ['release'], { revoked_at: '2024-04-01T00:00:00Z' }),
    );
    expect(verify(releaseEnvelope(releaser), store).issued_at).toBe(RELEASED_AT);
  });

  it.each<[string, () => RawEnvelope, TrustStore | undefined, string]>([
    [
      'the wrong payload type',
      () => signBody(releaser, 'application/json', releaseBody()),
      undefined,
      'PAYLOAD_TYPE_UNSUPPORTED',
    ],
    [
      'no signature',
      () => ({ ...releaseEnvelope(releaser), signatures: [] }),
      undefined,
      'SIGNATURE_MISSING',
    ],
    ['a key not in the trust store', () => releaseEnvelope(stranger), undefined, 'KEY_UNKNOWN'],
    [
      'a governance key (wrong role)',
      () => releaseEnvelope(governance),
      undefined,
      'KEY_ROLE_MISMATCH',
    ],
    [
      'a payload changed after signing',
      () => {
        const env = releaseEnvelope(releaser);
        return { ...env, payload: canonicalBytes(releaseBody([NEXT_MANIFEST])) };
      },
      undefined,
      'SIGNATURE_INVALID',
    ],
    [
      'a flipped signature bit',
      () => {
        const env = releaseEnvelope(releaser);
        return {
          ...env,
          signatures: [{ keyid: releaser.keyid, sig: flipped(env.signatures[0]!.sig, 3) }],
        };
      },
      undefined,
      'SIGNATURE_INVALID',
    ],
    [
      'a signed hash that is not its manifest’s',
      () =>
        signBody(
          releaser,
          RELEASE_PAYLOAD_TYPE,
          releaseBody([], {
            runtimes: [{ hash: digestOf(NEXT_MANIFEST), manifest: RUNTIME_MANIFEST }],
          }),
        ),
      undefined,
      'STATEMENT_MALFORMED',
    ],
    [
      'a signed payload that is not canonical',
      () => signRaw(releaser, RELEASE_PAYLOAD_TYPE, utf8(JSON.stringify(releaseBody(), null, 1))),
      undefined,
      'STATEMENT_MALFORMED',
    ],
    [
      'a key not yet valid when the release was issued',
      () => releaseEnvelope(releaser),
      trustStoreOf(trustedKey(releaser, ['release'], { valid_from: '2024-03-02T00:00:00Z' })),
      'KEY_NOT_VALID_AT',
    ],
    [
      'a key revoked before the release was issued',
      () => releaseEnvelope(releaser),
      trustStoreOf(trustedKey(releaser, ['release'], { revoked_at: '2024-02-01T00:00:00Z' })),
      'KEY_NOT_VALID_AT',
    ],
    [
      'a key expired before the release was issued',
      () => releaseEnvelope(releaser),
      trustStoreOf(trustedKey(releaser, ['release'], { valid_until: RELEASED_AT })),
      'KEY_NOT_VALID_AT',
    ],
  ])('refuses %s', (_name, envelope, store, code) => {
    expect(errorOf(() => verify(envelope(), store))).toEqual(fails(code));
  });
});

describe('knownRuntimeHashes', () => {
  it('is the union of the hashes every release vouches for', () => {
    const a = parseRelease(canonicalBytes(releaseBody([RUNTIME_MANIFEST])));
    const b = parseRelease(canonicalBytes(releaseBody([NEXT_MANIFEST, RUNTIME_MANIFEST])));
    expect([...knownRuntimeHashes([a, b])].sort()).toEqual(
      [RUNTIME_MANIFEST_HASH, digestOf(NEXT_MANIFEST)].sort(),
    );
    expect(knownRuntimeHashes([]).size).toBe(0);
  });
});
