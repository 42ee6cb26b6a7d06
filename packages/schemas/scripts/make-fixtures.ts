// Writes one sample record per schema version to fixtures/<name>.v<N>.bin, with a readable JSON
// twin (bytes as base64) beside it. Existing fixtures are never overwritten: they are the record
// of what each version wrote, and the unit tests check they stay readable. When you add
// lineage.<name>.v<N>.avsc, add a sample for it below and run:  npx tsx packages/schemas/scripts/make-fixtures.ts
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { encodeWith } from '../src/codec.js';
import { registry } from '../src/registry.js';
import { fromTwin } from '../src/twin.js';
import type { Twin } from '../src/twin.js';

const FIXTURES = new URL('../fixtures/', import.meta.url);

const b64 = (text: string): string => Buffer.from(text, 'utf8').toString('base64');
const pattern = (length: number, seed: number): string =>
  Buffer.from(Array.from({ length }, (_, i) => (seed + i * 7) & 0xff)).toString('base64');

const executionId = '0190f4d2-7c1e-7a3b-8f00-00000000c0de';
const parentId = '0190f4d2-7c1e-7a3b-8f00-00000000beef';
const attestationPayload = JSON.stringify({
  _type: 'https://in-toto.io/Statement/v1',
  predicate: { decision: 'allow', execution_id: parentId, kind: 'decision', reasons: [] },
  predicateType: 'https://lineage.dev/ExecutionAttestation/v1',
  subject: [{ digest: { sha256: '6a'.repeat(32) }, name: parentId }],
});
const attestationEnvelope: Twin = {
  payload_type: 'application/vnd.in-toto+json',
  payload: b64(attestationPayload),
  signatures: [{ keyid: 'governance-2025-01', sig: pattern(64, 1) }],
};

/** Samples as JSON twins, by `<name>.v<N>`. Never change a sample whose fixture exists. */
const SAMPLES: Record<string, Twin> = {
  'envelope.v1': attestationEnvelope,
  'attestation.v1': { execution_id: parentId, envelope: attestationEnvelope },
  'intent.v1': {
    execution_id: executionId,
    envelope: {
      payload_type: 'application/vnd.lineage.intent.v1+json',
      payload: b64(
        JSON.stringify({
          action: 'deploy',
          agent: 'agent-2025-01',
          execution_id: executionId,
          parents: [parentId],
          requested_at: '2025-01-02T03:04:05.678Z',
          resource: 'service/payments',
        }),
      ),
      signatures: [{ keyid: 'agent-2025-01', sig: pattern(64, 2) }],
    },
    parent_attestations: [attestationEnvelope],
  },
  'override.v1': {
    execution_id: executionId,
    envelope: {
      payload_type: 'application/vnd.lineage.override.v1+json',
      payload: b64(
        JSON.stringify({
          approver: 'approver-2025-01',
          execution_id: executionId,
          pending: '6b'.repeat(32),
          resolution: 'approve',
        }),
      ),
      signatures: [{ keyid: 'approver-2025-01', sig: pattern(64, 4) }],
    },
    pending_attestation: attestationEnvelope,
  },
  'policy.v1': {
    hash: '6c'.repeat(32),
    id: 'default',
    version: 3,
    document: '{"allow":[],"deny":[],"id":"default","version":3}',
    activated_at: '2025-01-02T03:04:05.678Z',
  },
  'dead-letter.v1': {
    source_topic: 'lineage.intents.v1',
    source_partition: 7,
    source_offset: '9007199254740993',
    raw_key: b64(executionId),
    raw_value: pattern(16, 3),
    reason: 'BAD_MARKER',
    detail: 'not Avro single-object encoding',
    failed_at: '2025-01-02T03:04:05.678Z',
  },
};

mkdirSync(FIXTURES, { recursive: true });
for (const v of registry.versions()) {
  const id = `${v.name}.v${v.version}`;
  const bin = new URL(`${id}.bin`, FIXTURES);
  if (existsSync(bin)) {
    console.log(`kept    fixtures/${id}.bin`);
    continue;
  }
  const sample = SAMPLES[id];
  if (sample === undefined)
    throw new Error(`no sample for ${id}: add one to SAMPLES in make-fixtures.ts`);
  const writer = registry.get(v.name, v.version);
  writeFileSync(bin, encodeWith(writer, fromTwin(writer.type, sample)));
  const twin = { schema: v.name, version: v.version, fingerprint: v.fingerprint, value: sample };
  writeFileSync(new URL(`${id}.json`, FIXTURES), `${JSON.stringify(twin, null, 2)}\n`);
  console.log(`wrote   fixtures/${id}.bin`);
}
