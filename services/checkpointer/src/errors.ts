/** Why the checkpointer cannot start. */
export type CheckpointerErrorCode = 'INVALID_OPTIONS';

/** A checkpointer configuration it cannot run with. */
export class CheckpointerError extends Error {
  readonly code: CheckpointerErrorCode;
  constructor(code: CheckpointerErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = 'CheckpointerError';
  }
}
