import {
  INTENT_PAYLOAD_TYPE,
  INTENT_TYPE,
  attestationDigest,
  canonicalBytes,
  newExecutionId,
  parseStatement,
  signEnvelope,
} from '@lineage/protocol';
import type {
  DependencyRef,
  ExecutionId,
  IntentBody,
  JsonValue,
  KeyId,
  RawEnvelope,
  RuntimeRef,
  Signer,
} from '@lineage/protocol';

/** What an agent asks to do. Parents are the attestations (envelopes) of the executions it builds on. */
export interface IntentDraft {
  action: string;
  resource: string;
  inputs?: { [key: string]: JsonValue };
  parents?: readonly RawEnvelope[];
  dependencies?: DependencyRef[];
  executionId?: ExecutionId;
  trace?: string | null;
  grant?: JsonValue | null;
  requestedAt?: Date;
}

/** A signed intent ready to publish. */
export interface SignedIntent {
  body: IntentBody;
  envelope: RawEnvelope;
  parents: readonly RawEnvelope[];
}

/** Builds the canonical intent body and signs it with the agent's key (DSSE). */
export function signIntent(draft: IntentDraft, signer: Signer, runtime: RuntimeRef): SignedIntent {
  const parents = draft.parents ?? [];
  const body: IntentBody = {
    _type: INTENT_TYPE,
    execution_id: draft.executionId ?? newExecutionId(),
    agent: signer.keyid as KeyId,
    action: draft.action,
    resource: draft.resource,
    inputs: draft.inputs ?? {},
    parents: parents.map((env) => ({
      execution_id: parseStatement(env.payload).predicate.execution_id as ExecutionId,
      attestation: attestationDigest(env),
    })),
    grant: draft.grant ?? null,
    runtime,
    dependencies: draft.dependencies ?? [],
    requested_at: (draft.requestedAt ?? new Date()).toISOString(),
    trace: draft.trace ?? null,
  };
  return {
    body,
    envelope: signEnvelope(INTENT_PAYLOAD_TYPE, canonicalBytes(body), signer),
    parents,
  };
}
