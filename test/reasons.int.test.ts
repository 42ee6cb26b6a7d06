import { afterEach, describe, expect, inject, it } from 'vitest';
import {
  DENY_REASONS,
  DEAD_LETTER_REASONS,
  RESOLUTION_PAYLOAD_TYPE,
  newExecutionId,
  nobleEd25519,
  verifyAttestation,
} from '@lineage/protocol';
import type { JsonValue, RawEnvelope } from '@lineage/protocol';
import { generateKeyPair, trustedKey } from '@lineage/keys';
import { envelopeRecord, overrideCodec } from '@lineage/schemas';
import { grantFor } from './kit/authority.js';
import { encodeIntent, intent, intentRecord, sendRaw, signBody } from './kit/intents.js';
import { TEST_POLICY, createTestLedger } from './kit/ledger.js';
import type { TestLedger } from './kit/ledger.js';
import { readLedger, waitUntil } from '@lineage/testkit/kafka';
import { expectReplayVerifies } from './kit/replay.js';

// ARCHITECTURE.md §3 (fail closed): one input per reason code, one expected signed outcome, on the
// real broker. The table must name every deny reason and every dead-letter reason, so a code added
// without a scenario fails this suite. POLICY_UNKNOWN is only reachable by an override resolution
// whose pending decision pins a policy governance no longer knows (see the policy unit tests).
const NOT_FROM_AN_INTENT = new Set(['POLICY_UNKNOWN']);

let ledger: TestLedger | undefined;
afterEach(async () => {
  await ledger?.close();
  ledger = undefined;
});

interface Scenario {
  code: string;
  /** The input topic it goes to (default: intents). */
  overrides?: true;
  key: string;
  value: Buffer | null;
  /** The reasons the signed outcome carries (the code, plus `rule:<id>` for policy rules). */
  reasons?: string[];
  kind?: 'decision' | 'replay_rejection';
}

