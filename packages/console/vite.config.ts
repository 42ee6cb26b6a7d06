import { defineConfig } from 'vite';

/**
 * The console (`index.html`, an ES module app) built into `dist/`. Workspace packages are bundled
 * from their TypeScript sources; nothing is loaded from anywhere but the page's own origin.
 */
export const SOURCE_CONDITIONS = ['@lineage/source', 'browser', 'module', 'import', 'default'];

export default defineConfig({
  base: './',
  resolve: { conditions: SOURCE_CONDITIONS },
  build: { outDir: 'dist', emptyOutDir: true, sourcemap: false, chunkSizeWarningLimit: 2_000 },
});
