import { describe, expect, it } from 'vitest';
import {
  GRANT_PAYLOAD_TYPE,
  GRANT_TYPE,
  canonicalBytes,
  fromDsse,
  nobleEd25519,
  parseGrant,
  sha256Hex,
  toBase64,
  toDsse,
  utf8,
  verifyGrant,
} from '../index.js';
import type { DsseEnvelope, GrantRequest, JsonValue, TrustStore } from '../index.js';
import {
  GRANT_FROM,
  GRANT_UNTIL,
  errorOf,
  grantBody,
  grantEnvelope,
  nodeEd25519Verifier,
  signBody,
  signRaw,
  keyring,
  trustStoreOf,
  trustedKey,
} from '@lineage/testkit';

const {
  keys: { principal, agent, other },
  trust,
} = keyring({ principal: ['principal'], agent: ['agent'], other: ['principal'] });
const node = nodeEd25519Verifier();

const request: GrantRequest = {
  agent: agent.keyid,
  action: 'payments.transfer',
  resource: 'account:42',
  policyId: 'default',
  at: '2024-06-01T11:59:59Z',
};
const validGrant = grantEnvelope(principal, grantBody(principal, agent));

function verify(
  grant: JsonValue | null,
  req: Partial<GrantRequest> = {},
  store: TrustStore = trust,
): ReturnType<typeof verifyGrant> {
  return verifyGrant(grant, { ...request, ...req }, { trust: store, ed25519: node });
}
const grantFails = (code: string) => ({ type: 'GrantError', code });
// A grant by `principal` with these fields changed, properly signed.
const grantWith = (overrides: Record<string, unknown>) =>
  toDsse(signBody(principal, GRANT_PAYLOAD_TYPE, grantBody(principal, agent, overrides)));

