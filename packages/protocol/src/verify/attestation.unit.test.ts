import crypto from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  ATTESTATION_PAYLOAD_TYPE,
  INTENT_PAYLOAD_TYPE,
  PREDICATE_TYPE,
  VerificationError,
  attestationDigest,
  canonicalBytes,
  fromDsse,
  loadTrustStore,
  nobleEd25519,
  sha256Hex,
  toDsse,
  utf8,
  verifyAttestation,
  verifyEnvelopeSignature,
} from '../index.js';
import type {
  Ed25519Verifier,
  RawEnvelope,
  TrustStore,
  TrustedKey,
  VerifyContext,
} from '../index.js';
import {
  ISSUED_AT,
  RUNTIME_HASH,
  errorOf,
  flipped,
  makeAttestation,
  nodeEd25519Verifier,
  positions,
  signRaw,
  testKey,
  trustStoreDocument,
  trustedKey,
} from '@lineage/testkit';
import type { Attestation, TestKey } from '@lineage/testkit';

const fails = (code: string) => ({ type: 'VerificationError', code });

let governance: TestKey;
let agent: TestKey;
let trust: TrustStore;
let att: Attestation;
const node = nodeEd25519Verifier();
const verifiers: [string, Ed25519Verifier][] = [
  ['noble', nobleEd25519],
  ['node:crypto', node],
];

function storeWith(...keys: TrustedKey[]): TrustStore {
  // Through JSON text, as a trust store file would arrive.
  return loadTrustStore(JSON.parse(JSON.stringify(trustStoreDocument(...keys))));
}

function ctx(overrides: Partial<VerifyContext> = {}): VerifyContext {
  return { trust, ed25519: node, ...overrides };
}

/** Signs an arbitrary statement-like value as governance would (canonical bytes, in-toto type). */
function signStatement(value: unknown, key: TestKey = governance): RawEnvelope {
  return signRaw(key, ATTESTATION_PAYLOAD_TYPE, canonicalBytes(value));
}

const DROP = Symbol('drop');

/** The valid statement as plain JSON with `value` set at a dotted path ("subject.0.name"); DROP deletes. */
function statementWith(path: string, value: unknown): unknown {
  const root = JSON.parse(JSON.stringify(att.statement)) as Record<string, unknown>;
  const keys = path.split('.');
  let node = root;
  for (const k of keys.slice(0, -1)) node = node[k] as Record<string, unknown>;
  const last = keys[keys.length - 1]!;
  if (value === DROP) delete node[last];
  else node[last] = value;
  return root;
}

beforeAll(() => {
  governance = testKey();
  agent = testKey();
  trust = storeWith(trustedKey(governance, ['governance']), trustedKey(agent, ['agent']));
  att = makeAttestation({ governance, agent });
});

describe('a valid attestation', () => {
  it.each(verifiers)('verifies with %s', (_name, ed25519) => {
    const v = verifyAttestation(att.envelope, { trust, ed25519 });
    expect(v.statement).toEqual(att.statement);
    expect(v.predicate).toEqual(att.statement.predicate);
    expect(v.signer.keyid).toBe(governance.keyid);
    expect(v.digest).toBe(crypto.createHash('sha256').update(att.envelope.payload).digest('hex'));
    expect(v.digest).toBe(attestationDigest(att.envelope));
  });

  it('verifies after a trip through the DSSE JSON form', () => {
    const env = fromDsse(JSON.parse(JSON.stringify(toDsse(att.envelope))));
    expect(verifyAttestation(env, ctx()).digest).toBe(attestationDigest(att.envelope));
  });

  it('its subject is the execution and the digest of the agent-signed intent', () => {
    const subject = att.statement.subject[0];
    expect(subject.name).toBe(att.statement.predicate.execution_id);
    expect(subject.digest.sha256).toBe(
      crypto.createHash('sha256').update(att.intentPayload).digest('hex'),
    );
  });

  it('also verifies without an embedded intent', () => {
    const bare = makeAttestation({ governance, agent, embedIntent: false });
    expect(verifyAttestation(bare.envelope, ctx()).predicate.intent).toBeNull();
  });

  it('runtimeVerified is true only for a known runtime hash (ARCHITECTURE.md §3.3)', () => {
    expect(verifyAttestation(att.envelope, ctx()).runtimeVerified).toBe(false);
    expect(verifyAttestation(att.envelope, ctx({ knownRuntimes: new Set() })).runtimeVerified).toBe(
      false,
    );
    expect(
      verifyAttestation(att.envelope, ctx({ knownRuntimes: new Set([sha256Hex(utf8('other'))]) }))
        .runtimeVerified,
    ).toBe(false);
    expect(
      verifyAttestation(att.envelope, ctx({ knownRuntimes: new Set([RUNTIME_HASH]) }))
        .runtimeVerified,
    ).toBe(true);
  });
});

