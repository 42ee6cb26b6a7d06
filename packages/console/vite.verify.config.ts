import { defineConfig } from 'vite';
import { SOURCE_CONDITIONS } from './vite.config.js';

/**
 * The standalone verifier (`/verify`) as one classic script, `dist/verify.js`: a saved copy of
 * `verify.html` + `verify.js` + `verify.css` runs from disk (`file:`), where browsers refuse module
 * scripts, and makes no request at all.
 */
export default defineConfig({
  publicDir: false,
  resolve: { conditions: SOURCE_CONDITIONS },
  build: {
    outDir: 'dist',
    emptyOutDir: false,
    sourcemap: false,
    lib: {
      entry: 'src/verify-page.ts',
      formats: ['iife'],
      name: 'LineageVerifyPage',
      fileName: () => 'verify.js',
    },
  },
});
