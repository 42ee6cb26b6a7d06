import {
  ATTESTATION_PAYLOAD_TYPE,
  INTENT_PAYLOAD_TYPE,
  canonicalize,
  newExecutionId,
  sha256Hex,
  signEnvelope,
} from '@lineage/protocol';
import type { RawEnvelope, Signer } from '@lineage/protocol';
import type { KeyPair } from '@lineage/keys';
import { attestationCodec, envelopeRecord } from '@lineage/schemas';
import { encodeIntent, intent } from '../kit/intents.js';
import type { LedgerEntry } from '@lineage/testkit/kafka';

/** What governance must make of one hostile record. */
export type Expected =
  | { deadLetter: 'UNDECODABLE' | 'EMPTY_RECORD' }
  | { decision: 'allow' | 'deny'; reasons: string[] }
  | { redelivery: true }
  | { kind: 'replay_rejection' };

/** One class of hostile input: the raw Kafka record and its specified outcome. */
export interface HostileCase {
  name: string;
  key: string | null;
  value: Buffer | null;
  expect: Expected;
  /** Subject name and digest of the attestation that answers it (attested cases only). */
  subject?: string;
  digest?: string;
}

/** Keys and prior attestations the corpus is built from. */
export interface CorpusContext {
  agent: KeyPair;
  otherAgent: KeyPair;
  governanceKey: KeyPair;
  expiredAgent: KeyPair;
  revokedAgent: KeyPair;
  notYetValidAgent: KeyPair;
  stranger: KeyPair;
  foreignGovernance: KeyPair;
  allowedParent: LedgerEntry;
}

const SUBJECT_LIMIT = 128;

/** A record carrying `envelope` under routing id `key`, expected to be attested. */
function attested(
  name: string,
  key: string,
  envelope: RawEnvelope,
  expect: Expected,
  carried: readonly RawEnvelope[] = [],
): HostileCase {
  return {
    name,
    key,
    value: encodeIntent(key, envelope, carried),
    expect,
    subject: key.length <= SUBJECT_LIMIT ? key : '',
    digest: sha256Hex(envelope.payload),
  };
}

const malformed: Expected = { decision: 'deny', reasons: ['INTENT_MALFORMED'] };
const allowRead: Expected = { decision: 'allow', reasons: ['rule:agents-read'] };

/** Avro zig-zag varint of a non-negative safe integer. */
function varint(n: number): Buffer {
  const out: number[] = [];
  let v = n * 2;
  while (v >= 0x80) {
    out.push((v % 0x80) | 0x80);
    v = Math.floor(v / 0x80);
  }
  out.push(v);
  return Buffer.from(out);
}

/** A parent reference text entry for `n` fresh, never-carried parents. */
function parentRefs(n: number): { execution_id: string; attestation: string }[] {
  return Array.from({ length: n }, (_, i) => ({
    execution_id: newExecutionId(),
    attestation: sha256Hex(new TextEncoder().encode(`parent-${i}`)),
  }));
}

/**
 * Builds the corpus: every class of malformed or hostile intent with its specified outcome.
 * Hostile JSON payloads are raw bytes signed with the agent's key, so the hostile part is the only
 * thing wrong with them.
 */
