// What test/setup/global.ts hands to tests: `inject('brokers')`, `inject('databaseUrl')`.
// The import makes TypeScript resolve 'vitest' for this file; without it the augmentation fails (TS2664).
import type {} from 'vitest';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Bootstrap brokers of the run's Kafka. */
    brokers: string[];
    /** Postgres URL of the run's database (`lineage_test` unless DATABASE_URL says otherwise). */
    databaseUrl: string;
  }
}

export {};
