import { inject, it, expect } from 'vitest';
import { TEST_PRINCIPAL } from './kit/authority.js';
import { createTestLedger } from './kit/ledger.js';

it('smoke: an intent becomes a verified allow', async () => {
  const ledger = await createTestLedger(inject('brokers'));
  try {
    await ledger.startGovernance();
    const agent = await ledger.agent(0);
    const root = await agent.publishIntent({ action: 'read.docs', resource: 'docs/a' });
    expect(root.verified.predicate.decision).toBe('allow');
    const child = await agent.publishIntent({
      action: 'summarize',
      resource: 'docs/a',
      parents: [root.envelope],
    });
    expect(child.verified.predicate.parents[0]!.attestation).toBe(root.verified.digest);
    // The root's authority is the default test grant; the child inherits it one level down.
    expect(root.verified.predicate.authorization.principals).toEqual([TEST_PRINCIPAL.keyid]);
    expect(child.verified.predicate.authorization).toMatchObject({
      grant: null,
      inherited_from: [root.verified.digest],
      principals: [TEST_PRINCIPAL.keyid],
      depth: 1,
    });
  } finally {
    await ledger.close();
  }
});
