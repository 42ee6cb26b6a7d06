import type { JsonValue } from '../encoding/canonical.js';
import { parseCanonical } from '../encoding/canonical.js';
import { IntentError } from '../errors.js';
import { isDigest, isExecutionId, isKeyId } from './ids.js';
import type { Digest, ExecutionId, KeyId } from './ids.js';
import {
  asArray,
  asNullableString,
  asObject,
  asString,
  asTimestamp,
  onlyKeys,
} from '../encoding/shape.js';

export const INTENT_PAYLOAD_TYPE = 'application/vnd.lineage.intent.v1+json';
export const INTENT_TYPE = 'https://lineage.dev/ExecutionIntent/v1';

/** A parent execution the intent descends from, bound by its attestation digest. */
export interface ParentRef {
  execution_id: ExecutionId;
  attestation: Digest;
}

/** The agent's runtime environment. */
export interface RuntimeRef {
  name: string;
  version: string;
  digest: string;
}

/** A model, prompt or tool the execution depends on. */
export interface DependencyRef {
  kind: string;
  name: string;
  digest: string;
}

/** The canonical JSON body an agent signs (DSSE payload type {@link INTENT_PAYLOAD_TYPE}). */
export interface IntentBody {
  _type: typeof INTENT_TYPE;
  execution_id: ExecutionId;
  agent: KeyId;
  action: string;
  resource: string;
  inputs: { [key: string]: JsonValue };
  parents: ParentRef[];
  grant: JsonValue | null;
  runtime: RuntimeRef;
  dependencies: DependencyRef[];
  requested_at: string;
  trace: string | null;
}

const FIELDS = [
  '_type',
  'execution_id',
  'agent',
  'action',
  'resource',
  'inputs',
  'parents',
  'grant',
  'runtime',
  'dependencies',
  'requested_at',
  'trace',
];
const TRACEPARENT = /^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$/;
export const MAX_PARENTS = 64;

const fail = (what: string) => new IntentError('INTENT_MALFORMED', what);

/**
 * Parses and shape-checks an intent payload from untrusted bytes.
 * @throws IntentError INTENT_MALFORMED, EXECUTION_ID_MISSING or EXECUTION_ID_MALFORMED.
 */
export function parseIntent(payload: Uint8Array): IntentBody {
  let value: JsonValue;
  try {
    value = parseCanonical(payload, { maxBytes: 256 * 1024, maxDepth: 16 });
  } catch (cause) {
    throw new IntentError('INTENT_MALFORMED', `intent payload: ${(cause as Error).message}`, {
      cause,
    });
  }
  const o = asObject(value, 'intent', fail);
  // The execution id is checked first so a bad id gets its own reason code.
  if (o.execution_id === undefined || o.execution_id === null || o.execution_id === '') {
    throw new IntentError('EXECUTION_ID_MISSING', 'intent has no execution_id');
  }
  if (!isExecutionId(o.execution_id))
    throw new IntentError('EXECUTION_ID_MALFORMED', 'execution_id is not a lowercase UUIDv7');
  onlyKeys(o, FIELDS, 'intent', fail);
  if (o._type !== INTENT_TYPE) throw fail('intent _type is not ' + INTENT_TYPE);
  if (!isKeyId(o.agent)) throw fail('agent is not a key id');
  const parents = readParents(o.parents);
  if (new Set(parents.map((p) => p.execution_id)).size !== parents.length)
    throw fail('duplicate parent');
  const runtime = asObject(o.runtime, 'runtime', fail);
  onlyKeys(runtime, ['name', 'version', 'digest'], 'runtime', fail);
  const dependencies = readDependencies(o.dependencies);
  const trace = asNullableString(o.trace, 'trace', fail, 55);
  if (trace !== null && !TRACEPARENT.test(trace)) throw fail('trace is not a W3C traceparent');
  if (o.grant !== null && (typeof o.grant !== 'object' || Array.isArray(o.grant)))
    throw fail('grant is not an object or null');
  // A child inherits its authority from its parents; only a root carries a grant.
  if (o.grant !== null && parents.length > 0) throw fail('a child intent carries a grant');
  return {
    _type: INTENT_TYPE,
    execution_id: o.execution_id,
    agent: o.agent,
    action: asString(o.action, 'action', fail, 256),
    resource: asString(o.resource, 'resource', fail, 1024),
    inputs: asObject(o.inputs, 'inputs', fail) as { [key: string]: JsonValue },
    parents,
    grant: o.grant as JsonValue | null,
    runtime: {
      name: asString(runtime.name, 'runtime.name', fail, 256),
      version: asString(runtime.version, 'runtime.version', fail, 128),
      digest: asString(runtime.digest, 'runtime.digest', fail, 256),
    },
    dependencies,
    requested_at: asTimestamp(o.requested_at, 'requested_at', fail),
    trace,
  };
}

function readParents(value: unknown): ParentRef[] {
  return asArray(value, 'parents', fail, MAX_PARENTS).map((p, i) => {
    const po = asObject(p, `parents[${i}]`, fail);
    onlyKeys(po, ['execution_id', 'attestation'], `parents[${i}]`, fail);
    if (!isExecutionId(po.execution_id)) throw fail(`parents[${i}].execution_id is not a UUIDv7`);
    if (!isDigest(po.attestation)) throw fail(`parents[${i}].attestation is not a digest`);
    return { execution_id: po.execution_id, attestation: po.attestation };
  });
}

function readDependencies(value: unknown): DependencyRef[] {
  return asArray(value, 'dependencies', fail, 256).map((d, i) => {
    const dobj = asObject(d, `dependencies[${i}]`, fail);
    onlyKeys(dobj, ['kind', 'name', 'digest'], `dependencies[${i}]`, fail);
    return {
      kind: asString(dobj.kind, 'kind', fail, 64),
      name: asString(dobj.name, 'name', fail, 512),
      digest: asString(dobj.digest, 'digest', fail, 256),
    };
  });
}
