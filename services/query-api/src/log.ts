import { promisify } from 'node:util';
import { gzip as gzipCallback } from 'node:zlib';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Pool } from 'pg';
import { LOG_ROUTES } from '@lineage/contract';
import type { LogOperationId, LogRouteContract } from '@lineage/contract';
import { TILE_WIDTH, parseTilePath } from '@lineage/protocol';
import type { TilePath } from '@lineage/protocol';
import { openLog } from '@lineage/query';
import type { TransparencyLog } from '@lineage/query';
import type { Authenticator } from './auth.js';
import { QueryApiError } from './errors.js';
import { errorResponses } from './openapi.js';

const gzip = promisify(gzipCallback);

/** What {@link logRoutes} needs. */
export interface LogRoutesOptions {
  pool: Pool;
  schema: string;
  /** The API's authenticator: entry bundles need a `read` token like every lineage query. */
  auth: Authenticator;
  /** The log implementation; `openLog(pool, schema)` by default. */
  log?: TransparencyLog;
}

// A full tile never changes; a partial one is replaced by a wider one as the log grows (and may
// then be dropped), the checkpoint changes with every new one (tlog-tiles: "a few seconds").
const IMMUTABLE = 'max-age=31536000, immutable';
const PARTIAL = 'max-age=60';
const CHECKPOINT = 'public, max-age=5';
// The decimal partition as written: no sign, leading zero, exponent or hex.
const PARTITION = /^(?:0|[1-9][0-9]{0,9})$/;

/**
 * The tiled transparency log of every attestation partition (C2SP tlog-tiles) under
 * `/v1/log/<partition>/`: `checkpoint`, `tile/<L>/<N>[.p/<W>]` and `tile/entries/<N>[.p/<W>]`.
 * The checkpoint and hash tiles need no token (signed tree heads and hashes, public by design: any
 * monitor may follow the log); entry bundles hold the attestations themselves and need scope
 * `read`. A path that is not a canonical tile path is 400, a tile outside the served tree 404.
 */
export function logRoutes(app: FastifyInstance, options: LogRoutesOptions): void {
  const log = options.log ?? openLog(options.pool, options.schema);
  for (const id of Object.keys(LOG_ROUTES) as LogOperationId[]) {
    const route: LogRouteContract = LOG_ROUTES[id];
    app.get(
      route.path,
      {
        ...(route.scope !== null && { onRequest: options.auth.hook(route.scope) }),
        preValidation: canonicalPartition,
        schema: {
          operationId: id,
          summary: route.summary,
          security: route.scope === null ? [] : [{ bearer: [route.scope] }],
          params: route.params,
          response: {
            200: { description: 'OK', content: { [route.mediaType]: { schema: route.response } } },
            ...answers(route.scope),
          },
        },
      },
      async (request, reply) => {
        const { partition } = request.params as { partition: number };
        if (id === 'logCheckpoint') {
          const note = await log.checkpoint(partition);
          return publicly(reply, route, CHECKPOINT).send(note);
        }
        const tile = tilePath(id, (request.params as { '*': string })['*']);
        const body = Buffer.from(await log.tile(partition, tile));
        const cache = tile.width === TILE_WIDTH ? IMMUTABLE : PARTIAL;
        if (id === 'logTile') return publicly(reply, route, `public, ${cache}`).send(body);
        // Entry bundles are compressed when the client takes gzip (tlog-tiles: SHOULD).
        void reply.type(route.mediaType).header('cache-control', `private, ${cache}`);
        void reply.header('vary', 'accept-encoding, authorization');
        if (!acceptsGzip(request)) return reply.send(body);
        return reply.header('content-encoding', 'gzip').send(await gzip(body));
      },
    );
  }
}

// The error answers of a route: without a token there is no 401 or 403.
function answers(scope: LogRouteContract['scope']) {
  if (scope !== null) return errorResponses(scope);
  const { 401: _unauthenticated, 403: _forbidden, ...rest } = errorResponses('none');
  return rest;
}

/** The methods-other-than-GET guard wants the routes' fastify paths. */
export const LOG_PATHS: readonly string[] = Object.values(LOG_ROUTES).map((r) => r.path);

// Public resources: cacheable by shared caches and readable from any origin (no credentials).
function publicly(reply: FastifyReply, route: LogRouteContract, cache: string): FastifyReply {
  return reply
    .type(route.mediaType)
    .header('cache-control', cache)
    .header('access-control-allow-origin', '*')
    .header('cross-origin-resource-policy', 'cross-origin');
}

async function canonicalPartition(request: FastifyRequest): Promise<void> {
  const raw = (request.params as { partition?: unknown }).partition;
  if (typeof raw !== 'string' || !PARTITION.test(raw))
    throw new QueryApiError('INVALID_ARGUMENT', 'partition must be a decimal integer');
}

// The wildcard of `tile/entries/*` is the bundle's index part; of `tile/*`, `<L>/<N>…`.
function tilePath(id: LogOperationId, rest: string): TilePath {
  const tile = parseTilePath(id === 'logEntries' ? `entries/${rest}` : rest);
  if (tile === null || (id === 'logTile' && tile.level === 'entries'))
    throw new QueryApiError('INVALID_ARGUMENT', 'not a tlog-tiles tile path');
  return tile;
}

// `Accept-Encoding` names gzip (or `*`) with a non-zero q.
function acceptsGzip(request: FastifyRequest): boolean {
  const accept = request.headers['accept-encoding'];
  if (typeof accept !== 'string') return false;
  return accept.split(',').some((item) => {
    const [coding, ...params] = item.split(';').map((p) => p.trim().toLowerCase());
    const q = params.find((p) => p.startsWith('q='));
    return (coding === 'gzip' || coding === '*') && (q === undefined || Number(q.slice(2)) > 0);
  });
}
