import { existsSync } from 'node:fs';
import { rename } from 'node:fs/promises';
import { join } from 'node:path';
import type { Command } from 'commander';
import { KEY_ROLES, LineageError, isNoteKeyName, loadTrustStore } from '@lineage/protocol';
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
 * Why a key's trust-store name was refused. Tests assert these, never the message text.
 *
 * - `KEY_NAME_TAKEN`: a `witness` key of the trust store already has the name, or the new key is a
 *   witness and another key has its cosigner name: a verifier finds a witness's cosignature lines by
 *   that name, so it must name one witness and nothing else.
 * - `KEY_NAME_INVALID`: a cosigner name that is not a signed-note key name, one given to a key
 *   that is not a witness, or one a ledger checkpoint origin (`lineage.dev/ledger/…`, the log's own
 *   key name) could take.
 */
export class KeyNameError extends LineageError<'KEY_NAME_TAKEN' | 'KEY_NAME_INVALID'> {}

// Rule-2 checkpoints are signed under key name = origin, and every origin starts with this.
const ORIGIN_PREFIX = 'lineage.dev/ledger/';

/**
 * The trust-store name of a new key: its file name, or for a witness its cosigner name.
 * @throws KeyNameError KEY_NAME_INVALID or KEY_NAME_TAKEN.
 */
export function checkKeyName(
  doc: TrustStoreDocument,
  name: string,
  roles: readonly KeyRole[],
  cosigner?: string,
): string {
  const witness = roles.includes('witness');
  if (cosigner !== undefined) {
    if (!witness) throw new KeyNameError('KEY_NAME_INVALID', 'only a witness has a cosigner name');
    if (!isNoteKeyName(cosigner) || cosigner.startsWith(ORIGIN_PREFIX))
      throw new KeyNameError('KEY_NAME_INVALID', `${cosigner} cannot be a cosigner name`);
  }
  const entryName = cosigner ?? name;
  const clash = doc.keys.find(
    (k) => k.name === entryName && (witness || k.roles.includes('witness')),
  );
  if (clash)
    throw new KeyNameError(
      'KEY_NAME_TAKEN',
      `${entryName} is already the name of ${clash.roles.includes('witness') ? 'witness' : 'key'} ${clash.keyid}`,
    );
  return entryName;
}

/**
 * Creates a key holding `roles` under dir/keys/<name>.key and registers it (with its owner, if
 * given: keys sharing an owner cannot approve each other's work) in dir/truststore.json, under
 * `name`, or for a witness under its `cosigner` name when given.
 * @throws CliExit 2 when the key file exists; KeyNameError (see {@link checkKeyName}).
 */
export async function addKey(
  dir: string,
  name: string,
  roles: KeyRole | KeyRole[],
  owner?: string,
  cosigner?: string,
): Promise<{ keyid: string; path: string }> {
  const path = join(dir, 'keys', `${name}.key`);
  if (existsSync(path))
    throw new CliExit('USAGE', `${path} already exists; remove it to make a new key`);
  const trustPath = join(dir, 'truststore.json');
  const doc: TrustStoreDocument = existsSync(trustPath)
    ? (await readTrustStore(trustPath)).document
    : { version: 1, keys: [] };
  const roleList = Array.isArray(roles) ? roles : [roles];
  const entryName = checkKeyName(doc, name, roleList, cosigner);
  const pair = generateKeyPair();
  await writeKeyFile(path, pair);
  // The rest of the document (its witness policy) stays as it was.
  const next: TrustStoreDocument = {
    ...doc,
    keys: [
      ...doc.keys,
      {
        ...trustedKey(pair, roleList, { name: entryName, validFrom: new Date().toISOString() }),
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
    ...doc,
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
    ...doc,
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
    .description(
      'create a key for an agent, principal, approver, release signer or witness and register it',
    )
    .option(
      '--role <roles>',
      'agent | principal | approver | release | governance | witness (comma separated for several)',
      'agent',
    )
    .option(
      '--owner <owner>',
      'who answers for the key; keys of one owner cannot approve each other',
    )
    .option(
      '--cosigner <name>',
      'a witness key: its cosigner key name (e.g. witness.example.org/w1), registered as its name',
    )
    .option('--dir <dir>', 'where keys/ and truststore.json live', '.lineage')
    .action(
      async (
        name: string,
        opts: { dir: string; role: string; owner?: string; cosigner?: string },
      ) => {
        if (!/^[a-z0-9][a-z0-9-]{0,63}$/.test(name))
          throw new CliExit('USAGE', 'key name must be lowercase letters, digits and dashes');
        const roles = opts.role.split(',').map((r) => r.trim());
        const unknown = roles.filter((r) => !KEY_ROLES.includes(r as KeyRole));
        if (unknown.length > 0 || roles.length === 0)
          throw new CliExit(
            'USAGE',
            `unknown role ${unknown.join(',')}: use ${KEY_ROLES.join(' | ')}`,
          );
        let added: { keyid: string; path: string };
        try {
          added = await addKey(opts.dir, name, roles as KeyRole[], opts.owner, opts.cosigner);
        } catch (e) {
          if (e instanceof KeyNameError) throw new CliExit('USAGE', `${e.code}: ${e.message}`);
          throw e;
        }
        console.log(`${roles.join(',')} key ${name} ${added.keyid}\n  private key: ${added.path}`);
      },
    );
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
