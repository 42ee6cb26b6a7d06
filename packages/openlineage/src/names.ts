import { isExecutionId, isKeyId } from '@lineage/protocol';
import type { Digest } from '@lineage/protocol';
import type { Dataset, JobRef } from './types.js';

/** What an agent or action is called when an attestation of a malformed intent names none. */
const UNNAMED = 'unknown';
/** `scheme://authority/path`: a resource already named the way OpenLineage names datasets. */
const URI = /^([a-z][a-z0-9+.-]*:\/\/[^/?#]*)(\/[^?#]*)?/i;

/**
 * The job of an execution: one namespace per agent key (the accountable actor, as a scheduler is
 * for its jobs), one job per action in it (what repeats from run to run). An agent that is not a
 * key id (an attestation of a malformed intent) files under `<base>.agent.unknown`.
 */
export function jobOf(base: string, agent: string, action: string): JobRef {
  return {
    namespace: `${base}.agent.${isKeyId(agent) ? agent : UNNAMED}`,
    name: action === '' ? UNNAMED : action,
  };
}

/**
 * The dataset a resource names: a URI keeps its `scheme://authority` as namespace and its path as
 * name (OpenLineage's dataset naming); anything else is a name in `<base>.resource`. An empty
 * resource names no dataset.
 */
export function datasetOf(base: string, resource: string): Dataset | null {
  if (resource === '') return null;
  const uri = URI.exec(resource);
  if (uri !== null) return { namespace: uri[1]!, name: uri[2] || '/' };
  return { namespace: `${base}.resource`, name: resource };
}

/**
 * The runId of an execution: its execution id (a UUIDv7 is an RFC 9562 UUID). An attestation of an
 * intent whose id is missing or malformed gets a UUIDv8 made of its attestation digest instead, so
 * its event is still valid and still the same on every emission.
 */
export function runIdOf(executionId: string, digest: Digest): string {
  if (isExecutionId(executionId)) return executionId;
  const h = digest.slice(0, 32).split('');
  h[12] = '8';
  h[16] = ((parseInt(h[16]!, 16) & 0x3) | 0x8).toString(16);
  const s = h.join('');
  return `${s.slice(0, 8)}-${s.slice(8, 12)}-${s.slice(12, 16)}-${s.slice(16, 20)}-${s.slice(20)}`;
}