describe('tampering with the signed bytes', () => {
  it('flipping any payload byte fails the signature check (node:crypto, every position)', () => {
    const { payload } = att.envelope;
    expect(payload.length).toBeGreaterThan(1000);
    for (let i = 0; i < payload.length; i++) {
      const env = { ...att.envelope, payload: flipped(payload, i) };
      expect(errorOf(() => verifyAttestation(env, ctx()))).toEqual(fails('SIGNATURE_INVALID'));
    }
  });

  it('flipping a payload byte fails the signature check (noble, 300 positions, high bit)', () => {
    const { payload } = att.envelope;
    for (const i of positions(payload.length, 300)) {
      const env = { ...att.envelope, payload: flipped(payload, i, 0x80) };
      expect(errorOf(() => verifyAttestation(env, ctx({ ed25519: nobleEd25519 })))).toEqual(
        fails('SIGNATURE_INVALID'),
      );
    }
  });

  it.each(verifiers)(
    'flipping any bit pattern of any signature byte fails (%s)',
    (_name, ed25519) => {
      const sig = att.envelope.signatures[0]!.sig;
      for (let i = 0; i < sig.length; i++) {
        for (const mask of [0x01, 0x80, 0xff]) {
          const env = {
            ...att.envelope,
            signatures: [{ keyid: governance.keyid, sig: flipped(sig, i, mask) }],
          };
          expect(errorOf(() => verifyAttestation(env, { trust, ed25519 }))).toEqual(
            fails('SIGNATURE_INVALID'),
          );
        }
      }
    },
  );

  it('a truncated or extended signature fails', () => {
    const sig = att.envelope.signatures[0]!.sig;
    for (const bad of [sig.subarray(0, 63), new Uint8Array([...sig, 0]), new Uint8Array(0)]) {
      const env = { ...att.envelope, signatures: [{ keyid: governance.keyid, sig: bad }] };
      expect(errorOf(() => verifyAttestation(env, ctx()))).toEqual(fails('SIGNATURE_INVALID'));
    }
  });
});

