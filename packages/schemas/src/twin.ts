import type { Type } from 'avsc';
import { shapeOf } from './shape.js';

/** JSON form of a decoded record: Avro bytes and fixed as base64 strings, records as plain objects. */
export type Twin = null | boolean | number | string | Twin[] | { [key: string]: Twin };

/**
 * Converts a decoded value to its readable JSON twin (used for fixtures and vectors).
 *
 * @throws Error on values no Avro record decodes to (functions, symbols, bigints).
 */
export function toTwin(value: unknown): Twin {
  if (
    value === null ||
    typeof value === 'boolean' ||
    typeof value === 'number' ||
    typeof value === 'string'
  ) {
    return value;
  }
  if (Buffer.isBuffer(value)) return value.toString('base64');
  if (Array.isArray(value)) return value.map(toTwin);
  if (typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, toTwin(v)]));
  }
  throw new Error(`no JSON twin for a ${typeof value}`);
}

/**
 * Converts a JSON twin back to a value of `type`, turning base64 strings into Buffers where the
 * schema has bytes or fixed.
 *
 * @throws Error if `json` does not follow the schema, or meets a union with several non-null
 * branches (ambiguous in a twin).
 */
export function fromTwin(type: Type, json: Twin): unknown {
  const s = shapeOf(type);
  switch (s.kind) {
    case 'bytes':
    case 'fixed':
      if (typeof json !== 'string') throw new Error('bytes twin must be a base64 string');
      return Buffer.from(json, 'base64');
    case 'array':
      if (!Array.isArray(json)) throw new Error('array twin must be an array');
      return json.map((item) => fromTwin(s.items, item));
    case 'map':
    case 'record': {
      if (json === null || typeof json !== 'object' || Array.isArray(json))
        throw new Error(`${s.kind} twin must be an object`);
      if (s.kind === 'map')
        return Object.fromEntries(Object.entries(json).map(([k, v]) => [k, fromTwin(s.values, v)]));
      return Object.fromEntries(
        s.fields.map((f) => [f.name, fromTwin(f.type, json[f.name] ?? null)]),
      );
    }
    case 'union': {
      const nonNull = s.branches.filter((b) => shapeOf(b).kind !== 'null');
      if (json === null && nonNull.length < s.branches.length) return null;
      const [only, ...more] = nonNull;
      if (!only || more.length > 0) throw new Error('ambiguous union in twin');
      return fromTwin(only, json);
    }
    default:
      return json;
  }
}
