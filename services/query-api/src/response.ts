import { Ajv } from 'ajv';
import addFormatsModule from 'ajv-formats';
import type { FastifySerializerCompiler } from 'fastify';
import { QueryApiError } from './errors.js';

// ajv-formats is CommonJS: its default export arrives wrapped under ESM.
const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;

/**
 * fastify's serializer compiler for every response schema: the body is checked against the schema
 * of its status (and media type) before it is written, so the API never sends what its contract
 * does not declare. A mismatch is a bug on our side: QueryApiError INTERNAL, logged, answered 500.
 */
export function validatingSerializer(): FastifySerializerCompiler<unknown> {
  const ajv = new Ajv({ strict: false, allErrors: false, coerceTypes: false });
  addFormats(ajv);
  return ({ schema, url, httpStatus }) => {
    const valid = ajv.compile(schema as object);
    return (data: unknown): string => {
      if (!valid(data))
        throw new QueryApiError(
          'INTERNAL',
          `response ${httpStatus ?? ''} of ${url} does not match its schema: ${ajv.errorsText(valid.errors)}`,
        );
      return JSON.stringify(data);
    };
  };
}
