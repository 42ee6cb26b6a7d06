export type KeyFileErrorCode =
  'KEY_FILE_UNREADABLE' | 'KEY_FILE_MALFORMED' | 'TRUST_STORE_UNREADABLE';

/** A key or trust-store file that cannot be read or is not what it claims to be. */
export class KeyFileError extends Error {
  readonly code: KeyFileErrorCode;
  constructor(code: KeyFileErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = 'KeyFileError';
  }
}
