import cors from '@fastify/cors';
import helmet from '@fastify/helmet';
import type { FastifyInstance } from 'fastify';

/**
 * Security headers on every answer (`@fastify/helmet`): a CSP of `default-src 'none'` and
 * `frame-ancestors 'none'` (the API serves JSON, never pages), nosniff, `X-Frame-Options: DENY`,
 * `Referrer-Policy: no-referrer`, CORP and COOP `same-origin`, HSTS only when serving TLS; and
 * `Cache-Control: no-store` on everything but the OpenAPI document and the answers that set their
 * own (the tiled log's, see `logRoutes`).
 */
export function securityHeaders(app: FastifyInstance, tls: boolean): void {
  void app.register(helmet, {
    global: true,
    contentSecurityPolicy: {
      useDefaults: false,
      directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] },
    },
    crossOriginOpenerPolicy: { policy: 'same-origin' },
    crossOriginResourcePolicy: { policy: 'same-origin' },
    referrerPolicy: { policy: 'no-referrer' },
    frameguard: { action: 'deny' },
    hsts: tls ? { maxAge: 31_536_000, includeSubDomains: true } : false,
  });
  app.addHook('onSend', async (request, reply, payload) => {
    if (request.routeOptions.url !== '/openapi.json' && !reply.hasHeader('cache-control'))
      void reply.header('cache-control', 'no-store');
    return payload;
  });
}

/**
 * CORS: off unless origins are listed; then only those origins, only GET/HEAD, only the
 * `Authorization` header, no credentials (tokens travel in the header, not cookies).
 */
export function corsPolicy(app: FastifyInstance, origins: readonly string[]): void {
  if (origins.length === 0) return;
  void app.register(cors, {
    origin: [...origins],
    methods: ['GET', 'HEAD'],
    allowedHeaders: ['authorization'],
    credentials: false,
    maxAge: 600,
  });
}
