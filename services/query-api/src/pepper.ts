import { randomBytes } from 'node:crypto';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { QueryApiError } from './errors.js';

/** Where a local (development) pepper lives when neither a file nor the variable names one. */
export const LOCAL_PEPPER_PATH = '.lineage/token-pepper';
/** The environment variable holding the pepper itself. */
export const PEPPER_ENV = 'LINEAGE_TOKEN_PEPPER';
const MIN_PEPPER_BYTES = 32;

/** Where the pepper comes from, in order: an explicit file, the variable, the local file. */
export interface PepperSource {
  file?: string;
  env?: NodeJS.ProcessEnv;
  /** Create the local file with 32 random bytes when nothing else names a pepper (the CLI does). */
  createLocal?: boolean;
}

/**
 * Reads the server-side secret that token hashes are keyed with (HMAC-SHA-256): `--token-pepper-file`,
 * else `LINEAGE_TOKEN_PEPPER`, else `.lineage/token-pepper` (created by the CLI when asked).
 * @throws QueryApiError INVALID_ARGUMENT when there is none, or it is shorter than 32 bytes.
 */
export async function readPepper(source: PepperSource): Promise<Buffer> {
  const fromEnv = (source.env ?? process.env)[PEPPER_ENV];
  const pepper =
    source.file !== undefined
      ? await readFile(source.file).then(trimmed)
      : fromEnv !== undefined && fromEnv !== ''
        ? Buffer.from(fromEnv, 'utf8')
        : await localPepper(source.createLocal === true);
  if (pepper.length < MIN_PEPPER_BYTES)
    throw new QueryApiError(
      'INVALID_ARGUMENT',
      `the token pepper must hold at least ${MIN_PEPPER_BYTES} bytes`,
    );
  return pepper;
}

/** A file's bytes without a trailing newline (editors add one). */
const trimmed = (bytes: Buffer): Buffer => {
  let end = bytes.length;
  while (end > 0 && (bytes[end - 1] === 0x0a || bytes[end - 1] === 0x0d)) end -= 1;
  return bytes.subarray(0, end);
};

/** The local pepper file, created (mode 0600, hex of 32 random bytes) when asked and absent. */
async function localPepper(create: boolean): Promise<Buffer> {
  try {
    return trimmed(await readFile(LOCAL_PEPPER_PATH));
  } catch (error) {
    if ((error as { code?: unknown }).code !== 'ENOENT') throw error;
    if (!create)
      throw new QueryApiError(
        'INVALID_ARGUMENT',
        `no token pepper: pass --token-pepper-file or set ${PEPPER_ENV}`,
        { cause: error },
      );
  }
  const pepper = randomBytes(32).toString('hex');
  await mkdir(dirname(LOCAL_PEPPER_PATH), { recursive: true });
  await writeFile(LOCAL_PEPPER_PATH, `${pepper}\n`, { mode: 0o600, flag: 'wx' });
  await chmod(LOCAL_PEPPER_PATH, 0o600);
  return Buffer.from(pepper, 'utf8');
}
