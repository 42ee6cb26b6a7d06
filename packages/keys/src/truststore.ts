import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { loadTrustStore } from '@lineage/protocol';
import type { TrustStore, TrustStoreDocument } from '@lineage/protocol';
import { KeyFileError } from './errors.js';

/**
 * Reads and validates a trust store file.
 * @throws KeyFileError TRUST_STORE_UNREADABLE; VerificationError TRUST_STORE_MALFORMED.
 */
export async function readTrustStore(path: string): Promise<TrustStore> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (cause) {
    throw new KeyFileError('TRUST_STORE_UNREADABLE', `cannot read trust store ${path}`, { cause });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (cause) {
    throw new KeyFileError('TRUST_STORE_UNREADABLE', `trust store ${path} is not JSON`, { cause });
  }
  return loadTrustStore(json);
}

/** Writes a trust store document as indented JSON. */
export async function writeTrustStore(path: string, doc: TrustStoreDocument): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, JSON.stringify(doc, null, 2) + '\n');
}
