// What test/browser/setup.ts hands to the browser tier: `inject('console')`.
import type {} from 'vitest';

declare module 'vitest' {
  export interface ProvidedContext {
    console: {
      /** The query API serving the demo's projection and the built console. */
      baseUrl: string;
      /** A token with the read and export scopes. */
      token: string;
      /** The demo's executions by label (E1…E11). */
      executions: Record<string, string>;
      /** Where the demo left its evidence and trust store. */
      demoDir: string;
    };
  }
}

export {};
