import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createCodec } from './codec.js';
import { HEADER_LENGTH, registry } from './registry.js';
import { toTwin } from './twin.js';
import type { Twin } from './twin.js';

// Old data must stay readable: every fixture ever written is decoded here, by its own version's
// schema and by the codec (which resolves it to the latest version).
const dir = new URL('../fixtures/', import.meta.url);
const fixtures = readdirSync(dir)
  .filter((f) => f.endsWith('.bin'))
  .sort()
  .map((file) => {
    const [, name = '', version = ''] = /^(.+)\.v(\d+)\.bin$/.exec(file) ?? [];
    const twin = JSON.parse(
      readFileSync(new URL(file.replace(/\.bin$/, '.json'), dir), 'utf8'),
    ) as {
      schema: string;
      version: number;
      fingerprint: string;
      value: Twin;
    };
    return { file, name, version: Number(version), bytes: readFileSync(new URL(file, dir)), twin };
  });

/** Fields present in both values are equal (a newer reader may add or drop fields). */
function expectCommonFieldsEqual(actual: Twin, expected: Twin, path = ''): void {
  if (
    actual !== null &&
    expected !== null &&
    typeof actual === 'object' &&
    typeof expected === 'object'
  ) {
    if (Array.isArray(actual) || Array.isArray(expected)) {
      expect(Array.isArray(actual) && Array.isArray(expected), path).toBe(true);
      expect((actual as Twin[]).length, path).toBe((expected as Twin[]).length);
    }
    for (const key of Object.keys(actual)) {
      const a = (actual as Record<string, Twin>)[key];
      const e = (expected as Record<string, Twin>)[key];
      if (a !== undefined && e !== undefined) expectCommonFieldsEqual(a, e, `${path}.${key}`);
    }
  } else {
    expect(actual, path).toEqual(expected);
  }
}

describe('fixtures', () => {
  it('exist for every schema version', () => {
    const have = fixtures.map((f) => `${f.name}.v${f.version}`);
    for (const v of registry.versions()) expect(have).toContain(`${v.name}.v${v.version}`);
  });

  it.each(fixtures)('$file is still written by a known version, with its JSON twin', (f) => {
    expect(f.twin.schema).toBe(f.name);
    expect(f.twin.version).toBe(f.version);
    const writer = registry.get(f.name, f.version);
    expect(writer.fingerprint).toBe(f.twin.fingerprint);
    expect(f.bytes.subarray(0, HEADER_LENGTH)).toEqual(writer.header);
    const own = writer.type.fromBuffer(f.bytes.subarray(HEADER_LENGTH)) as unknown;
    expect(toTwin(own)).toEqual(f.twin.value);
  });

  it.each(fixtures)('$file decodes with the codec, resolved to the latest version', (f) => {
    const codec = createCodec(registry, f.name);
    const decoded = toTwin(codec.decode(f.bytes));
    expectCommonFieldsEqual(decoded, f.twin.value);
    if (f.version === codec.version) {
      // the latest version re-encodes byte for byte
      expect(codec.encode(codec.decode(f.bytes)).equals(f.bytes)).toBe(true);
    }
  });
});
