import type { Type } from 'avsc';
import { shapeOf } from './shape.js';

// CRC-64-AVRO (Rabin), per the Avro 1.11 specification, "Schema Fingerprints".
const EMPTY = 0xc15d213aa4d7a795n;
const TABLE: readonly bigint[] = Array.from({ length: 256 }, (_, i) => {
  let fp = BigInt(i);
  for (let j = 0; j < 8; j++) fp = (fp >> 1n) ^ (EMPTY & -(fp & 1n));
  return fp;
});

/**
 * CRC-64-AVRO of `bytes`, as an unsigned 64-bit integer (Java's `SchemaNormalization.fingerprint64`
 * returns the same bits as a signed `long`). Runs once per schema at load time, not per record.
 */
export function crc64Avro(bytes: Uint8Array): bigint {
  let fp = EMPTY;
  for (const b of bytes) fp = (fp >> 8n) ^ (TABLE[Number((fp ^ BigInt(b)) & 0xffn)] ?? 0n);
  return fp;
}

/**
 * The Parsing Canonical Form of a schema (Avro 1.11 specification, "Parsing Canonical Form for
 * Schemas"): full names, only `name`/`type`/`fields`/`symbols`/`items`/`values`/`size` in that
 * order, primitives as bare strings, no whitespace, each named type spelled out at its first
 * occurrence and referenced by full name afterwards. Logical types reduce to their underlying type.
 * Equal to Apache Avro Java's `SchemaNormalization.toParsingForm` (tested against its output).
 */
export function canonicalForm(type: Type): string {
  const seen = new Set<string>();
  const out = (t: Type): string => {
    const s = shapeOf(t);
    switch (s.kind) {
      case 'record':
      case 'enum':
      case 'fixed': {
        const name = JSON.stringify(s.fullName);
        if (seen.has(s.fullName)) return name;
        seen.add(s.fullName);
        const head = `{"name":${name},"type":"${s.kind}"`;
        if (s.kind === 'enum')
          return `${head},"symbols":[${s.symbols.map((x) => JSON.stringify(x)).join(',')}]}`;
        if (s.kind === 'fixed') return `${head},"size":${s.size}}`;
        const fields = s.fields.map(
          (f) => `{"name":${JSON.stringify(f.name)},"type":${out(f.type)}}`,
        );
        return `${head},"fields":[${fields.join(',')}]}`;
      }
      case 'array':
        return `{"type":"array","items":${out(s.items)}}`;
      case 'map':
        return `{"type":"map","values":${out(s.values)}}`;
      case 'union':
        return `[${s.branches.map(out).join(',')}]`;
      default:
        return `"${s.kind}"`;
    }
  };
  return out(type);
}

/**
 * The 8-byte CRC-64-AVRO fingerprint of `type`'s Parsing Canonical Form, little-endian — the bytes
 * that follow `C3 01` in single-object encoding (and what Java's
 * `SchemaNormalization.parsingFingerprint("CRC-64-AVRO", schema)` returns).
 */
export function fingerprintOf(type: Type): Buffer {
  const out = Buffer.alloc(8);
  out.writeBigUInt64LE(crc64Avro(Buffer.from(canonicalForm(type), 'utf8')));
  return out;
}
