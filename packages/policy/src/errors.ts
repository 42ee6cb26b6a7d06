export type PolicyErrorCode = 'POLICY_MALFORMED';

/** A policy document that cannot be loaded. */
export class PolicyError extends Error {
  readonly code: PolicyErrorCode;
  constructor(code: PolicyErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = 'PolicyError';
  }
}
