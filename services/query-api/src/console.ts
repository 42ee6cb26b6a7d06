import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';
import { fail } from './hygiene.js';

/**
 * The console's pages may load scripts, styles, images and data from this origin only: no inline
 * script, no CDN, no frames, no plugins, no form posts elsewhere. The API's own answers keep
 * `default-src 'none'` (`securityHeaders`).
 */
export const CONSOLE_CSP =
  "default-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'; object-src 'none'";

/** Where `pnpm build` leaves the console's assets (`packages/console/dist`). */
export function consoleAssets(): string {
  const manifest = createRequire(import.meta.url).resolve('@lineage/console/package.json');
  return join(dirname(manifest), 'dist');
}

/**
 * The audit console at `/` and its offline verifier at `/verify`, with every built asset, under
 * {@link CONSOLE_CSP} and the API's other security headers. When the console is not built, both
 * pages answer 503 `UNAVAILABLE` saying so, and the API serves as before.
 */
export function consoleRoutes(app: FastifyInstance, root = consoleAssets()): void {
  void app.register(async (scope) => {
    scope.addHook('onSend', async (_request, reply, payload) => {
      void reply.header('content-security-policy', CONSOLE_CSP);
      return payload;
    });
    if (!existsSync(join(root, 'index.html')) || !existsSync(join(root, 'verify.html'))) {
      const unbuilt = () => 'the console is not built: run `pnpm build`';
      scope.get('/', { schema: { hide: true } }, (_q, reply) =>
        fail(reply, 'UNAVAILABLE', unbuilt()),
      );
      scope.get('/verify', { schema: { hide: true } }, (_q, reply) =>
        fail(reply, 'UNAVAILABLE', unbuilt()),
      );
      return;
    }
    // One route per built file (no wildcard): anything else stays the API's 404.
    await scope.register(fastifyStatic, {
      root,
      wildcard: false,
      dotfiles: 'ignore',
      cacheControl: false,
      schemaHide: true,
    });
    scope.get('/verify', { schema: { hide: true } }, (_q, reply) => reply.sendFile('verify.html'));
  });
}