describe('each check has its own code', () => {
  it('wrong payload type → PAYLOAD_TYPE_UNSUPPORTED (even when validly signed)', () => {
    const relabelled = { ...att.envelope, payload_type: 'application/vnd.in-toto+jsoN' };
    expect(errorOf(() => verifyAttestation(relabelled, ctx()))).toEqual(
      fails('PAYLOAD_TYPE_UNSUPPORTED'),
    );
    const signedAsIntent = signRaw(governance, INTENT_PAYLOAD_TYPE, att.envelope.payload);
    expect(errorOf(() => verifyAttestation(signedAsIntent, ctx()))).toEqual(
      fails('PAYLOAD_TYPE_UNSUPPORTED'),
    );
  });

  it('no signatures → SIGNATURE_MISSING', () => {
    expect(errorOf(() => verifyAttestation({ ...att.envelope, signatures: [] }, ctx()))).toEqual(
      fails('SIGNATURE_MISSING'),
    );
  });

  it('a key the trust store does not hold → KEY_UNKNOWN', () => {
    const stranger = testKey();
    const env = makeAttestation({ governance: stranger, agent }).envelope;
    expect(errorOf(() => verifyAttestation(env, ctx()))).toEqual(fails('KEY_UNKNOWN'));
  });

  it('a governance signature filed under an unknown keyid → KEY_UNKNOWN', () => {
    const env = {
      ...att.envelope,
      signatures: [{ keyid: sha256Hex(utf8('nobody')), sig: att.envelope.signatures[0]!.sig }],
    };
    expect(errorOf(() => verifyAttestation(env, ctx()))).toEqual(fails('KEY_UNKNOWN'));
  });

  it('signed by the agent key (role agent only) → KEY_ROLE_MISMATCH', () => {
    const env = makeAttestation({ governance: agent, agent }).envelope;
    expect(errorOf(() => verifyAttestation(env, ctx()))).toEqual(fails('KEY_ROLE_MISMATCH'));
  });

  it('the agent signature filed under the governance keyid → SIGNATURE_INVALID', () => {
    const byAgent = makeAttestation({ governance: agent, agent }).envelope;
    const env = {
      ...byAgent,
      signatures: [{ keyid: governance.keyid, sig: byAgent.signatures[0]!.sig }],
    };
    expect(errorOf(() => verifyAttestation(env, ctx()))).toEqual(fails('SIGNATURE_INVALID'));
  });

  it('signed by one governance key but naming another as issuer → KEY_ROLE_MISMATCH', () => {
    const other = testKey();
    const store = storeWith(
      trustedKey(governance, ['governance']),
      trustedKey(other, ['governance']),
    );
    const env = makeAttestation({ governance, agent, predicate: { issuer: other.keyid } }).envelope;
    expect(errorOf(() => verifyAttestation(env, ctx({ trust: store })))).toEqual(
      fails('KEY_ROLE_MISMATCH'),
    );
  });

  it('a fingerprint that is not f(intent digest, policy) → STATEMENT_MALFORMED', () => {
    const env = makeAttestation({
      governance,
      agent,
      predicate: { execution_fingerprint: sha256Hex(utf8('another fingerprint')) },
    }).envelope;
    expect(errorOf(() => verifyAttestation(env, ctx()))).toEqual(fails('STATEMENT_MALFORMED'));
  });

  it('subject name ≠ execution_id → SUBJECT_MISMATCH', () => {
    const s = statementWith('subject.0.name', '01900000-0000-7000-8000-000000000000');
    expect(errorOf(() => verifyAttestation(signStatement(s), ctx()))).toEqual(
      fails('SUBJECT_MISMATCH'),
    );
  });

  it('an embedded intent whose digest is not the subject digest → SUBJECT_MISMATCH', () => {
    const env = makeAttestation({
      governance,
      agent,
      subjectDigest: sha256Hex(utf8('another intent')),
    }).envelope;
    expect(errorOf(() => verifyAttestation(env, ctx()))).toEqual(fails('SUBJECT_MISMATCH'));
  });

  it('an embedded intent swapped for another validly signed intent → SUBJECT_MISMATCH', () => {
    const other = makeAttestation({ governance, agent });
    const s = statementWith('predicate.intent', toDsse(other.intentEnvelope));
    expect(errorOf(() => verifyAttestation(signStatement(s), ctx()))).toEqual(
      fails('SUBJECT_MISMATCH'),
    );
  });

  it('an embedded intent payload that is not base64 → STATEMENT_MALFORMED', () => {
    const s = statementWith('predicate.intent.payload', 'not base64');
    expect(errorOf(() => verifyAttestation(signStatement(s), ctx()))).toEqual(
      fails('STATEMENT_MALFORMED'),
    );
  });

  it('a validly signed but non-canonical payload → STATEMENT_MALFORMED', () => {
    const pretty = utf8(JSON.stringify(att.statement, null, 2));
    expect(
      errorOf(() =>
        verifyAttestation(signRaw(governance, ATTESTATION_PAYLOAD_TYPE, pretty), ctx()),
      ),
    ).toEqual(fails('STATEMENT_MALFORMED'));
    const text = new TextDecoder().decode(att.envelope.payload);
    const withDuplicate = utf8(text.replace('{"_type":', '{"_type":"x","_type":'));
    expect(
      errorOf(() =>
        verifyAttestation(signRaw(governance, ATTESTATION_PAYLOAD_TYPE, withDuplicate), ctx()),
      ),
    ).toEqual(fails('STATEMENT_MALFORMED'));
  });

  it('validly signed bytes that are not JSON → STATEMENT_MALFORMED', () => {
    for (const payload of [utf8('not json'), new Uint8Array([0xff, 0xfe]), new Uint8Array(0)]) {
      expect(
        errorOf(() =>
          verifyAttestation(signRaw(governance, ATTESTATION_PAYLOAD_TYPE, payload), ctx()),
        ),
      ).toEqual(fails('STATEMENT_MALFORMED'));
    }
  });

  it('another predicate type → PREDICATE_TYPE_UNSUPPORTED', () => {
    const s = statementWith('predicateType', 'https://slsa.dev/provenance/v1');
    expect(errorOf(() => verifyAttestation(signStatement(s), ctx()))).toEqual(
      fails('PREDICATE_TYPE_UNSUPPORTED'),
    );
    expect(PREDICATE_TYPE).toBe(att.statement.predicateType);
  });

  const parentRef = {
    execution_id: '01900000-0000-7000-8000-000000000001',
    attestation: sha256Hex(utf8('parent')),
  };
  const malformed: [string, string, unknown][] = [
    ['another statement _type', '_type', 'https://in-toto.io/Statement/v0.1'],
    ['an unknown top-level field', 'extra', 1],
    ['no subject', 'subject', []],
    ['two subjects', 'subject.1', { name: 'x', digest: { sha256: sha256Hex(utf8('x')) } }],
    ['a subject digest that is not sha256 hex', 'subject.0.digest', { sha256: 'ABC' }],
    ['a subject with a second digest', 'subject.0.digest.sha512', 'ab'],
    ['an unknown predicate field', 'predicate.note', 'x'],
    ['a missing predicate field', 'predicate.policy', DROP],
    ['an unknown decision', 'predicate.decision', 'maybe'],
    ['an unknown kind', 'predicate.kind', 'other'],
    ['an issuer that is not a key id', 'predicate.issuer', 'governance'],
    ['a negative sequence', 'predicate.sequence', -1],
    ['a sequence given as a string', 'predicate.sequence', '7'],
    ['a policy version that is not an integer', 'predicate.policy.version', '3'],
    ['a fingerprint that is not a digest', 'predicate.execution_fingerprint', 'x'],
    ['a prev that is not a digest', 'predicate.prev', ''],
    ['an issued_at with an offset', 'predicate.issued_at', '2024-06-01T14:00:00+02:00'],
    [
      'a parent with a v4 execution id',
      'predicate.parents.0',
      { ...parentRef, execution_id: crypto.randomUUID() },
    ],
    ['more than 64 reasons', 'predicate.reasons', Array.from({ length: 65 }, () => 'r')],
    ['an embedded intent with an unknown field', 'predicate.intent.extra', 1],
  ];
  it.each(malformed)('%s → STATEMENT_MALFORMED', (_what, path, value) => {
    const s = statementWith(path, value);
    expect(errorOf(() => verifyAttestation(signStatement(s), ctx()))).toEqual(
      fails('STATEMENT_MALFORMED'),
    );
  });

  // BUG (statement.ts, parseStatement): the predicate's nested records are not closed, unlike the
  // statement, the predicate and every nested record of an intent (shape.ts: "closed records: no
  // smuggled fields"). A signed field there is accepted and then silently dropped from the returned
  // predicate, so what a consumer stores is not what was signed. Fix: add
  //   onlyKeys(policy, ['id', 'version', 'hash'], 'policy', fail);
  //   onlyKeys(auth, ['grant', 'inherited_from'], 'authorization', fail);
  //   onlyKeys(po, ['execution_id', 'attestation'], `parents[${i}]`, fail);   (in the parents map)
  //   onlyKeys(so, ['keyid', 'sig'], 'intent.signature', fail);              (in parseDsseShape)
  const unclosed: [string, string, unknown][] = [
    ['policy', 'predicate.policy.extra', 'x'],
    ['authorization', 'predicate.authorization.extra', 'x'],
    ['parents[0]', 'predicate.parents.0', { ...parentRef, extra: 'x' }],
    ['intent.signatures[0]', 'predicate.intent.signatures.0.extra', 'x'],
  ];
  it.each(unclosed)(
    'an unknown field in predicate %s → STATEMENT_MALFORMED',
    (_what, path, value) => {
      const s = statementWith(path, value);
      expect(errorOf(() => verifyAttestation(signStatement(s), ctx()))).toEqual(
        fails('STATEMENT_MALFORMED'),
      );
    },
  );
});

