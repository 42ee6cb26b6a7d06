import type { Command } from 'commander';
import { signRelease, toDsse } from '@lineage/protocol';
import type { DsseEnvelope, JsonValue, Signer } from '@lineage/protocol';
import { loadRuntimeManifest, runtimeHash } from '@lineage/governance';
import { emitJson, loadKey } from './options.js';

/** This checkout's governance runtime manifest and its hash (every attestation's `runtime_hash`). */
export async function currentRuntime(): Promise<{ manifest: JsonValue; hash: string }> {
  const manifest = await loadRuntimeManifest();
  return { manifest: manifest as unknown as JsonValue, hash: runtimeHash(manifest) };
}

/** Signs a release manifest vouching for this checkout's governance runtime. */
export async function releaseCurrentRuntime(key: Signer, now = new Date()): Promise<DsseEnvelope> {
  const { manifest } = await currentRuntime();
  return toDsse(signRelease([manifest], now.toISOString(), key));
}

/** `lineage runtime manifest|release`. */
export function registerRuntime(program: Command): void {
  const runtime = program.command('runtime').description('governance runtime provenance');
  runtime
    .command('manifest')
    .description("print this checkout's governance runtime manifest and its hash")
    .action(async () => {
      const { manifest, hash } = await currentRuntime();
      console.log(JSON.stringify({ runtime_hash: hash, manifest }, null, 2));
    });
  runtime
    .command('release')
    .description("sign a release manifest listing this checkout's runtime hash")
    .requiredOption('--key <file>', 'the release private key file (role release)')
    .option('--out <file>', 'write the signed release here instead of printing it')
    .action(async (o: { key: string; out?: string }) => {
      const key = await loadKey(o.key);
      const release = await releaseCurrentRuntime(key.signer);
      if (!(await emitJson(release, o.out))) return;
      const { hash } = await currentRuntime();
      console.log(`wrote release ${o.out}: runtime_hash ${hash}`);
    });
}
