import { describe, expect, it } from 'vitest';
import { createCodec, encodeWith, intentCodec } from './codec.js';
import { codeOf } from './__fixtures__/code.js';
import type { EnvelopeRecord, IntentRecord } from './records.js';
import { buildRegistry, registry, schemaSources } from './registry.js';
import type { SchemaSource } from './registry.js';

const source = (file: string): SchemaSource => {
  const found = schemaSources.find((s) => s.file === file);
  if (!found) throw new Error(`missing ${file}`);
  return found;
};
const envelopeV1 = source('lineage.envelope.v1.avsc');
const intentV1 = source('lineage.intent.v1.avsc');

/** A future lineage.intent.v2.avsc with these fields. */
const intentV2Of = (fields: object[]): SchemaSource => ({
  file: 'lineage.intent.v2.avsc',
  schema: { type: 'record', name: 'ExecutionIntent', namespace: 'dev.lineage.v1', fields },
});

// An evolved intent, as a future version could be: one field added, with a default.
const intentV2 = intentV2Of([
  { name: 'execution_id', type: 'string' },
  { name: 'envelope', type: 'dev.lineage.v1.Envelope' },
  { name: 'parent_attestations', type: { type: 'array', items: 'dev.lineage.v1.Envelope' } },
  { name: 'trace', type: ['null', 'string'], default: null },
]);

const envelope: EnvelopeRecord = {
  payload_type: 'application/vnd.lineage.intent.v1+json',
  payload: Buffer.from('{"execution_id":"e-1"}'),
  signatures: [{ keyid: 'agent-1', sig: Buffer.alloc(64, 7) }],
};
const intent: IntentRecord = {
  execution_id: 'e-1',
  envelope,
  parent_attestations: [envelope, envelope],
};

describe('schema evolution', () => {
  const evolved = buildRegistry([envelopeV1, intentV1, intentV2]);
  const v2Codec = createCodec<IntentRecord & { trace: string | null }>(evolved, 'intent');

  it('reads v1 bytes with the v2 reader, filling the new field from its default', () => {
    const v1Bytes = intentCodec.encode(intent);
    expect(v1Bytes.subarray(2, 10).toString('hex')).toBe(evolved.get('intent', 1).fingerprint);
    const read = v2Codec.decode(v1Bytes);
    expect(read).toEqual({ ...intent, trace: null });
  });

  it('writes the latest version and reads it back', () => {
    const bytes = v2Codec.encode({
      ...intent,
      trace: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
    });
    expect(v2Codec.version).toBe(2);
    expect(bytes.subarray(2, 10).toString('hex')).toBe(v2Codec.fingerprint);
    expect(v2Codec.fingerprint).not.toBe(intentCodec.fingerprint);
    expect(v2Codec.decode(bytes).trace).toBe(
      '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
    );
  });

  it('still encodes an older version on request (the fixture script does)', () => {
    const v1 = encodeWith(evolved.get('intent', 1), intent);
    expect(v1).toEqual(intentCodec.encode(intent));
  });

  it('does not read a newer writer it does not know', () => {
    const v2Bytes = v2Codec.encode({ ...intent, trace: null });
    expect(codeOf(() => intentCodec.decode(v2Bytes))).toBe('UNKNOWN_FINGERPRINT');
  });

  it('refuses at load a version that cannot read an older one', () => {
    const incompatible = intentV2Of([
      { name: 'execution_id', type: 'string' },
      { name: 'required_without_default', type: 'string' },
    ]);
    expect(() => buildRegistry([envelopeV1, intentV1, incompatible])).toThrow(
      /intent v1 cannot be read as v2/,
    );
  });
});

describe('buildRegistry', () => {
  it('resolves shared named types whatever the file order', () => {
    const reversed = buildRegistry([...schemaSources].reverse());
    expect(reversed.versions()).toEqual(registry.versions());
  });

  it('refuses a reference to a type no file defines', () => {
    expect(() => buildRegistry([intentV1])).toThrow(/dev\.lineage\.v1\.Envelope is not defined/);
  });

  it('refuses a reference that two files define (old fingerprints would silently change)', () => {
    const envelopeV2: SchemaSource = {
      file: 'lineage.envelope.v2.avsc',
      schema: envelopeV1.schema,
    };
    expect(() => buildRegistry([envelopeV1, envelopeV2, intentV1])).toThrow(/ambiguous/);
  });

  it('refuses misnamed files and duplicate versions', () => {
    expect(() => buildRegistry([{ file: 'intent.avsc', schema: 'string' }])).toThrow(/not named/);
    expect(() => buildRegistry([envelopeV1, { ...envelopeV1 }])).toThrow(/two schema files/);
  });

  it('lists every version with its fingerprint', () => {
    expect(registry.versions().map((v) => `${v.name}.v${v.version}`)).toEqual([
      'attestation.v1',
      'dead-letter.v1',
      'envelope.v1',
      'intent.v1',
      'override.v1',
      'policy.v1',
    ]);
    for (const v of registry.versions()) expect(v.fingerprint).toMatch(/^[0-9a-f]{16}$/);
  });
});
