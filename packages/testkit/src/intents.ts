// Intent bodies and signed intent envelopes.
import {
  INTENT_PAYLOAD_TYPE,
  INTENT_TYPE,
  canonicalBytes,
  newExecutionId,
  sha256Hex,
  signEnvelope,
  utf8,
} from '@lineage/protocol';
import type { IntentBody, RawEnvelope, Signer } from '@lineage/protocol';
import { withOverrides } from './bytes.js';

/** A valid intent body by `agent`; fields may be overridden (or set to undefined to drop them). */
export function intentBody(
  agent: { keyid: string },
  overrides: Record<string, unknown> = {},
): Record<string, unknown> {
  const body: IntentBody = {
    _type: INTENT_TYPE,
    execution_id: newExecutionId(Date.parse('2024-06-01T11:59:59Z')),
    agent: agent.keyid as IntentBody['agent'],
    action: 'payments.transfer',
    resource: 'account:42',
    inputs: { amount: '100.00', currency: 'EUR', note: 'caf\u00e9 \u20ac \ud83d\ude00' },
    parents: [],
    grant: { principal: 'alice', scope: ['payments.transfer'] },
    runtime: { name: 'agent-runtime', version: '1.2.3', digest: sha256Hex(utf8('agent runtime')) },
    dependencies: [{ kind: 'model', name: 'planner', digest: sha256Hex(utf8('model weights')) }],
    requested_at: '2024-06-01T11:59:59Z',
    trace: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
  };
  return withOverrides(body as unknown as Record<string, unknown>, overrides);
}

/** Signs the canonical bytes of any body (also a malformed one) as an intent envelope. */
export function signedIntent(signer: Signer, body: unknown): RawEnvelope {
  return signEnvelope(INTENT_PAYLOAD_TYPE, canonicalBytes(body), signer);
}