describe('key validity at issued_at (the governance key window)', () => {
  const at = Date.parse(ISSUED_AT);
  const iso = (ms: number) => new Date(ms).toISOString();
  const cases: [string, Partial<TrustedKey>, string | null][] = [
    ['revoked before issued_at', { revoked_at: iso(at - 1000) }, 'KEY_NOT_VALID_AT'],
    ['revoked exactly at issued_at', { revoked_at: ISSUED_AT }, 'KEY_NOT_VALID_AT'],
    [
      'revoked after issued_at (rotation keeps old attestations valid)',
      { revoked_at: iso(at + 1000) },
      null,
    ],
    ['valid_from after issued_at', { valid_from: iso(at + 1000) }, 'KEY_NOT_VALID_AT'],
    ['valid_from exactly at issued_at', { valid_from: ISSUED_AT }, null],
    ['valid_until before issued_at', { valid_until: iso(at - 1000) }, 'KEY_NOT_VALID_AT'],
    ['valid_until exactly at issued_at', { valid_until: ISSUED_AT }, 'KEY_NOT_VALID_AT'],
    ['valid_until after issued_at', { valid_until: iso(at + 1000) }, null],
  ];
  it.each(cases)('%s', (_what, window, code) => {
    const store = storeWith(
      trustedKey(governance, ['governance'], window),
      trustedKey(agent, ['agent']),
    );
    const run = () => verifyAttestation(att.envelope, ctx({ trust: store }));
    if (code === null) expect(run().signer.keyid).toBe(governance.keyid);
    else expect(errorOf(run)).toEqual(fails(code));
  });
});

