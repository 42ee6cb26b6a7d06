import { defineConfig } from 'vitest/config';

const exclude = ['**/node_modules/**', '**/dist/**', '.lineage/**'];

// Workspace packages resolve to their TypeScript sources (the `@lineage/source` export condition),
// in the test workers and in every process a test starts with `tsx`; `pnpm build` compiles `dist/`
// for plain `node`.
const SOURCE = '--conditions=@lineage/source';
if (!(process.env.NODE_OPTIONS ?? '').includes(SOURCE))
  process.env.NODE_OPTIONS = `${process.env.NODE_OPTIONS ?? ''} ${SOURCE}`.trim();
// Services a test starts pick free ports for health and metrics, so several instances (and a stack
// running beside the tests) never collide on the defaults.
for (const name of [
  'LINEAGE_GOVERNANCE_PORT',
  'LINEAGE_PROJECTOR_PORT',
  'LINEAGE_CHECKPOINTER_PORT',
])
  process.env[name] ??= '0';
const conditions = ['@lineage/source', 'node', 'development|production'];

export default defineConfig({
  resolve: { conditions },
  ssr: { resolve: { conditions, externalConditions: ['@lineage/source'] } },
  test: {
    projects: [
      {
        extends: true,
        test: { name: 'unit', include: ['**/*.unit.test.ts'], exclude, testTimeout: 20_000 },
      },
      {
        extends: true,
        test: {
          name: 'int',
          include: ['**/*.int.test.ts'],
          exclude,
          globalSetup: ['test/setup/global.ts'],
          testTimeout: 180_000,
          hookTimeout: 180_000,
          fileParallelism: false,
        },
      },
      {
        extends: true,
        test: {
          name: 'e2e',
          include: ['**/*.e2e.test.ts'],
          exclude,
          globalSetup: ['test/setup/global.ts'],
          testTimeout: 300_000,
          hookTimeout: 300_000,
          fileParallelism: false,
        },
      },
      {
        extends: true,
        test: {
          name: 'browser',
          include: ['**/*.browser.test.ts'],
          exclude,
          // Kafka and Postgres first, then the demo's projection served with the built console.
          globalSetup: ['test/setup/global.ts', 'test/browser/setup.ts'],
          testTimeout: 120_000,
          hookTimeout: 600_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
