// Test fixtures: signed attestation records as governance appends them, for the API's int tests.
import {
  ATTESTATION_PAYLOAD_TYPE,
  attestationDigest,
  buildStatement,
  digestOf,
  encodeStatement,
  executionFingerprint,
  newExecutionId,
  sha256Hex,
  signEnvelope,
  utf8,
} from '@lineage/protocol';
import type {
  Decision,
  Digest,
  ExecutionId,
  JsonValue,
  Predicate,
  Signer,
} from '@lineage/protocol';
import { attestationCodec, envelopeRecord } from '@lineage/schemas';

/** The policy document every fixture decision pins (by its canonical hash). */
export const FIXTURE_POLICY: JsonValue = { id: 'default', version: 3, rules: [] };
export const FIXTURE_RUNTIME = sha256Hex(utf8('runtime manifest'));

/** One attestation as produced to the topic. */
export interface FixtureAttestation {
  executionId: ExecutionId;
  digest: Digest;
  fingerprint: string;
  /** Avro-encoded `Attestation` record: the Kafka value. */
  value: Buffer;
}

/** Builds a ledger of signed decisions; parents are referred to by their decision's digest. */
export class Ledger {
  private readonly decisions = new Map<ExecutionId, Digest>();
  private sequence = 0;

  constructor(private readonly signer: Signer) {}

  /** Attests a decision by `agent` for a new execution with the given parents (attested here). */
  decide(
    agent: string,
    parents: ExecutionId[] = [],
    decision: Decision = 'allow',
  ): FixtureAttestation {
    const executionId = newExecutionId();
    const sequence = this.sequence++;
    const parentRefs = parents.map((id) => {
      const attestation = this.decisions.get(id);
      if (attestation === undefined) throw new Error(`parent ${id} was not attested here`);
      return { execution_id: id, attestation };
    });
    const subjectDigest = sha256Hex(utf8(`intent:${executionId}`));
    const fingerprint = executionFingerprint(executionId, subjectDigest, {
      id: 'default',
      version: 3,
      hash: digestOf(FIXTURE_POLICY),
    });
    const predicate: Predicate = {
      execution_id: executionId,
      execution_fingerprint: fingerprint,
      kind: 'decision',
      decision,
      reasons: decision === 'allow' ? [] : ['POLICY_DENIED'],
      agent,
      action: `action-${sequence}`,
      resource: `resource/${sequence}`,
      policy: { id: 'default', version: 3, hash: digestOf(FIXTURE_POLICY) },
      runtime_hash: FIXTURE_RUNTIME,
      parents: parentRefs,
      authorization: {
        grant: parents.length === 0 ? sha256Hex(utf8(`grant:${executionId}`)) : null,
        inherited_from: parentRefs.map((p) => p.attestation),
      },
      partition: 0,
      sequence,
      prev: null,
      issued_at: new Date(Date.UTC(2025, 0, 1) + sequence * 1000).toISOString(),
      issuer: this.signer.keyid as Predicate['issuer'],
      intent: null,
    };
    const payload = encodeStatement(buildStatement(predicate, subjectDigest));
    const envelope = signEnvelope(ATTESTATION_PAYLOAD_TYPE, payload, this.signer);
    const digest = attestationDigest(envelope);
    this.decisions.set(executionId, digest);
    const value = attestationCodec.encode({
      execution_id: executionId,
      envelope: envelopeRecord(envelope),
    });
    return { executionId, digest, fingerprint, value };
  }
}