describe('fail closed: one scenario per reason code, over the real broker', () => {
  it('every reason code has an input that yields exactly that signed outcome (or that dead letter)', async () => {
    const revokedAgent = generateKeyPair();
    const expiredAgent = generateKeyPair();
    ledger = await createTestLedger(inject('brokers'), {
      partitions: 3,
      policy: {
        ...TEST_POLICY,
        max_clock_skew_seconds: 300,
        require_override: [{ id: 'hold-launch', actions: ['hold.*'], approvers: ['*'] }],
        allow: [...TEST_POLICY.allow, { id: 'holds', agents: ['*'], actions: ['hold.*'] }],
      },
      extraKeys: [
        { ...trustedKey(revokedAgent, ['agent']), revoked_at: '2024-01-01T00:00:00Z' },
        trustedKey(expiredAgent, ['agent'], { validUntil: '2024-01-01T00:00:00Z' }),
      ],
    });
    const governance = await ledger.startGovernance();
    const producer = await ledger.producer();
    const agent = ledger.agentKeys[0]!;
    const stranger = generateKeyPair();
    const publish = (records: { key: string; value: Buffer | null }[]) =>
      sendRaw(producer, ledger!.topics.intents, records);

    // Given: an allowed parent, a denied parent, a parent held for an override, a consumed id.
    const allowedParent = intent(agent.signer, { action: 'read.parent', resource: 'p/1' });
    const deniedParent = intent(agent.signer, { action: 'delete.all', resource: 'prod/db' });
    const heldParent = intent(agent.signer, { action: 'hold.launch', resource: 'pad/39a' });
    const consumed = intent(agent.signer, { action: 'read.once', resource: 'r/once' });
    const givens = [allowedParent, deniedParent, heldParent, consumed];
    await publish(givens.map(intentRecord));
    const given = new Map(
      (await readLedger(ledger.kafka, ledger.topics, givens.length)).map((e) => [
        e.predicate.execution_id,
        e,
      ]),
    );
    const okParent = given.get(allowedParent.body.execution_id)!;
    const badParent = given.get(deniedParent.body.execution_id)!;
    const pendingParent = given.get(heldParent.body.execution_id)!;
    expect(okParent.predicate.decision).toBe('allow');
    expect(badParent.predicate.decision).toBe('deny');
    expect(pendingParent.predicate.decision).toBe('pending_override');

    const base = intent(agent.signer, { action: 'read.x', resource: 'r/1' }).body;
    const fresh = (over: Record<string, unknown> = {}) => ({
      ...base,
      execution_id: newExecutionId(),
      ...over,
    });
    const root = (grant: JsonValue | null, over: Record<string, unknown> = {}) => {
      const b = fresh({ grant, ...over });
      return {
        key: b.execution_id,
        value: encodeIntent(b.execution_id, signBody(agent.signer, b)),
      };
    };
    const childOf = (
      parent: { predicate: { execution_id: string }; digest: string },
      carried: RawEnvelope[],
    ) => {
      const b = fresh({
        grant: null,
        parents: [{ execution_id: parent.predicate.execution_id, attestation: parent.digest }],
      });
      return {
        key: b.execution_id,
        value: encodeIntent(b.execution_id, signBody(agent.signer, b), carried),
      };
    };
    const signedBy = (
      k: ReturnType<typeof generateKeyPair>,
      over: Record<string, unknown> = {},
    ) => {
      const b = fresh({ agent: k.keyid, grant: grantFor(k.keyid), ...over });
      return { key: b.execution_id, value: encodeIntent(b.execution_id, signBody(k.signer, b)) };
    };
    const forgedGrant = (() => {
      const g = grantFor(agent.keyid) as { signatures: { keyid: string; sig: string }[] };
      const sig = Buffer.from(g.signatures[0]!.sig, 'base64');
      sig[7]! ^= 1;
      return {
        ...g,
        signatures: [{ ...g.signatures[0]!, sig: sig.toString('base64') }],
      } as unknown as JsonValue;
    })();
    const rogueGovernance = generateKeyPair();
    const forgedParent: RawEnvelope = {
      ...okParent.envelope,
      signatures: [
        { keyid: rogueGovernance.keyid, sig: rogueGovernance.signer.sign(new Uint8Array(1)) },
      ],
    };

    const scenarios: Scenario[] = [
      (() => {
        const { execution_id: _, ...rest } = fresh();
        return {
          code: 'EXECUTION_ID_MISSING',
          key: '',
          value: encodeIntent('', signBody(agent.signer, rest)),
        };
      })(),
      (() => {
        const b = fresh({ execution_id: 'not-a-uuid' });
        return {
          code: 'EXECUTION_ID_MALFORMED',
          key: b.execution_id,
          value: encodeIntent(b.execution_id, signBody(agent.signer, b)),
        };
      })(),
      {
        code: 'INTENT_MALFORMED',
        ...(() => {
          // A child carrying a grant: authority is inherited, never re-granted mid-lineage.
          const b = fresh({
            parents: [
              { execution_id: okParent.predicate.execution_id, attestation: okParent.digest },
            ],
          });
          return {
            key: b.execution_id,
            value: encodeIntent(b.execution_id, signBody(agent.signer, b), [okParent.envelope]),
          };
        })(),
      },
      (() => {
        const b = fresh();
        return {
          code: 'AGENT_SIGNATURE_MISSING',
          key: b.execution_id,
          value: encodeIntent(b.execution_id, { ...signBody(agent.signer, b), signatures: [] }),
        };
      })(),
      (() => {
        const b = fresh();
        const env = signBody(agent.signer, b);
        const sig = Uint8Array.from(env.signatures[0]!.sig);
        sig[3]! ^= 1;
        return {
          code: 'AGENT_SIGNATURE_INVALID',
          key: b.execution_id,
          value: encodeIntent(b.execution_id, {
            ...env,
            signatures: [{ keyid: agent.keyid, sig }],
          }),
        };
      })(),
      { code: 'AGENT_KEY_UNKNOWN', ...signedBy(stranger) },
      { code: 'AGENT_KEY_REVOKED', ...signedBy(revokedAgent) },
      { code: 'AGENT_KEY_EXPIRED', ...signedBy(expiredAgent) },
      // A revoked key backdating its claim to before its revocation: the broker's append time says no.
      {
        code: 'INTENT_CLOCK_SKEW',
        ...signedBy(revokedAgent, { requested_at: '2023-06-01T00:00:00.000Z' }),
      },
      { code: 'GRANT_MISSING', ...root(null) },
      { code: 'GRANT_INVALID', ...root(forgedGrant) },
      {
        code: 'GRANT_PRINCIPAL_UNTRUSTED',
        ...root(grantFor(agent.keyid, { principal: stranger.signer })),
      },
      {
        code: 'GRANT_EXPIRED',
        ...root(grantFor(agent.keyid, { validUntil: '2024-01-01T00:00:00.000Z' })),
      },
      {
        code: 'GRANT_OUT_OF_SCOPE',
        ...root(grantFor(agent.keyid, { scope: { actions: ['plan.*'], resources: [''] } })),
      },
      { code: 'PARENT_MISSING', ...childOf(okParent, []) },
      { code: 'PARENT_INVALID', ...childOf(okParent, [forgedParent]) },
      { code: 'PARENT_NOT_ALLOWED', ...childOf(badParent, [badParent.envelope]) },
      { code: 'PARENT_PENDING_OVERRIDE', ...childOf(pendingParent, [pendingParent.envelope]) },
      (() => {
        const b = {
          ...intent(agent.signer, { action: 'read.twice', resource: 'r/twice' }).body,
          execution_id: consumed.body.execution_id,
        };
        return {
          code: 'REPLAY_EXECUTION_ID',
          key: b.execution_id,
          value: encodeIntent(b.execution_id, signBody(agent.signer, b)),
          kind: 'replay_rejection' as const,
        };
      })(),
      {
        code: 'POLICY_DENIED',
        reasons: ['POLICY_DENIED', 'rule:no-prod-delete'],
        ...root(grantFor(agent.keyid), { action: 'delete.rows', resource: 'prod/orders' }),
      },
      { code: 'POLICY_NO_MATCH', ...root(grantFor(agent.keyid), { action: 'launch.rocket' }) },
      { code: 'UNDECODABLE', key: 'junk', value: Buffer.from('not avro at all') },
      // A refused resolution too large for its signed refusal to embed: kept whole as a dead letter.
      {
        code: 'OVERSIZED',
        overrides: true,
        key: consumed.body.execution_id,
        value: overrideCodec.encode({
          execution_id: consumed.body.execution_id,
          envelope: envelopeRecord({
            payload_type: RESOLUTION_PAYLOAD_TYPE,
            payload: new Uint8Array(100 * 1024).fill(0x7b),
            signatures: [],
          }),
          pending_attestation: envelopeRecord(given.get(consumed.body.execution_id)!.envelope),
        }),
      },
      { code: 'EMPTY_RECORD', key: 'empty', value: null },
    ];
    // The table covers the closed lists exactly.
    expect(new Set(scenarios.map((s) => s.code))).toEqual(
      new Set([...DENY_REASONS.filter((c) => !NOT_FROM_AN_INTENT.has(c)), ...DEAD_LETTER_REASONS]),
    );

    // When: every scenario is published once.
    const toIntents = scenarios.filter((s) => !s.overrides);
    await publish(toIntents.map((s) => ({ key: s.key, value: s.value })));
    await sendRaw(
      producer,
      ledger.topics.overrides,
      scenarios.filter((s) => s.overrides).map((s) => ({ key: s.key, value: s.value })),
    );
    const total = givens.length + scenarios.length;
    await waitUntil(
      () =>
        governance.stats.intents === givens.length + toIntents.length &&
        governance.stats.overrides === scenarios.length - toIntents.length,
      60_000,
      'every scenario decided',
    );
    await producer.disconnect();

    // Then: exactly one outcome each — intents in = attestations + dead letters.
    const { entries, deadLetters: letters } = await ledger.outcomes(governance.stats);
    expect(entries.length + letters.length).toBe(total);
    expect(letters.map((d) => d.reason).sort()).toEqual([
      'EMPTY_RECORD',
      'OVERSIZED',
      'UNDECODABLE',
    ]);
    expect(letters.find((d) => d.reason === 'OVERSIZED')?.raw_value?.length).toBeGreaterThan(
      100_000,
    );
    const verify = { trust: ledger.trust, ed25519: nobleEd25519 };
    for (const s of scenarios.filter(
      (x) => !(DEAD_LETTER_REASONS as readonly string[]).includes(x.code),
    )) {
      const kind = s.kind ?? 'decision';
      const found = entries.filter(
        (e) => e.predicate.execution_id === s.key && e.predicate.kind === kind,
      );
      expect(found, s.code).toHaveLength(1);
      // The outcome is signed: it verifies with only the public keys, and says deny for this reason.
      const v = verifyAttestation(found[0]!.envelope, verify);
      expect([v.predicate.decision, v.predicate.reasons], s.code).toEqual([
        'deny',
        s.reasons ?? [s.code],
      ]);
    }

    // And every one of these decisions re-derives identically from the recorded intents under the
    // pinned policy: `lineage replay-verify --all` over this ledger.
    await expectReplayVerifies(ledger, entries.length);
  });
});
