import { readFile, readdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { digestOf, sha256Hex } from '@lineage/protocol';
import type { Digest } from '@lineage/protocol';

/** What this runtime decides: named so a manifest says which rules its attestations follow. */
export const RUNTIME_CAPABILITIES = [
  'grants',
  'inherited-scope',
  'overrides',
  'policy-conditions',
  'policy-rollout',
] as const;

/** The source folders whose code decides, relative to the repository root. */
export const DECIDING_SOURCES = [
  'packages/policy/src',
  'packages/protocol/src',
  'services/governance/src',
] as const;

/** What a governance runtime is: its hash is every attestation's `runtime_hash`. */
export interface RuntimeManifest {
  name: 'lineage-governance';
  version: string;
  node: string;
  /** Sorted names of what this runtime decides. */
  capabilities: string[];
  /**
   * SHA-256 of the RFC 8785 form of the sorted list of `{path, sha256}` of every non-test `.ts`
   * file under {@link DECIDING_SOURCES} (paths from the repository root, `/`-separated; test files
   * and `__fixtures__` folders excluded), so one commit gives one code digest on every clone.
   */
  code: Digest;
  /** SHA-256 of the workspace lockfile, or null when not shipped alongside. */
  lockfile: Digest | null;
}

const ROOT = new URL('../../../', import.meta.url);

// Every non-test .ts file under `dir` (relative to the root), as root-relative `/` paths.
async function sourceFiles(dir: string): Promise<string[]> {
  const entries = await readdir(fileURLToPath(new URL(dir + '/', ROOT)), { withFileTypes: true });
  const out: string[] = [];
  for (const e of entries) {
    const path = `${dir}/${e.name}`;
    if (e.isDirectory()) {
      if (e.name !== '__fixtures__' && e.name !== 'node_modules')
        out.push(...(await sourceFiles(path)));
    } else if (e.isFile() && e.name.endsWith('.ts') && !e.name.endsWith('.test.ts')) {
      out.push(path);
    }
  }
  return out;
}

/**
 * The code digest: SHA-256 of JCS([{path, sha256}, ...]) over the deciding sources, sorted by path.
 * @throws Error when a source folder cannot be read.
 */
export async function codeDigest(): Promise<Digest> {
  const paths = (await Promise.all(DECIDING_SOURCES.map(sourceFiles))).flat().sort();
  const files = await Promise.all(
    paths.map(async (path) => ({ path, sha256: sha256Hex(await readFile(new URL(path, ROOT))) })),
  );
  return digestOf(files);
}

/**
 * Reads this runtime's manifest once at start-up.
 * @throws Error when the package file or the deciding sources cannot be read.
 */
export async function loadRuntimeManifest(): Promise<RuntimeManifest> {
  const pkg = JSON.parse(await readFile(new URL('../package.json', import.meta.url), 'utf8')) as {
    version: string;
  };
  const lock = await readFile(new URL('pnpm-lock.yaml', ROOT)).catch(() => null);
  return {
    name: 'lineage-governance',
    version: pkg.version,
    node: process.version,
    capabilities: [...RUNTIME_CAPABILITIES].sort(),
    code: await codeDigest(),
    lockfile: lock ? sha256Hex(lock) : null,
  };
}

/** SHA-256 of the manifest's RFC 8785 form. */
export function runtimeHash(manifest: RuntimeManifest): Digest {
  return digestOf(manifest);
}
