import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { JsonValue } from '@lineage/protocol';
import { readTrustStore } from '@lineage/keys';
import { loadPolicy } from '@lineage/policy';
import type { BundleSources } from '@lineage/query';
import { CliExit } from '../errors.js';

/**
 * Loads what an evidence bundle embeds: the trust store's public keys and every policy document in
 * a directory (normalised exactly as governance hashed them).
 * @throws CliExit 2 when either cannot be read.
 */
export async function loadBundleSources(
  trustPath: string,
  policiesDir: string,
): Promise<BundleSources> {
  let keys: BundleSources['keys'];
  try {
    keys = (await readTrustStore(trustPath)).document.keys;
  } catch (e) {
    throw new CliExit('USAGE', `trust store ${trustPath}: ${(e as Error).message}`);
  }
  let files: string[];
  try {
    files = (await readdir(policiesDir)).filter((f) => f.endsWith('.json')).sort();
  } catch {
    throw new CliExit('USAGE', `cannot read policy directory ${policiesDir}`);
  }
  const policies: JsonValue[] = [];
  for (const f of files) {
    try {
      policies.push(
        loadPolicy(JSON.parse(await readFile(join(policiesDir, f), 'utf8')))
          .document as unknown as JsonValue,
      );
    } catch (e) {
      throw new CliExit('USAGE', `policy ${join(policiesDir, f)}: ${(e as Error).message}`);
    }
  }
  return { keys, policies };
}
