import { randomUUID } from 'node:crypto';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { writeKeyFile, writeTrustStore } from '@lineage/keys';
import { startProjector } from '@lineage/projector';
import type { Projector } from '@lineage/projector';
import { openQueries } from '@lineage/query';
import type { LineageSdkError, ReceivedAttestation } from '@lineage/sdk';
import { createPool } from '@lineage/store';
import { runLineage } from './kit/cli.js';
import { TEST_POLICY, createTestLedger } from './kit/ledger.js';
import type { TestLedger } from './kit/ledger.js';
import { waitUntil } from '@lineage/testkit/kafka';

/** A ledger with a held execution, driven through the `lineage` CLI the way an operator would. */
describe('lineage override approve and lineage replay-verify on a real ledger', () => {
  let ledger: TestLedger;
  let projector: Projector;
  let pool: ReturnType<typeof createPool>;
  let dir: string;
  const schema = `replay_${randomUUID().slice(0, 8)}`;
  const ids: Record<string, string> = {};

  const lineage = (...args: string[]) => runLineage(inject('brokers'), args);
  const projection = () => [
    '--schema',
    schema,
    '--database-url',
    inject('databaseUrl'),
    '--trust',
    join(dir, 'truststore.json'),
  ];
  // Where the recorded intents are: replay-verify re-decides from the records governance received.
  const recorded = () => [
    '--topic-prefix',
    ledger.topics.intents.replace('lineage.intents.v1', ''),
  ];
  const override = (verdict: 'approve' | 'reject', id: string) =>
    lineage(
      'override',
      verdict,
      id,
      '--key',
      join(dir, 'approver.key'),
      '--reason',
      'e2e',
      '--topic-prefix',
      ledger.topics.intents.replace('lineage.intents.v1', ''),
      ...projection(),
    );
  const settled = async (count: number) => {
    await waitUntil(
      async () =>
        Number(
          (await pool.query(`SELECT count(*) AS n FROM ${schema}.executions`)).rows[0]?.n ?? 0,
        ) >= count,
      60_000,
      `${count} attestations projected`,
    );
  };

  beforeAll(async () => {
    ledger = await createTestLedger(inject('brokers'), {
      policy: {
        ...TEST_POLICY,
        allow: [...TEST_POLICY.allow, { id: 'publish', agents: ['*'], actions: ['publish.*'] }],
        require_override: [{ id: 'publish-held', actions: ['publish.*'], approvers: ['*'] }],
      },
    });
    await ledger.startGovernance();
    pool = createPool(inject('databaseUrl'));
    projector = await startProjector({
      kafka: ledger.kafka,
      pool,
      schema,
      topics: ledger.topics,
      groupId: `${ledger.groupId}-projector`,
      partitions: 3,
    });
    dir = await mkdtemp(join(tmpdir(), 'lineage-replay-'));
    await writeTrustStore(join(dir, 'truststore.json'), ledger.trustDocument);
    await writeKeyFile(join(dir, 'approver.key'), ledger.approverKey);

    const agent = await ledger.agent(0);
    const answer = (p: Promise<ReceivedAttestation>) =>
      p.catch((e: unknown) => (e as LineageSdkError).attestation!);
    const root = await agent.publishIntent({ action: 'read.a', resource: 'docs/a' });
    const held = await answer(
      agent.publishIntent({ action: 'publish.a', resource: 'docs/a', parents: [root.envelope] }),
    );
    const denied = await answer(agent.publishIntent({ action: 'delete.a', resource: 'prod/a' }));
    ids.root = root.verified.predicate.execution_id;
    ids.held = held.verified.predicate.execution_id;
    ids.denied = denied.verified.predicate.execution_id;
    expect(held.verified.predicate.decision).toBe('pending_override');
    await settled(3);
  });

  afterAll(async () => {
    await projector?.stop();
    await ledger?.close();
    await pool?.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await pool?.end();
  });

  it('lineage override approve resolves the held execution; a second resolution and a non-pending one exit 1 with their codes', async () => {
    const approved = await override('approve', ids.held!);
    expect(approved.code, approved.out).toBe(0);
    expect(approved.out).toContain('override allow OVERRIDE_APPROVED');
    await settled(4);
    const view = await openQueries(pool, schema).show(ids.held!);
    expect(view.outcome).toMatchObject({ kind: 'override', decision: 'allow' });

    const again = await override('reject', ids.held!);
    expect(again.code, again.out).toBe(1);
    expect(again.out).toContain('OVERRIDE_ALREADY_RESOLVED');
    const notHeld = await override('approve', ids.root!);
    expect(notHeld.code, notHeld.out).toBe(1);
    expect(notHeld.out).toContain('OVERRIDE_NOT_PENDING');
    await settled(5);
  });

  it('replay-verify re-derives every recorded decision, and reports the one whose stored policy was edited', async () => {
    await waitUntil(
      async () =>
        (
          await pool.query(`SELECT 1 FROM ${schema}.policies WHERE hash = $1`, [
            ledger.policy.ref.hash,
          ])
        ).rowCount === 1,
      60_000,
      'the policy projected',
    );
    const all = await lineage('replay-verify', '--all', ...projection(), ...recorded());
    expect(all.code, all.out).toBe(0);
    expect(all.out).toMatch(
      /replay-verify: 5 attestations .*: 5 re-derived identically, 0 mismatches/,
    );
    expect(all.out).toContain('1 override_rejection');
    const one = await lineage('replay-verify', ids.held!, ...projection(), ...recorded());
    expect(one.code, one.out).toBe(0);
    expect(one.out).toContain('3 re-derived identically');

    // Someone edits the stored policy document: nothing that decided under it re-derives any more.
    await pool.query(
      `UPDATE ${schema}.policies SET document = jsonb_set(document, '{deny}', '[]'::jsonb) WHERE hash = $1`,
      [ledger.policy.ref.hash],
    );
    const edited = await lineage('replay-verify', '--all', ...projection(), ...recorded());
    expect(edited.code, edited.out).toBe(1);
    expect(edited.out).toContain(`MISMATCH POLICY_HASH_MISMATCH decision ${ids.denied}`);
    expect(edited.out).toContain('0 re-derived identically, 5 mismatches');
    expect((await lineage('replay-verify', ...projection())).code).toBe(2);
  });
});
