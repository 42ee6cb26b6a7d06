// @ts-check
import tseslint from 'typescript-eslint';
import importX from 'eslint-plugin-import-x';

const pureBoundary = {
  patterns: [
    {
      group: ['node:*'],
      message: 'Pure packages must not import node built-ins (ARCHITECTURE.md §3.7).',
    },
    { group: ['kafkajs', 'pg', 'avsc'], message: 'Pure packages do no I/O.' },
  ],
  paths: ['fs', 'path', 'crypto', 'os', 'buffer', 'stream', 'util', 'events', 'child_process'].map(
    (name) => ({ name, message: 'Pure packages must not import node built-ins.' }),
  ),
};
const noDeepImports = {
  patterns: [
    { group: ['@lineage/*/src/*', '@lineage/*/src'], message: 'Import the package, not its src/.' },
    {
      group: ['../../packages/*', '../../../packages/*', '../../services/*'],
      message: 'Import the package by name.',
    },
  ],
};

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
      'no-restricted-imports': ['error', noDeepImports],
    },
  },
  {
    files: ['packages/protocol/src/**/*.ts', 'packages/policy/src/**/*.ts'],
    // Tests and their fixtures may use node (to cross-check against node:crypto and openssl).
    ignores: ['**/*.test.ts', '**/__fixtures__/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [...pureBoundary.patterns, ...noDeepImports.patterns],
          paths: pureBoundary.paths,
        },
      ],
    },
  },
);
