import { generateKeyPairSync, createPrivateKey } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { mkdir, readFile, writeFile, chmod } from 'node:fs/promises';
import { dirname } from 'node:path';
import { keyIdOf, toBase64 } from '@lineage/protocol';
import type { KeyId, KeyRole, Signer, TrustedKey } from '@lineage/protocol';
import { nodeSigner, rawPublicKey } from './ed25519.js';
import { KeyFileError } from './errors.js';

/** A private key loaded once at the edge, with its public half and id. */
export interface KeyPair {
  keyid: KeyId;
  privateKey: KeyObject;
  publicKey: Uint8Array;
  signer: Signer;
}

function pairOf(privateKey: KeyObject): KeyPair {
  const publicKey = rawPublicKey(privateKey);
  const keyid = keyIdOf(publicKey);
  return { keyid, privateKey, publicKey, signer: nodeSigner(privateKey, keyid) };
}

/** Generates a fresh Ed25519 key pair. */
export function generateKeyPair(): KeyPair {
  return pairOf(generateKeyPairSync('ed25519').privateKey);
}

/** Writes a private key as PKCS#8 PEM, readable by its owner only (mode 0600). */
export async function writeKeyFile(path: string, pair: KeyPair): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const pem = pair.privateKey.export({ format: 'pem', type: 'pkcs8' }) as string;
  await writeFile(path, pem, { mode: 0o600 });
  await chmod(path, 0o600);
}

/**
 * Reads a PKCS#8 PEM Ed25519 private key.
 * @throws KeyFileError KEY_FILE_UNREADABLE or KEY_FILE_MALFORMED.
 */
export async function readKeyFile(path: string): Promise<KeyPair> {
  let pem: string;
  try {
    pem = await readFile(path, 'utf8');
  } catch (cause) {
    throw new KeyFileError('KEY_FILE_UNREADABLE', `cannot read key file ${path}`, { cause });
  }
  try {
    const key = createPrivateKey(pem);
    if (key.asymmetricKeyType !== 'ed25519')
      throw new Error(`not an Ed25519 key: ${key.asymmetricKeyType}`);
    return pairOf(key);
  } catch (cause) {
    throw new KeyFileError('KEY_FILE_MALFORMED', `${path} is not an Ed25519 PKCS#8 private key`, {
      cause,
    });
  }
}

/** The trust-store entry for a public key. */
export function trustedKey(
  pair: Pick<KeyPair, 'keyid' | 'publicKey'>,
  roles: KeyRole[],
  options: { name?: string; validFrom?: string; validUntil?: string | null } = {},
): TrustedKey {
  return {
    keyid: pair.keyid,
    name: options.name ?? null,
    public_key: toBase64(pair.publicKey),
    roles,
    valid_from: options.validFrom ?? '2000-01-01T00:00:00Z',
    valid_until: options.validUntil ?? null,
    revoked_at: null,
  };
}
