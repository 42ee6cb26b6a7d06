// Types of what test/setup/global.ts provides to the int tests of this package.
import 'vitest';

declare module 'vitest' {
  export interface ProvidedContext {
    brokers: string[];
    databaseUrl: string;
  }
}
