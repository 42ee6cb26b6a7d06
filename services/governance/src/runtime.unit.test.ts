import { readFileSync, readdirSync } from 'node:fs';
import { sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { digestOf, isDigest, sha256Hex } from '@lineage/protocol';
import { DECIDING_SOURCES, codeDigest, loadRuntimeManifest, runtimeHash } from './runtime.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));

describe('runtime manifest', () => {
  it('names its capabilities sorted, digests the deciding code, and hashes to runtime_hash', async () => {
    const manifest = await loadRuntimeManifest();
    expect(manifest.capabilities).toEqual([...manifest.capabilities].sort());
    expect(manifest.capabilities).toContain('overrides');
    expect(isDigest(manifest.code)).toBe(true);
    expect(runtimeHash(manifest)).toBe(digestOf(manifest));
  });

  it('the code digest is JCS of the sorted {path, sha256} of the non-test sources, from the repo root', async () => {
    // Recomputed here from a recursive listing, independently of the runtime's own walk.
    const files = DECIDING_SOURCES.flatMap((dir) =>
      (readdirSync(root + dir, { recursive: true }) as string[])
        .map((rel) => `${dir}/${rel.split(sep).join('/')}`)
        .filter(
          (p) => p.endsWith('.ts') && !p.endsWith('.test.ts') && !p.includes('/__fixtures__/'),
        ),
    )
      .sort()
      .map((path) => ({ path, sha256: sha256Hex(readFileSync(root + path)) }));
    expect(files.map((f) => f.path)).toContain('services/governance/src/runtime.ts');
    expect(files.some((f) => f.path.includes('.test.'))).toBe(false);
    expect(await codeDigest()).toBe(digestOf(files));
  });
});
