import { describe, expect, it } from 'vitest';
import {
  ATTESTATION_PAYLOAD_TYPE,
  DEAD_LETTER_REASONS,
  DENY_REASONS,
  PREDICATE_TYPE,
  STATEMENT_TYPE,
  buildStatement,
  canonicalBytes,
  encodeStatement,
  parseCanonical,
  parseStatement,
  sha256Hex,
  utf8,
} from '../index.js';
import type { Predicate } from '../index.js';
import { errorOf, makeAttestation, keyring } from '@lineage/testkit';

const { governance, agent } = keyring({ governance: ['governance'], agent: ['agent'] }).keys;
const RESOLUTION = {
  payloadType: 'application/vnd.lineage.override.v1+json',
  payload: '',
  signatures: [],
};

describe('statements', () => {
  const att = makeAttestation({ governance, agent });

  it('the type URIs are the in-toto Statement v1 and ours', () => {
    expect(ATTESTATION_PAYLOAD_TYPE).toBe('application/vnd.in-toto+json');
    expect(STATEMENT_TYPE).toBe('https://in-toto.io/Statement/v1');
    expect(att.statement._type).toBe(STATEMENT_TYPE);
    expect(att.statement.predicateType).toBe(PREDICATE_TYPE);
  });

  it('buildStatement names the execution and the intent digest as the one subject', () => {
    const s = buildStatement(att.statement.predicate, att.intentDigest);
    expect(s.subject).toEqual([
      { name: att.statement.predicate.execution_id, digest: { sha256: att.intentDigest } },
    ]);
  });

  it('encodeStatement is canonical JSON that parseStatement reads back unchanged', () => {
    const bytes = encodeStatement(att.statement);
    expect(parseCanonical(bytes)).toEqual(att.statement);
    expect(parseStatement(bytes)).toEqual(att.statement);
    expect(encodeStatement(parseStatement(bytes))).toEqual(bytes);
  });

  it('encodeStatement refuses an unsignable predicate (EncodingError UNSUPPORTED_VALUE)', () => {
    const predicate = { ...att.statement.predicate, sequence: 1.5 } as Predicate;
    expect(errorOf(() => encodeStatement(buildStatement(predicate, att.intentDigest)))).toEqual({
      type: 'EncodingError',
      code: 'UNSUPPORTED_VALUE',
    });
  });

  it('only overrides and their refusals carry an override reference', () => {
    const answer = { pending: sha256Hex(utf8('pending')), resolution: RESOLUTION };
    for (const [kind, override] of [
      ['decision', answer],
      ['override', null],
      ['override_rejection', null],
    ] as const) {
      const s = makeAttestation({ governance, agent, predicate: { kind, override } }).statement;
      expect(errorOf(() => parseStatement(encodeStatement(s)))).toMatchObject({
        code: 'STATEMENT_MALFORMED',
      });
    }
  });

  it('reads an attestation issued before grants: no principals, scope or depth, no override', () => {
    const s = makeAttestation({ governance, agent }).statement;
    const legacy = JSON.parse(new TextDecoder().decode(encodeStatement(s))) as {
      predicate: { authorization: Record<string, unknown>; override?: unknown };
    };
    delete legacy.predicate.authorization.principals;
    delete legacy.predicate.authorization.scope;
    delete legacy.predicate.authorization.depth;
    delete legacy.predicate.override;
    expect(parseStatement(canonicalBytes(legacy as never)).predicate).toMatchObject({
      authorization: { principals: [], scope: null, depth: 0 },
      override: null,
    });
  });

  it('parseStatement reads every decision and kind', () => {
    for (const decision of ['allow', 'deny', 'pending_override'] as const) {
      for (const kind of [
        'decision',
        'override',
        'replay_rejection',
        'override_rejection',
      ] as const) {
        const reasons = decision === 'deny' ? ['POLICY_DENIED', 'rule:max-amount'] : [];
        const answers = kind === 'override' || kind === 'override_rejection';
        const override = answers
          ? { pending: sha256Hex(utf8('pending')), resolution: RESOLUTION }
          : null;
        const s = makeAttestation({
          governance,
          agent,
          predicate: { decision, kind, reasons, override },
        }).statement;
        expect(parseStatement(encodeStatement(s)).predicate).toMatchObject({
          decision,
          kind,
          reasons,
        });
      }
    }
  });

  it('parseStatement refuses oversized payloads (STATEMENT_MALFORMED)', () => {
    const big = utf8(`{"_type":"${'x'.repeat(1 << 20)}"}`);
    expect(errorOf(() => parseStatement(big))).toEqual({
      type: 'VerificationError',
      code: 'STATEMENT_MALFORMED',
    });
  });

  it('subject digests are SHA-256 hex of the intent payload', () => {
    expect(att.statement.subject[0].digest.sha256).toBe(sha256Hex(att.intentPayload));
  });
});

describe('reason codes are a closed protocol list', () => {
  it('deny reasons are unique UPPER_SNAKE codes and include the intent and replay codes', () => {
    expect(new Set(DENY_REASONS).size).toBe(DENY_REASONS.length);
    for (const r of DENY_REASONS) expect(r).toMatch(/^[A-Z][A-Z0-9_]*$/);
    for (const r of [
      'EXECUTION_ID_MISSING',
      'EXECUTION_ID_MALFORMED',
      'INTENT_MALFORMED',
      'REPLAY_EXECUTION_ID',
      'POLICY_DENIED',
      'GRANT_MISSING',
      'GRANT_OUT_OF_SCOPE',
      'INTENT_CLOCK_SKEW',
    ]) {
      expect(DENY_REASONS).toContain(r);
    }
  });

  it('dead-letter reasons', () => {
    expect([...DEAD_LETTER_REASONS]).toEqual(['UNDECODABLE', 'EMPTY_RECORD', 'OVERSIZED']);
  });
});
