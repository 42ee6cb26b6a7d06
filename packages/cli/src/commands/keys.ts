import { existsSync } from 'node:fs';
import { rename } from 'node:fs/promises';
import { join } from 'node:path';
import type { Command } from 'commander';
import { KEY_ROLES, loadTrustStore } from '@lineage/protocol';
import type { KeyRole, TrustStoreDocument } from '@lineage/protocol';
import {
  generateKeyPair,
  readKeyFile,
  readTrustStore,
  trustedKey,
  writeKeyFile,
  writeTrustStore,
} from '@lineage/keys';
import { CliExit } from '../errors.js';

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
  if (existsSync(path))
    throw new CliExit('USAGE', `${path} already exists; remove it to make a new key`);
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

/** An RFC 3339 instant from a flag, or now. @throws CliExit 2 when it is not one. */
function instant(text: string | undefined): string {
  if (text === undefined) return new Date().toISOString();
  const t = Date.parse(text);
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?Z$/.test(text) || Number.isNaN(t))
    throw new CliExit('USAGE', `--at ${text} is not an RFC 3339 UTC timestamp`);
  return new Date(t).toISOString();
}

/**
 * Rotates the key named `name`: a new key with the same roles takes over from `at`; the old entry
 * stays in the trust store with `valid_until = at`, so everything it signed before stays verifiable
 * and nothing it signs later does. The old private key is moved aside (`<name>.retired-<keyid>.key`)
 * for the operator to destroy. Services holding the key must be restarted to pick up the new one.
 * @throws CliExit 2 when the key or its trust-store entry is missing.
 */
export async function rotateKey(
  dir: string,
  name: string,
  at: string,
): Promise<{ retired: string; keyid: string }> {
  const path = join(dir, 'keys', `${name}.key`);
  const trustPath = join(dir, 'truststore.json');
  if (!existsSync(path) || !existsSync(trustPath))
    throw new CliExit('USAGE', `${path} or ${trustPath} does not exist`);
  const old = await readKeyFile(path);
  const doc = (await readTrustStore(trustPath)).document;
  const entry = doc.keys.find((k) => k.keyid === old.keyid);
  if (!entry) throw new CliExit('USAGE', `key ${old.keyid} (${name}) is not in ${trustPath}`);
  const pair = generateKeyPair();
  const next: TrustStoreDocument = {
    version: 1,
    keys: [
      ...doc.keys.map((k) => (k.keyid === old.keyid ? { ...k, valid_until: at } : k)),
      {
        ...trustedKey(pair, entry.roles, { name, validFrom: at }),
        ...(entry.owner != null ? { owner: entry.owner } : {}),
      },
    ],
  };
  loadTrustStore(next);
  await rename(path, join(dir, 'keys', `${name}.retired-${old.keyid.slice(0, 12)}.key`));
  await writeKeyFile(path, pair);
  await writeTrustStore(trustPath, next);
  return { retired: old.keyid, keyid: pair.keyid };
}

/**
 * Revokes a key from `at` on: signatures it made at or after `at` no longer verify; earlier ones do.
 * @throws CliExit 2 when the key is not in the trust store.
 */
export async function revokeKey(dir: string, keyid: string, at: string): Promise<void> {
  const trustPath = join(dir, 'truststore.json');
  const doc = (await readTrustStore(trustPath)).document;
  if (!doc.keys.some((k) => k.keyid === keyid))
    throw new CliExit('USAGE', `key ${keyid} is not in ${trustPath}`);
  const next: TrustStoreDocument = {
    version: 1,
    keys: doc.keys.map((k) => (k.keyid === keyid ? { ...k, revoked_at: at } : k)),
  };
  loadTrustStore(next);
  await writeTrustStore(trustPath, next);
}

/** `lineage keys init|add|rotate|revoke`. */
export function registerKeys(program: Command): void {
  // A command table (four subcommands, each an option chain and a one-line action): ~60 lines by nature.
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
        throw new CliExit('USAGE', 'key name must be lowercase letters, digits and dashes');
      const roles = opts.role.split(',').map((r) => r.trim());
      const unknown = roles.filter((r) => !KEY_ROLES.includes(r as KeyRole));
      if (unknown.length > 0 || roles.length === 0)
        throw new CliExit(
          'USAGE',
          `unknown role ${unknown.join(',')}: use ${KEY_ROLES.join(' | ')}`,
        );
      const { keyid, path } = await addKey(opts.dir, name, roles as KeyRole[], opts.owner);
      console.log(`${roles.join(',')} key ${name} ${keyid}\n  private key: ${path}`);
    });
  keys
    .command('rotate <name>')
    .description(
      'replace a key: the new one takes over at --at, the old one stays trusted for what it signed before',
    )
    .option('--at <time>', 'RFC 3339 UTC instant of the handover (default: now)')
    .option('--dir <dir>', 'where keys/ and truststore.json live', '.lineage')
    .action(async (name: string, opts: { dir: string; at?: string }) => {
      const at = instant(opts.at);
      const { retired, keyid } = await rotateKey(opts.dir, name, at);
      console.log(
        `rotated ${name} at ${at}\n  retired ${retired} (valid until ${at}; its private key moved aside)\n  new     ${keyid}\n  restart the services that sign with it`,
      );
    });
  keys
    .command('revoke <keyid>')
    .description('revoke a key from --at on: its later signatures fail, earlier ones still verify')
    .option('--at <time>', 'RFC 3339 UTC instant of the revocation (default: now)')
    .option('--dir <dir>', 'where truststore.json lives', '.lineage')
    .action(async (keyid: string, opts: { dir: string; at?: string }) => {
      const at = instant(opts.at);
      await revokeKey(opts.dir, keyid, at);
      console.log(`revoked ${keyid} from ${at}`);
    });
}
