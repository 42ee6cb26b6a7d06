import { readFileSync } from 'node:fs';
import avsc from 'avsc';
import type { Schema } from 'avsc';
import { describe, expect, it } from 'vitest';
import { canonicalForm, crc64Avro, fingerprintOf } from './fingerprint.js';
import { registry } from './registry.js';

interface FingerprintVector {
  label: string;
  schema: string;
  canonical_form: string;
  fingerprint64: string;
  fingerprint64_unsigned: string;
  fingerprint_le_hex: string;
}

// Produced by Apache Avro Java (see the file's `source`), not by this code.
const { vectors } = JSON.parse(
  readFileSync(new URL('../vectors/fingerprints.json', import.meta.url), 'utf8'),
) as { vectors: FingerprintVector[] };

const fileVectors = vectors.filter((v) => v.schema.startsWith('file:'));
const schemaVectors = vectors.filter((v) => !v.schema.startsWith('file:'));

describe('CRC-64-AVRO', () => {
  it('starts from the specification EMPTY constant', () => {
    expect(crc64Avro(new Uint8Array())).toBe(0xc15d213aa4d7a795n);
  });

  it.each(vectors)('matches Java parsingFingerprint64 for $label', (v) => {
    const fp = crc64Avro(Buffer.from(v.canonical_form, 'utf8'));
    expect(fp).toBe(BigInt(v.fingerprint64_unsigned));
    expect(BigInt.asIntN(64, fp)).toBe(BigInt(v.fingerprint64));
  });
});

describe('Parsing Canonical Form and fingerprint', () => {
  it.each(schemaVectors)('match Java SchemaNormalization for $label', (v) => {
    const type = avsc.Type.forSchema(JSON.parse(v.schema) as Schema);
    expect(canonicalForm(type)).toBe(v.canonical_form);
    expect(fingerprintOf(type).toString('hex')).toBe(v.fingerprint_le_hex);
  });

  it('cover every schema file of the Java run', () => {
    expect(fileVectors.map((v) => v.label).sort()).toEqual([
      'lineage.attestation.v1.avsc',
      'lineage.dead-letter.v1.avsc',
      'lineage.envelope.v1.avsc',
      'lineage.intent.v1.avsc',
    ]);
  });

  // A published version must never change: its records on the ledger carry its fingerprint.
  it.each(fileVectors)('of published $label are unchanged and computed as Java does', (v) => {
    const [, name, version] = /^lineage\.(.+)\.v(\d+)\.avsc$/.exec(v.label) ?? [];
    const writer = registry.get(name ?? '', Number(version));
    expect(writer.canonicalForm).toBe(v.canonical_form);
    expect(writer.fingerprint).toBe(v.fingerprint_le_hex);
    expect(writer.header.toString('hex')).toBe(`c301${v.fingerprint_le_hex}`);
  });
});