export function buildCorpus(ctx: CorpusContext): HostileCase[] {
  const { agent } = ctx;
  const cases: HostileCase[] = [];
  const enc = new TextEncoder();

  // A fresh, valid, canonical intent body as text, with its execution id; a root carries a grant.
  const freshText = (resource = 'hostile/r') => {
    const body = intent(agent.signer, { action: 'read.hostile', resource }).body;
    return { id: body.execution_id, text: canonicalize(body) };
  };
  // The same without a grant: the text a child's body is edited from.
  const freshChildText = () => {
    const body = intent(agent.signer, {
      action: 'read.hostile',
      resource: 'hostile/child',
      grant: null,
    }).body;
    return { id: body.execution_id, text: canonicalize(body) };
  };
  // Signs raw payload bytes as an intent with `signer`.
  const sign = (bytes: Uint8Array, signer: Signer = agent.signer) =>
    signEnvelope(INTENT_PAYLOAD_TYPE, bytes, signer);
  // A hostile payload derived from a valid one by a text edit; must change the text.
  const hostileText = (name: string, edit: (text: string) => string, expect = malformed) => {
    const { id, text } = freshText();
    const edited = edit(text);
    if (edited === text) throw new Error(`fixture ${name} did not change the payload`);
    cases.push(attested(name, id, sign(enc.encode(edited)), expect));
  };
  const hostileInputs = (name: string, inputs: string, expect = malformed) =>
    hostileText(name, (t) => t.replace('"inputs":{}', `"inputs":${inputs}`), expect);
  const valid = intent(agent.signer, { action: 'read.template', resource: 'hostile/t' });
  const validRecord = encodeIntent(valid.body.execution_id, valid.envelope);

  // --- Bytes that are not an intent record at all: dead letters.
  cases.push({
    name: 'undecodable text bytes',
    key: 'junk',
    value: Buffer.from('{"execution_id":"not avro at all"}'),
    expect: { deadLetter: 'UNDECODABLE' },
  });
  cases.push({
    name: 'null value (tombstone)',
    key: 'tombstone',
    value: null,
    expect: { deadLetter: 'EMPTY_RECORD' },
  });
  cases.push({
    name: 'zero-length value',
    key: 'zero',
    value: Buffer.alloc(0),
    expect: { deadLetter: 'EMPTY_RECORD' },
  });
  cases.push({
    name: 'truncated Avro',
    key: valid.body.execution_id,
    value: validRecord.subarray(0, Math.floor(validRecord.length / 2)),
    expect: { deadLetter: 'UNDECODABLE' },
  });
  cases.push({
    name: 'Avro header only',
    key: valid.body.execution_id,
    value: validRecord.subarray(0, 10),
    expect: { deadLetter: 'UNDECODABLE' },
  });
  cases.push({
    name: 'valid Avro header, garbage body',
    key: 'garbage',
    value: Buffer.concat([validRecord.subarray(0, 10), Buffer.alloc(256, 0xff)]),
    expect: { deadLetter: 'UNDECODABLE' },
  });
  cases.push({
    name: 'unknown schema fingerprint',
    key: 'fingerprint',
    value: Buffer.concat([
      Buffer.from([0xc3, 0x01]),
      Buffer.alloc(8, 0xab),
      validRecord.subarray(10),
    ]),
    expect: { deadLetter: 'UNDECODABLE' },
  });
  cases.push({
    name: 'valid record with trailing bytes',
    key: valid.body.execution_id,
    value: Buffer.concat([validRecord, Buffer.from([0x00, 0x00])]),
    expect: { deadLetter: 'UNDECODABLE' },
  });
  cases.push({
    name: 'attestation record (wrong schema) on the intents topic',
    key: ctx.allowedParent.predicate.execution_id,
    value: attestationCodec.encode({
      execution_id: ctx.allowedParent.predicate.execution_id,
      envelope: envelopeRecord(ctx.allowedParent.envelope),
    }),
    expect: { deadLetter: 'UNDECODABLE' },
  });
  {
    // The record ends with the empty parent array (a single 0); declare 2^40 parents instead.
    const fresh = intent(agent.signer, { action: 'read.count', resource: 'hostile/count' });
    const rec = encodeIntent(fresh.body.execution_id, fresh.envelope);
    cases.push({
      name: 'huge declared array count',
      key: fresh.body.execution_id,
      value: Buffer.concat([rec.subarray(0, rec.length - 1), varint(2 ** 40)]),
      expect: { deadLetter: 'UNDECODABLE' },
    });
    cases.push({
      name: 'huge declared string length',
      key: 'strlen',
      value: Buffer.concat([rec.subarray(0, 10), varint(2 ** 50), Buffer.from('abc')]),
      expect: { deadLetter: 'UNDECODABLE' },
    });
  }

  // --- Hostile canonical-JSON payloads, correctly signed: INTENT_MALFORMED.
  hostileText('duplicate JSON keys', (t) =>
    t.replace('"action":"read.hostile"', '"action":"delete.all","action":"read.hostile"'),
  );
  hostileInputs('negative zero', '{"n":-0}');
  hostileInputs('1e21', '{"n":1e21}');
  hostileInputs('2^53+1', '{"n":9007199254740993}');
  hostileInputs('float', '{"n":1.5}');
  hostileInputs('NaN-like text', '{"n":NaN}');
  hostileInputs('Infinity-like text', '{"n":Infinity}');
  hostileInputs('raw U+0000 in a string', '{"n":"a\u0000b"}');
  hostileInputs('raw U+001F in a string', '{"n":"a\u001fb"}');
  hostileInputs('non-canonical escape of a printable character', '{"n":"\\u0041"}');
  hostileInputs('lone surrogate escaped as \\ud800', '{"n":"\\ud800"}');
  hostileInputs('lone surrogate as a key', '{"\\udc00":1}');
  hostileText('BOM prefix', (t) => '\ufeff' + t);
  hostileText('trailing whitespace', (t) => t + ' \n');
  hostileText('unsorted keys', (t) => {
    const o = JSON.parse(t) as Record<string, unknown>;
    return JSON.stringify(Object.fromEntries(Object.entries(o).reverse()));
  });
  hostileInputs('10,000-deep nesting', '{"n":' + '['.repeat(10_000) + ']'.repeat(10_000) + '}');
  {
    // Valid JSON shape, but one byte of a string is not UTF-8.
    const { id, text } = freshText();
    const bytes = Buffer.from(text.replace('"inputs":{}', '"inputs":{"n":"X"}'));
    bytes[bytes.indexOf('"X"') + 1] = 0xff;
    cases.push(attested('invalid UTF-8 byte', id, sign(bytes), malformed));
  }
  hostileInputs('5 MB payload', `{"n":"${'x'.repeat(5 * 1024 * 1024)}"}`);
  hostileText('65 parents', (t) =>
    t.replace('"parents":[]', `"parents":${canonicalize(parentRefs(65))}`),
  );
  hostileText('5,000 parents', (t) =>
    t.replace('"parents":[]', `"parents":${canonicalize(parentRefs(5000))}`),
  );
  hostileText('unknown top-level field', (t) => t.replace('{"_type"', '{"__proto__":{},"_type"'));
  {
    // The envelope claims to hold an attestation, not an intent.
    const { id, text } = freshText();
    const env = signEnvelope(ATTESTATION_PAYLOAD_TYPE, enc.encode(text), agent.signer);
    cases.push(attested('wrong DSSE payload type', id, env, malformed));
  }

  {
    const { id } = freshText();
    cases.push(attested('empty signed payload', id, sign(new Uint8Array(0)), malformed));
  }
  {
    const { id } = freshText();
    cases.push(attested('JSON array payload', id, sign(enc.encode(`["${id}"]`)), malformed));
  }
  {
    // 1,000 signatures under unknown key ids, the agent's valid one last: only the agent's counts.
    const i = intent(agent.signer, { action: 'read.many', resource: 'hostile/many' });
    const junk = Array.from({ length: 1000 }, (_, n) => ({
      keyid: `junk-${n}`,
      sig: new Uint8Array(64),
    }));
    cases.push(
      attested(
        '1,000 signatures on one envelope',
        i.body.execution_id,
        { ...i.envelope, signatures: [...junk, ...i.envelope.signatures] },
        allowRead,
      ),
    );
  }
  {
    // A bad signature under the agent's key id ahead of the good one: fail closed.
    const i = intent(agent.signer, { action: 'read.first', resource: 'hostile/first' });
    cases.push(
      attested(
        'bad signature ahead of a valid one under the same key id',
        i.body.execution_id,
        {
          ...i.envelope,
          signatures: [{ keyid: agent.keyid, sig: new Uint8Array(64) }, ...i.envelope.signatures],
        },
        { decision: 'deny', reasons: ['AGENT_SIGNATURE_INVALID'] },
      ),
    );
  }

  // --- Identity of the execution.
  {
    const long = 'a'.repeat(10 * 1024);
    const { text } = freshText();
    const body = JSON.parse(text) as Record<string, unknown>;
    body.execution_id = long;
    cases.push(
      attested('execution_id of 10 KB', long, sign(enc.encode(canonicalize(body))), {
        decision: 'deny',
        reasons: ['EXECUTION_ID_MALFORMED'],
      }),
    );
  }
  {
    const { id, text } = freshText();
    const upper = id.toUpperCase();
    cases.push(
      attested('upper-case UUIDv7 execution_id', upper, sign(enc.encode(text.replace(id, upper))), {
        decision: 'deny',
        reasons: ['EXECUTION_ID_MALFORMED'],
      }),
    );
  }
  {
    const { id, text } = freshText();
    cases.push(
      attested('numeric execution_id', '', sign(enc.encode(text.replace(`"${id}"`, '12'))), {
        decision: 'deny',
        reasons: ['EXECUTION_ID_MALFORMED'],
      }),
    );
  }
  {
    const i = intent(agent.signer, { action: 'read.route', resource: 'hostile/route' });
    cases.push(
      attested('routing id differs from the signed id', newExecutionId(), i.envelope, malformed),
    );
  }

  // --- Signatures and keys.
  {
    const i = intent(agent.signer, { action: 'read.sig', resource: 'hostile/forged' });
    const sig = new Uint8Array(64).map((_, n) => (n * 37 + 11) & 0xff);
    cases.push(
      attested(
        'forged agent signature (64 arbitrary bytes)',
        i.body.execution_id,
        { ...i.envelope, signatures: [{ keyid: agent.keyid, sig }] },
        { decision: 'deny', reasons: ['AGENT_SIGNATURE_INVALID'] },
      ),
    );
  }
  {
    const a = intent(agent.signer, { action: 'read.sig', resource: 'hostile/a' });
    const b = intent(agent.signer, { action: 'delete.sig', resource: 'hostile/b' });
    cases.push(
      attested(
        'valid signature replayed onto a different payload',
        b.body.execution_id,
        { ...b.envelope, signatures: a.envelope.signatures },
        { decision: 'deny', reasons: ['AGENT_SIGNATURE_INVALID'] },
      ),
    );
  }
  {
    // Signed by the agent's own key but labelled as another trusted agent.
    const i = intent(ctx.otherAgent.signer, { action: 'read.sig', resource: 'hostile/label' });
    const env = sign(i.envelope.payload);
    cases.push(
      attested(
        'signature relabelled with another agent key id',
        i.body.execution_id,
        { ...env, signatures: [{ keyid: ctx.otherAgent.keyid, sig: env.signatures[0]!.sig }] },
        { decision: 'deny', reasons: ['AGENT_SIGNATURE_INVALID'] },
      ),
    );
  }
  {
    // The intent names agent 1 but only agent 0 signed it.
    const i = intent(ctx.otherAgent.signer, { action: 'read.sig', resource: 'hostile/other' });
    cases.push(
      attested(
        'signed by a different trusted agent',
        i.body.execution_id,
        sign(i.envelope.payload),
        {
          decision: 'deny',
          reasons: ['AGENT_SIGNATURE_MISSING'],
        },
      ),
    );
  }
  {
    const i = intent(ctx.stranger.signer, { action: 'read.sig', resource: 'hostile/stranger' });
    cases.push(
      attested('signature by a key not in the trust store', i.body.execution_id, i.envelope, {
        decision: 'deny',
        reasons: ['AGENT_KEY_UNKNOWN'],
      }),
    );
  }
  {
    const i = intent(ctx.governanceKey.signer, { action: 'read.sig', resource: 'hostile/gov' });
    cases.push(
      attested('governance-only key used as an agent', i.body.execution_id, i.envelope, {
        decision: 'deny',
        reasons: ['AGENT_KEY_UNKNOWN'],
      }),
    );
  }
  for (const [name, key, reason] of [
    ['expired agent key', ctx.expiredAgent, 'AGENT_KEY_EXPIRED'],
    ['agent key not valid yet', ctx.notYetValidAgent, 'AGENT_KEY_EXPIRED'],
    ['revoked agent key', ctx.revokedAgent, 'AGENT_KEY_REVOKED'],
  ] as const) {
    const i = intent(key.signer, { action: 'read.sig', resource: `hostile/${reason}` });
    cases.push(
      attested(name, i.body.execution_id, i.envelope, { decision: 'deny', reasons: [reason] }),
    );
  }

  // --- Parents.
  const parent = ctx.allowedParent;
  {
    // The parent's own statement, validly signed by a governance key of another trust store.
    const foreign = signEnvelope(
      ATTESTATION_PAYLOAD_TYPE,
      parent.envelope.payload,
      ctx.foreignGovernance.signer,
    );
    const i = intent(agent.signer, {
      action: 'read.child',
      resource: 'hostile/foreign',
      parents: [foreign],
    });
    cases.push(
      attested(
        'parent attestation from another trust store',
        i.body.execution_id,
        i.envelope,
        { decision: 'deny', reasons: ['PARENT_INVALID'] },
        [foreign],
      ),
    );
  }
  {
    // A genuine allowed attestation, claimed as the parent of another execution id.
    const { id, text } = freshChildText();
    const body = JSON.parse(text) as Record<string, unknown>;
    body.parents = [{ execution_id: newExecutionId(), attestation: parent.digest }];
    cases.push(
      attested(
        'parent attestation copied from a different execution',
        id,
        sign(enc.encode(canonicalize(body))),
        { decision: 'deny', reasons: ['PARENT_INVALID'] },
        [parent.envelope],
      ),
    );
  }
  {
    const { id, text } = freshChildText();
    cases.push(
      attested(
        '64 parents named, none carried',
        id,
        sign(enc.encode(text.replace('"parents":[]', `"parents":${canonicalize(parentRefs(64))}`))),
        { decision: 'deny', reasons: ['PARENT_MISSING'] },
      ),
    );
  }
  {
    const i = intent(agent.signer, {
      action: 'read.child',
      resource: 'hostile/ok',
      parents: [parent.envelope],
    });
    cases.push(
      attested('allowed child of a carried parent', i.body.execution_id, i.envelope, allowRead, [
        parent.envelope,
      ]),
    );
  }

  // --- Grants.
  {
    // A child must inherit its authority; carrying a grant as well is malformed.
    const { id, text } = freshText();
    const body = JSON.parse(text) as Record<string, unknown>;
    body.parents = [{ execution_id: parent.predicate.execution_id, attestation: parent.digest }];
    cases.push(
      attested('child carrying a grant', id, sign(enc.encode(canonicalize(body))), malformed, [
        parent.envelope,
      ]),
    );
  }
  {
    // The default grant with one bit of its principal's signature flipped.
    const { id, text } = freshText();
    const body = JSON.parse(text) as { grant: { signatures: { sig: string }[] } };
    const sig = Buffer.from(body.grant.signatures[0]!.sig, 'base64');
    sig[3]! ^= 0x01;
    body.grant.signatures[0]!.sig = sig.toString('base64');
    cases.push(
      attested('grant with a forged signature', id, sign(enc.encode(canonicalize(body))), {
        decision: 'deny',
        reasons: ['GRANT_INVALID'],
      }),
    );
  }
  {
    // A grant envelope whose payload is not a grant at all.
    const { id, text } = freshText();
    const body = JSON.parse(text) as { grant: { payload: string } };
    body.grant.payload = Buffer.from('{"grant": "please"}').toString('base64');
    cases.push(
      attested('grant payload that is not a grant', id, sign(enc.encode(canonicalize(body))), {
        decision: 'deny',
        reasons: ['GRANT_INVALID'],
      }),
    );
  }
  {
    const { id, text } = freshText();
    const body = JSON.parse(text) as Record<string, unknown>;
    body.grant = null;
    cases.push(
      attested('root without a grant', id, sign(enc.encode(canonicalize(body))), {
        decision: 'deny',
        reasons: ['GRANT_MISSING'],
      }),
    );
  }

  // --- Policy and Unicode.
  {
    const i = intent(agent.signer, { action: 'delete.rows', resource: 'prod/orders' });
    cases.push(
      attested('policy-denied action', i.body.execution_id, i.envelope, {
        decision: 'deny',
        reasons: ['POLICY_DENIED', 'rule:no-prod-delete'],
      }),
    );
  }
  {
    // Full-width letters look like "read" but are not the action the policy allows.
    const i = intent(agent.signer, { action: '\uff52ead.x', resource: 'hostile/fullwidth' });
    cases.push(
      attested('full-width look-alike action', i.body.execution_id, i.envelope, {
        decision: 'deny',
        reasons: ['POLICY_NO_MATCH'],
      }),
    );
  }
  for (const [form, resource] of [
    ['NFC', 'caf\u00e9/menu'],
    ['NFD', 'cafe\u0301/menu'],
  ] as const) {
    // Two different intents with different digests: each is decided on its own bytes.
    const i = intent(agent.signer, { action: 'read.menu', resource });
    cases.push(attested(`resource in ${form}`, i.body.execution_id, i.envelope, allowRead));
  }
  {
    // U+0000 escaped as RFC 8785 requires is canonical: decided on its merits, kept verbatim.
    const i = intent(agent.signer, { action: 'read.nul', resource: 'hostile/\u0000\u001f' });
    cases.push(
      attested(
        'escaped control characters in the resource',
        i.body.execution_id,
        i.envelope,
        allowRead,
      ),
    );
  }

  // --- Exactly once.
  {
    const i = intent(agent.signer, { action: 'read.once', resource: 'hostile/once' });
    const original = attested('redelivery: original', i.body.execution_id, i.envelope, allowRead);
    cases.push(original, {
      ...original,
      name: 'redelivery: identical copy',
      expect: { redelivery: true },
    });
  }
  {
    const i = intent(agent.signer, { action: 'read.twice', resource: 'hostile/twice' });
    const replay = intent(agent.signer, {
      action: 'delete.everything',
      resource: 'hostile/twice',
      executionId: i.body.execution_id,
    });
    cases.push(
      attested('replay: original', i.body.execution_id, i.envelope, allowRead),
      attested('replay: different intent, consumed id', replay.body.execution_id, replay.envelope, {
        kind: 'replay_rejection',
      }),
    );
  }
  return cases;
}
