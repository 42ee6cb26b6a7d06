import type { FastifyDynamicSwaggerOptions } from '@fastify/swagger';
import { Type } from '@sinclair/typebox';
import type { TSchema } from '@sinclair/typebox';
import { ErrorBody } from '@lineage/contract';
import type { RouteContract } from '@lineage/contract';

/** `/v1/executions/:id` → `/v1/executions/{id}`; a trailing wildcard `*` → `{*}`. */
export const openApiPath = (path: string): string =>
  path.replace(/:([A-Za-z]+)/g, '{$1}').replace(/\*$/, '{*}');

const errorBody = (description: string) => Type.Object(ErrorBody.properties, { description });

/** Error answers of every /v1 route, by status; fastify validates them like the 200 body. */
export const errorResponses = (scope: string): Record<string, TSchema> => ({
  400: errorBody('INVALID_ARGUMENT or INVALID_CURSOR'),
  401: errorBody('UNAUTHENTICATED: missing, unknown or revoked token'),
  403: errorBody(`FORBIDDEN: the token lacks scope \`${scope}\``),
  404: errorBody('NOT_FOUND'),
  429: errorBody(
    'RATE_LIMITED: past the rate limit of the token or client address, too many failed authentications, or too many heavy requests in flight for the token; see `Retry-After`',
  ),
  500: errorBody('INTERNAL'),
  503: errorBody(
    'UNAVAILABLE: no database connection free in time, a statement or lock timeout, or too many heavy requests in flight; see `Retry-After`',
  ),
});

/** The fastify route schema of a contract route: validation, serialization and its OpenAPI entry. */
export function routeSchema(operationId: string, route: RouteContract) {
  const ok =
    route.mediaType === undefined
      ? route.response
      : { description: 'OK', content: { [route.mediaType]: { schema: route.response } } };
  return {
    operationId,
    summary: route.summary,
    security: [{ bearer: [route.scope] }],
    params: route.params,
    querystring: route.querystring,
    response: { 200: ok, ...errorResponses(route.scope) },
  };
}

/** How `@fastify/swagger` generates the OpenAPI 3.1 document from the registered route schemas. */
export const OPENAPI: FastifyDynamicSwaggerOptions = {
  openapi: {
    openapi: '3.1.0',
    info: {
      title: 'Lineage query API',
      version: '1.0.0',
      description:
        'Read-only queries over the execution-lineage projections. Every /v1 route needs `Authorization: Bearer <token>` (create one with `lineage tokens create`) but the tiled log\'s checkpoints and hash tiles under /v1/log/ (C2SP tlog-tiles), which are public; errors are `{ "error": { "code", "message" } }`.',
    },
    components: {
      securitySchemes: {
        bearer: {
          type: 'http',
          scheme: 'bearer',
          description: 'API token; scopes `read` (queries) and `export` (bundles)',
        },
      },
    },
  },
};
