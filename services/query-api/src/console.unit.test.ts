import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { CONSOLE_CSP, consoleRoutes } from './console.js';

async function appOver(root: string) {
  const app = Fastify();
  consoleRoutes(app, root);
  await app.ready();
  return app;
}

describe('the console routes', () => {
  it('answer 503 UNAVAILABLE at / and /verify while the console is not built', async () => {
    const app = await appOver(await mkdtemp(join(tmpdir(), 'console-unbuilt-')));
    for (const url of ['/', '/verify']) {
      const response = await app.inject({ url });
      expect(response.statusCode).toBe(503);
      expect(response.json()).toMatchObject({ error: { code: 'UNAVAILABLE' } });
    }
    await app.close();
  });

  it('serve the built pages and assets under the console CSP, and nothing else', async () => {
    const root = await mkdtemp(join(tmpdir(), 'console-built-'));
    await mkdir(join(root, 'assets'));
    await writeFile(join(root, 'index.html'), '<!doctype html><title>console</title>');
    await writeFile(join(root, 'verify.html'), '<!doctype html><title>verify</title>');
    await writeFile(join(root, 'assets/app.js'), 'export {};');
    const app = await appOver(root);
    for (const [url, type] of [
      ['/', 'text/html'],
      ['/verify', 'text/html'],
      ['/assets/app.js', 'application/javascript'],
    ] as const) {
      const response = await app.inject({ url });
      expect(response.statusCode, url).toBe(200);
      expect(response.headers['content-type']).toContain(type);
      expect(response.headers['content-security-policy']).toBe(CONSOLE_CSP);
    }
    expect((await app.inject({ url: '/verify' })).body).toContain('<title>verify</title>');
    expect((await app.inject({ url: '/assets/other.js' })).statusCode).toBe(404);
    expect((await app.inject({ url: '/../package.json' })).statusCode).toBe(404);
    await app.close();
  });
});