describe('verifyGrant', () => {
  it('accepts a grant signed by its principal, with noble and node:crypto', () => {
    for (const ed25519 of [nobleEd25519, node]) {
      const verified = verifyGrant(validGrant as unknown as JsonValue, request, { trust, ed25519 });
      expect(verified.grant).toEqual(grantBody(principal, agent));
      // The digest is the SHA-256 of the grant payload bytes.
      expect(verified.digest).toBe(sha256Hex(fromDsse(validGrant).payload));
    }
  });

  it('signGrant signs the canonical grant payload under the grant payload type', () => {
    // Ed25519 is deterministic: the library signer and a hand-built envelope must agree byte for byte.
    expect(validGrant).toEqual(
      toDsse(signBody(principal, GRANT_PAYLOAD_TYPE, grantBody(principal, agent))),
    );
  });

  it('GRANT_MISSING: a root intent without a grant', () => {
    expect(errorOf(() => verify(null))).toEqual(grantFails('GRANT_MISSING'));
  });

  describe('GRANT_INVALID', () => {
    const tamperedSig = (g: DsseEnvelope): DsseEnvelope => {
      const raw = fromDsse(g);
      const sig = new Uint8Array(raw.signatures[0]!.sig);
      sig[10] = sig[10]! ^ 0x40;
      return toDsse({ ...raw, signatures: [{ keyid: raw.signatures[0]!.keyid, sig }] });
    };
    // Signed by `other`'s private key, but under the principal's key id.
    const impostor = toDsse(
      signRaw(
        { ...other, signer: { keyid: principal.keyid, sign: other.signer.sign } },
        GRANT_PAYLOAD_TYPE,
        canonicalBytes(grantBody(principal, agent)),
      ),
    );

    it.each<[string, unknown]>([
      ['a string instead of an envelope', 'grant'],
      ['an object that is not an envelope', { principal: 'alice', scope: ['*'] }],
      ['a payload that is not base64', { ...validGrant, payload: '!!' }],
      [
        'the wrong payload type',
        toDsse(signBody(principal, 'application/json', grantBody(principal, agent))),
      ],
      ['a tampered signature', tamperedSig(validGrant)],
      ['a signature by another key', grantEnvelope(other, grantBody(principal, agent))],
      ['another key signing under the principal’s key id', impostor],
      ['no signature', { ...validGrant, signatures: [] }],
      [
        'a short signature',
        {
          ...validGrant,
          signatures: [{ keyid: principal.keyid, sig: toBase64(new Uint8Array(32)) }],
        },
      ],
      [
        'a tampered payload',
        {
          ...validGrant,
          payload: toBase64(canonicalBytes(grantBody(principal, agent, { grant_id: 'grant-2' }))),
        },
      ],
    ])('%s', (_name, grant) => {
      expect(errorOf(() => verify(grant as JsonValue))).toEqual(grantFails('GRANT_INVALID'));
    });

    it.each<[string, Record<string, unknown>]>([
      ['another _type', { _type: 'https://lineage.dev/Grant/v2' }],
      ['an unknown field', { note: 'x' }],
      ['no grant_id', { grant_id: undefined }],
      ['a numeric grant_id', { grant_id: 1 }],
      ['a 129-char grant_id', { grant_id: 'g'.repeat(129) }],
      ['a principal that is not a key id', { principal: 'alice' }],
      ['an uppercase principal key id', { principal: principal.keyid.toUpperCase() }],
      ['an agent that is not a key id', { agent: 'agent-7' }],
      ['no scope', { scope: undefined }],
      ['a scope that is a list', { scope: ['payments.*'] }],
      ['a malformed action pattern', { scope: { actions: ['payments.**'], resources: [] } }],
      ['no policy', { policy: undefined }],
      ['a 65-char policy', { policy: 'p'.repeat(65) }],
      ['valid_from not a timestamp', { valid_from: '2024-05-01' }],
      ['valid_until with an offset', { valid_until: '2024-07-01T00:00:00+02:00' }],
      ['no issued_at', { issued_at: undefined }],
      ['an empty window', { valid_until: GRANT_FROM }],
      ['a window that ends before it starts', { valid_from: GRANT_UNTIL, valid_until: GRANT_FROM }],
    ])('malformed: %s', (_name, overrides) => {
      expect(errorOf(() => verify(grantWith(overrides) as unknown as JsonValue))).toEqual(
        grantFails('GRANT_INVALID'),
      );
    });

    it('malformed: a payload that is not canonical JSON', () => {
      const text = JSON.stringify(grantBody(principal, agent), null, 2);
      const grant = toDsse(signRaw(principal, GRANT_PAYLOAD_TYPE, utf8(text)));
      expect(errorOf(() => verify(grant as unknown as JsonValue))).toEqual(
        grantFails('GRANT_INVALID'),
      );
    });
  });

  describe('GRANT_PRINCIPAL_UNTRUSTED', () => {
    const withPrincipal = (
      overrides: Parameters<typeof trustedKey>[2],
      roles = ['principal' as const],
    ) => trustStoreOf(trustedKey(principal, [...roles], overrides), trustedKey(agent, ['agent']));

    it.each<[string, TrustStore]>([
      ['a principal not in the trust store', trustStoreOf(trustedKey(agent, ['agent']))],
      ['a principal key without the principal role', withPrincipal({}, ['approver'] as never)],
      [
        'a principal key revoked after issue, before use',
        withPrincipal({ revoked_at: '2024-06-01T00:00:00Z' }),
      ],
      [
        'a principal key revoked before issue',
        withPrincipal({ revoked_at: '2024-04-01T00:00:00Z' }),
      ],
      [
        'a principal key expired before use',
        withPrincipal({ valid_until: '2024-06-01T00:00:00Z' }),
      ],
      [
        'a principal key not yet valid at issue',
        withPrincipal({ valid_from: '2024-05-15T00:00:00Z' }),
      ],
    ])('%s', (_name, store) => {
      expect(errorOf(() => verify(validGrant as unknown as JsonValue, {}, store))).toEqual(
        grantFails('GRANT_PRINCIPAL_UNTRUSTED'),
      );
    });

    it('accepts a principal key revoked only after use', () => {
      const store = withPrincipal({ revoked_at: '2024-06-02T00:00:00Z' });
      expect(verify(validGrant as unknown as JsonValue, {}, store).grant.grant_id).toBe('grant-1');
    });
  });

  describe('GRANT_EXPIRED', () => {
    it.each<[string, string]>([
      ['before the window', '2024-04-30T23:59:59Z'],
      ['at the end of the window', GRANT_UNTIL],
      ['after the window', '2024-07-02T00:00:00Z'],
    ])('used %s', (_name, at) => {
      expect(errorOf(() => verify(validGrant as unknown as JsonValue, { at }))).toEqual(
        grantFails('GRANT_EXPIRED'),
      );
    });

    it('accepts use at the start of the window', () => {
      expect(verify(validGrant as unknown as JsonValue, { at: GRANT_FROM }).grant.valid_from).toBe(
        GRANT_FROM,
      );
    });

    it('fails closed on a use time that is not a timestamp', () => {
      expect(
        errorOf(() => verify(validGrant as unknown as JsonValue, { at: 'yesterday' })),
      ).toEqual(grantFails('GRANT_EXPIRED'));
    });
  });

  describe('GRANT_OUT_OF_SCOPE', () => {
    it.each<[string, Partial<GrantRequest>]>([
      ['another agent', { agent: other.keyid }],
      ['an action outside the patterns', { action: 'reports.read' }],
      ['the bare prefix of a pattern', { action: 'payments' }],
      ['a resource outside the prefixes', { resource: 'ledger:42' }],
      ['another policy', { policyId: 'strict' }],
    ])('%s', (_name, req) => {
      expect(errorOf(() => verify(validGrant as unknown as JsonValue, req))).toEqual(
        grantFails('GRANT_OUT_OF_SCOPE'),
      );
    });

    it('covers the intent under any of several patterns and prefixes', () => {
      const grant = grantWith({
        scope: { actions: ['reports.read', 'payments.*'], resources: ['ledger:', 'account:4'] },
      });
      expect(verify(grant as unknown as JsonValue).grant.scope.actions).toContain('payments.*');
    });
  });
});

describe('parseGrant', () => {
  it('reads every field of a canonical grant payload', () => {
    const body = grantBody(principal, agent);
    expect(parseGrant(canonicalBytes(body))).toEqual({ ...body, _type: GRANT_TYPE });
  });

  it.each<[string, Uint8Array]>([
    ['bytes that are not UTF-8', new Uint8Array([0xff, 0xfe])],
    ['bytes that are not JSON', utf8('{')],
    ['a JSON array', utf8('[]')],
    [
      'a grant over 64 KiB',
      canonicalBytes(grantBody(principal, agent, { grant_id: 'g'.repeat(70_000) })),
    ],
  ])('refuses %s with GRANT_INVALID', (_name, bytes) => {
    expect(errorOf(() => parseGrant(bytes))).toEqual(grantFails('GRANT_INVALID'));
  });
});
