// The values test/setup/global.ts provides, typed for this package's tests (its tsconfig sees only src/).
// Keep in step with test/setup/context.ts.
// The import makes TypeScript resolve 'vitest' for this file; without it the augmentation fails (TS2664).
import type {} from 'vitest';

declare module 'vitest' {
  export interface ProvidedContext {
    brokers: string[];
    databaseUrl: string;
  }
}

export {};
