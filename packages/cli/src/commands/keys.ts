import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { KEY_ROLES, loadTrustStore } from '@lineage/protocol';
import type { KeyRole, TrustStoreDocument } from '@lineage/protocol';
import {
  generateKeyPair,
  readTrustStore,
  trustedKey,
  writeKeyFile,
  writeTrustStore,
} from '@lineage/keys';
import { CliExit } from '../exit.js';

/**
 * Creates a key holding `roles` under dir/keys/<name>.key and registers it (with its owner, if
 * given: keys sharing an owner cannot approve each other's work) in dir/truststore.json.
 * @throws CliExit 2 when the key file exists.
 */
export async function addKey(
  dir: string,
  name: string,
  roles: KeyRole | KeyRole[],
  owner?: string,
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
    keys: [
      ...doc.keys,
      {
        ...trustedKey(pair, Array.isArray(roles) ? roles : [roles], {
          name,
          validFrom: new Date().toISOString(),
        }),
        ...(owner !== undefined ? { owner } : {}),
      },
    ],
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
    .description('create a key for an agent, principal, approver or release signer and register it')
    .option(
      '--role <roles>',
      'agent | principal | approver | release | governance (comma separated for several)',
      'agent',
    )
    .option(
      '--owner <owner>',
      'who answers for the key; keys of one owner cannot approve each other',
    )
    .option('--dir <dir>', 'where keys/ and truststore.json live', '.lineage')
    .action(async (name: string, opts: { dir: string; role: string; owner?: string }) => {
      if (!/^[a-z0-9][a-z0-9-]{0,63}$/.test(name))
        throw new CliExit(2, 'key name must be lowercase letters, digits and dashes');
      const roles = opts.role.split(',').map((r) => r.trim());
      const unknown = roles.filter((r) => !KEY_ROLES.includes(r as KeyRole));
      if (unknown.length > 0 || roles.length === 0)
        throw new CliExit(2, `unknown role ${unknown.join(',')}: use ${KEY_ROLES.join(' | ')}`);
      const { keyid, path } = await addKey(opts.dir, name, roles as KeyRole[], opts.owner);
      console.log(`${roles.join(',')} key ${name} ${keyid}\n  private key: ${path}`);
    });
}
