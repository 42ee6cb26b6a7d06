// @ts-check
import tseslint from 'typescript-eslint';
import importX from 'eslint-plugin-import-x';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

// The layering ARCHITECTURE.md §4 asks for, as import bans: pure packages import no I/O (node built-ins,
// kafkajs, pg, avsc, or any of our I/O packages); libraries never import a service; services never import
// the development infrastructure at run time. Each file group below gets one combined option set, because
// a later `no-restricted-imports` entry replaces an earlier one instead of adding to it.
const SERVICES = [
  '@lineage/governance',
  '@lineage/projector',
  '@lineage/checkpointer',
  '@lineage/query-api',
  '@lineage/witness',
];
const IO_PACKAGES = [
  '@lineage/kafka',
  '@lineage/store',
  '@lineage/infra',
  '@lineage/keys',
  '@lineage/schemas',
  '@lineage/projection',
  '@lineage/query',
  '@lineage/sdk',
  '@lineage/cli',
  '@lineage/runtime',
  '@lineage/testkit',
];
const NODE_BUILTINS = [
  'fs',
  'path',
  'crypto',
  'os',
  'buffer',
  'stream',
  'util',
  'events',
  'child_process',
];

const noDeepImports = [
  { group: ['@lineage/*/src/*', '@lineage/*/src'], message: 'Import the package, not its src/.' },
  {
    group: ['../../packages/*', '../../../packages/*', '../../services/*'],
    message: 'Import the package by name.',
  },
];
const noServices = {
  group: SERVICES.flatMap((name) => [name, `${name}/*`]),
  message: 'A library never imports a service (ARCHITECTURE.md §4).',
};
const noDevInfra = {
  group: ['@lineage/infra', '@lineage/infra/*', '@lineage/testkit', '@lineage/testkit/*'],
  message: 'Services do not import development infrastructure or the test kit at run time.',
};
const pure = [
  {
    group: ['node:*'],
    message: 'Pure packages must not import node built-ins (ARCHITECTURE.md §3.7).',
  },
  { group: ['kafkajs', 'pg', 'avsc'], message: 'Pure packages do no I/O.' },
  {
    group: IO_PACKAGES.flatMap((name) => [name, `${name}/*`]),
    message: 'Pure packages import no I/O package of ours.',
  },
];
const pureBuiltinPaths = NODE_BUILTINS.map((name) => ({
  name,
  message: 'Pure packages must not import node built-ins.',
}));

// Test files, fixtures and dev scripts may use anything the package lists as a devDependency.
const DEV_FILES = [
  '**/*.test.ts',
  '**/__fixtures__/**',
  '**/fixtures.ts',
  '**/testkit.ts',
  '**/test-context.d.ts',
  '**/vitest-context.ts',
  'scripts/**',
];
const ROOT = import.meta.dirname;

/** The workspace packages (pnpm-workspace.yaml: packages/*, services/*, infra). */
function workspaceDirs() {
  const under = (parent) =>
    readdirSync(join(ROOT, parent), { withFileTypes: true })
      .filter(
        (entry) =>
          entry.isDirectory() && existsSync(join(ROOT, parent, entry.name, 'package.json')),
      )
      .map((entry) => `${parent}/${entry.name}`);
  return [...under('packages'), ...under('services'), 'infra'];
}

export default tseslint.config(
  { ignores: ['**/dist/**', '**/node_modules/**', '.lineage/**', 'eslint.config.js'] },
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    plugins: { 'import-x': importX },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/consistent-type-exports': 'error',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', ignoreRestSiblings: true },
      ],
      // External packages cannot import ours back; parsing them (PGlite's bundle) only costs time.
      'import-x/no-cycle': ['error', { ignoreExternal: true }],
      'no-restricted-imports': ['error', { patterns: noDeepImports }],
    },
  },
  // Every package declares what it imports: run-time code from its own `dependencies`; its tests from its
  // own dependencies and devDependencies or the workspace root's (vitest and friends live there).
  ...workspaceDirs().flatMap((dir) => [
    {
      files: [`${dir}/**/*.ts`],
      rules: {
        'import-x/no-extraneous-dependencies': [
          'error',
          { devDependencies: false, includeTypes: true, packageDir: [join(ROOT, dir)] },
        ],
      },
    },
    {
      files: DEV_FILES.map((glob) => `${dir}/${glob}`),
      rules: {
        'import-x/no-extraneous-dependencies': [
          'error',
          { devDependencies: true, includeTypes: true, packageDir: [join(ROOT, dir), ROOT] },
        ],
      },
    },
  ]),
  {
    // The CLI is the composition root (`lineage demo`, `lineage serve` run the services), not a library.
    files: ['packages/*/src/**/*.ts'],
    ignores: ['packages/cli/**', '**/*.test.ts', '**/__fixtures__/**'],
    rules: { 'no-restricted-imports': ['error', { patterns: [...noDeepImports, noServices] }] },
  },
  {
    files: ['services/*/src/**/*.ts'],
    ignores: DEV_FILES,
    rules: { 'no-restricted-imports': ['error', { patterns: [...noDeepImports, noDevInfra] }] },
  },
  {
    files: [
      'packages/protocol/src/**/*.ts',
      'packages/policy/src/**/*.ts',
      'packages/contract/src/**/*.ts',
      'packages/openlineage/src/**/*.ts',
      // The console runs in the browser: no node built-ins, no I/O package of ours.
      'packages/console/src/**/*.ts',
    ],
    // Tests and their fixtures may use node (to cross-check against node:crypto and openssl).
    ignores: ['**/*.test.ts', '**/__fixtures__/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [...pure, ...noDeepImports, noServices], paths: pureBuiltinPaths },
      ],
    },
  },
  {
    // Pure packages' tests may use node, but not the kit's Kafka or Postgres parts.
    files: ['packages/protocol/src/**/*.test.ts', 'packages/policy/src/**/*.test.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            ...noDeepImports,
            {
              group: ['kafkajs', 'pg', '@lineage/testkit/kafka', '@lineage/testkit/pg'],
              message: 'Pure packages do no I/O, not even in their tests.',
            },
          ],
        },
      ],
    },
  },
);
