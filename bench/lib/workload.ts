import type { KeyPair } from '@lineage/keys';
import { signGrant } from '@lineage/protocol';
import type { JsonValue, Signer } from '@lineage/protocol';
import { envelopeRecord, intentCodec } from '@lineage/schemas';
import { signIntent } from '@lineage/sdk';
import type { BenchRecord } from './publish.js';

/** The runtime the benchmark agent claims; any digest-shaped value does. */
const AGENT_RUNTIME = { name: 'bench', version: '1', digest: 'sha256:' + '0'.repeat(64) };

/**
 * Signs `count` root intents (`read.bench` on `r/<i>`, no parents, carrying the agent's `grant`)
 * with the agent's key and encodes each as an intent record, exactly as an agent publishes it. This
 * is the agent's cost: call it before any clock starts.
 */
export function buildRecords(
  count: number,
  signer: Signer,
  grant: JsonValue,
  offset = 0,
): BenchRecord[] {
  return Array.from({ length: count }, (_, i) => {
    const { body, envelope } = signIntent(
      { action: 'read.bench', resource: `r/${offset + i}`, grant },
      signer,
      AGENT_RUNTIME,
    );
    const value = intentCodec.encode({
      execution_id: body.execution_id,
      envelope: envelopeRecord(envelope),
      parent_attestations: [],
    });
    return { id: body.execution_id, value };
  });
}

/**
 * The principal's grant every benchmark root intent carries: `agent` may run `read.*` on `r/…`
 * under policy `policyId`, for ever. Governance verifies it with each intent, as in production.
 */
export function benchGrant(agent: KeyPair, principal: KeyPair, policyId: string): JsonValue {
  return signGrant(
    {
      grant_id: 'bench',
      principal: principal.keyid,
      agent: agent.keyid,
      scope: { actions: ['read.*'], resources: ['r/'] },
      policy: policyId,
      valid_from: '2000-01-01T00:00:00.000Z',
      valid_until: '2999-01-01T00:00:00.000Z',
      issued_at: new Date().toISOString(),
    },
    principal.signer,
  ) as unknown as JsonValue;
}