describe('several signatures', () => {
  it('a valid governance signature after an unknown and a broken one is enough', () => {
    const stranger = testKey();
    const good = att.envelope.signatures[0]!;
    const env: RawEnvelope = {
      ...att.envelope,
      signatures: [
        { keyid: stranger.keyid, sig: stranger.signer.sign(att.envelope.payload) },
        { keyid: governance.keyid, sig: flipped(good.sig, 0) },
        good,
      ],
    };
    expect(verifyAttestation(env, ctx()).signer.keyid).toBe(governance.keyid);
  });

  it('when none verifies, the first failure is reported', () => {
    const stranger = testKey();
    const env: RawEnvelope = {
      ...att.envelope,
      signatures: [
        { keyid: stranger.keyid, sig: stranger.signer.sign(att.envelope.payload) },
        { keyid: governance.keyid, sig: flipped(att.envelope.signatures[0]!.sig, 0) },
      ],
    };
    expect(errorOf(() => verifyAttestation(env, ctx()))).toEqual(fails('KEY_UNKNOWN'));
    expect(
      errorOf(() =>
        verifyAttestation({ ...env, signatures: [...env.signatures].reverse() }, ctx()),
      ),
    ).toEqual(fails('SIGNATURE_INVALID'));
  });
});

describe('verifyEnvelopeSignature', () => {
  it('checks the signature and role without parsing the payload', () => {
    const env = signRaw(agent, INTENT_PAYLOAD_TYPE, utf8('not even json'));
    expect(verifyEnvelopeSignature(env, 'agent', trust, node).keyid).toBe(agent.keyid);
    expect(errorOf(() => verifyEnvelopeSignature(env, 'governance', trust, node))).toEqual(
      fails('KEY_ROLE_MISMATCH'),
    );
    expect(
      errorOf(() => verifyEnvelopeSignature({ ...env, payload_type: 'x' }, 'agent', trust, node)),
    ).toEqual(fails('SIGNATURE_INVALID'));
  });

  it('never calls the Ed25519 primitive for an unknown key or a wrong role', () => {
    const counting = nodeEd25519Verifier();
    const env = signRaw(agent, INTENT_PAYLOAD_TYPE, utf8('x'));
    errorOf(() => verifyEnvelopeSignature(env, 'governance', trust, counting));
    errorOf(() =>
      verifyEnvelopeSignature(
        { ...env, signatures: [{ keyid: 'unknown', sig: env.signatures[0]!.sig }] },
        'agent',
        trust,
        counting,
      ),
    );
    expect(counting.calls).toBe(0);
    verifyEnvelopeSignature(env, 'agent', trust, counting);
    expect(counting.calls).toBe(1);
  });

  it('errors are VerificationError instances', () => {
    try {
      verifyEnvelopeSignature({ ...att.envelope, signatures: [] }, 'governance', trust, node);
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(VerificationError);
    }
  });
});
