import { LineageError } from '@lineage/protocol';

/** Why a key or trust-store file could not be used. Tests assert these, never the message text. */
export type KeyFileErrorCode =
  'KEY_FILE_UNREADABLE' | 'KEY_FILE_MALFORMED' | 'TRUST_STORE_UNREADABLE';

/** A key or trust-store file that cannot be read or is not what it claims to be. */
export class KeyFileError extends LineageError<KeyFileErrorCode> {}
