import type { FastifyInstance } from 'fastify';

const MAX_LOGGED_PATH = 512;

/**
 * The access trail: one log line per answered request, `event: "access"`, with the token's name
 * (never the token), method, route template, path, status, duration and client address; 401 and 403
 * are `warn` lines with `denied` and the reason (`auth`: missing, malformed, unknown, revoked,
 * expired, throttled). Lines go to the process's pino logger (stdout), shipped like every log.
 */
export function accessTrail(app: FastifyInstance): void {
  app.addHook('onResponse', async (request, reply) => {
    const status = reply.statusCode;
    const line = {
      event: 'access',
      token: request.token?.name ?? null,
      method: request.method,
      route: request.routeOptions.url ?? null,
      path: request.url.slice(0, MAX_LOGGED_PATH),
      status,
      ms: Math.round(reply.elapsedTime),
      address: request.ip,
      ...(request.authFailure !== undefined && { auth: request.authFailure }),
    };
    if (status === 401 || status === 403)
      request.log.warn(
        { ...line, denied: status === 401 ? 'unauthenticated' : 'forbidden' },
        'access denied',
      );
    else if (status >= 500) request.log.error(line, 'access failed');
    else request.log.info(line, 'access');
  });
}
