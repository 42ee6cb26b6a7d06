import { readFile } from 'node:fs/promises';
import { digestOf, sha256Hex } from '@lineage/protocol';
import type { Digest } from '@lineage/protocol';

/** What a governance runtime is: its hash is every attestation's `runtime_hash`. */
export interface RuntimeManifest {
  name: 'lineage-governance';
  version: string;
  node: string;
  /** SHA-256 of the workspace lockfile, or null when not shipped alongside. */
  lockfile: Digest | null;
}

/** Reads this runtime's manifest once at start-up. */
export async function loadRuntimeManifest(): Promise<RuntimeManifest> {
  const pkg = JSON.parse(await readFile(new URL('../package.json', import.meta.url), 'utf8')) as {
    version: string;
  };
  const lock = await readFile(new URL('../../../pnpm-lock.yaml', import.meta.url)).catch(
    () => null,
  );
  return {
    name: 'lineage-governance',
    version: pkg.version,
    node: process.version,
    lockfile: lock ? sha256Hex(lock) : null,
  };
}

/** SHA-256 of the manifest's RFC 8785 form. */
export function runtimeHash(manifest: RuntimeManifest): Digest {
  return digestOf(manifest);
}
