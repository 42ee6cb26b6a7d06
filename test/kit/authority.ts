// The system tests' principal and its default grants, made with the kit.
import type { JsonValue, Signer } from '@lineage/protocol';
import { ANY_SCOPE, grantFor as kitGrantFor, resolution, testKey } from '@lineage/testkit';
import type { GrantOptions as KitGrantOptions, TestKey } from '@lineage/testkit';
import type { IntentDraft } from '@lineage/sdk';

export { ANY_SCOPE, resolution };

/**
 * The principal whose grants root test intents carry by default. One per test process; every
 * ledger under test trusts it with the `principal` role.
 */
export const TEST_PRINCIPAL: TestKey = testKey();

/** The policy id default grants are issued under (the id of every test policy). */
export const TEST_POLICY_ID = 'test';

export interface GrantOptions extends KitGrantOptions {
  principal?: Signer;
}

/**
 * A grant (DSSE envelope JSON, as a root intent carries it) for `agent`: by default signed by
 * {@link TEST_PRINCIPAL}, covering everything under the test policy id, valid 2000–2999.
 */
export function grantFor(agent: string, options: GrantOptions = {}): JsonValue {
  const principal = options.principal ?? TEST_PRINCIPAL.signer;
  return kitGrantFor(principal, agent, {
    policy: TEST_POLICY_ID,
    ...options,
  }) as unknown as JsonValue;
}

/** The draft with the default grant attached when it is a root that names no grant. */
export function withGrant(agent: string, draft: IntentDraft): IntentDraft {
  const root = (draft.parents ?? []).length === 0;
  return root && draft.grant === undefined ? { ...draft, grant: grantFor(agent) } : draft;
}
