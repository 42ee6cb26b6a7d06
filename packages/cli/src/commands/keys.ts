import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { loadTrustStore } from '@lineage/protocol';
import type { KeyRole, TrustStoreDocument } from '@lineage/protocol';
import {
  generateKeyPair,
  readTrustStore,
  trustedKey,
  writeKeyFile,
  writeTrustStore,
} from '@lineage/keys';
import { CliExit } from '../exit.js';

/** Creates a key of `role` under dir/keys/<name>.key and registers it in dir/truststore.json. */
export async function addKey(
  dir: string,
  name: string,
  role: KeyRole,
): Promise<{ keyid: string; path: string }> {
  const path = join(dir, 'keys', `${name}.key`);
  if (existsSync(path)) throw new CliExit(2, `${path} already exists; remove it to make a new key`);
  const trustPath = join(dir, 'truststore.json');
  const doc: TrustStoreDocument = existsSync(trustPath)
    ? (await readTrustStore(trustPath)).document
    : { version: 1, keys: [] };
  const pair = generateKeyPair();
  await writeKeyFile(path, pair);
  const next: TrustStoreDocument = {
    version: 1,
    keys: [...doc.keys, trustedKey(pair, [role], { name, validFrom: new Date().toISOString() })],
  };
  loadTrustStore(next);
  await writeTrustStore(trustPath, next);
  return { keyid: pair.keyid, path };
}

/** `lineage keys init|add`. */
export function registerKeys(program: Command): void {
  const keys = program.command('keys').description('manage signing keys and the trust store');
  keys
    .command('init')
    .description('create the governance signing key and a trust store holding its public key')
    .option('--dir <dir>', 'where keys/ and truststore.json live', '.lineage')
    .action(async (opts: { dir: string }) => {
      const { keyid, path } = await addKey(opts.dir, 'governance', 'governance');
      console.log(
        `governance key ${keyid}\n  private key: ${path} (mode 0600, never commit it)\n  trust store: ${join(opts.dir, 'truststore.json')}`,
      );
    });
  keys
    .command('add <name>')
    .description('create a key for an agent, principal or approver and register it')
    .option('--role <role>', 'agent | principal | approver | governance', 'agent')
    .option('--dir <dir>', 'where keys/ and truststore.json live', '.lineage')
    .action(async (name: string, opts: { dir: string; role: KeyRole }) => {
      if (!/^[a-z0-9][a-z0-9-]{0,63}$/.test(name))
        throw new CliExit(2, 'key name must be lowercase letters, digits and dashes');
      const { keyid, path } = await addKey(opts.dir, name, opts.role);
      console.log(`${opts.role} key ${name} ${keyid}\n  private key: ${path}`);
    });
}
