// Test helpers of the schemas package (it sits below the test kit, so it keeps its own).
import { SchemaError } from '../errors.js';
import type { SchemaErrorCode } from '../errors.js';

/** The code of the SchemaError `fn` throws, or 'no error'; any other error is rethrown. */
export function codeOf(fn: () => unknown): SchemaErrorCode | 'no error' {
  try {
    fn();
    return 'no error';
  } catch (e) {
    if (e instanceof SchemaError) return e.code;
    throw e;
  }
}
