import { parseArgs } from 'node:util';
import type { ParseArgsConfig } from 'node:util';
import type { Static, TObject } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { RuntimeError } from './errors.js';

/** What `parseArgs` may be told about each flag (its type, default, and whether it repeats). */
export type FlagOptions = NonNullable<ParseArgsConfig['options']>;

/**
 * Turns flag values (as `parseArgs` returns them: strings and booleans) into the configuration
 * `schema` describes: numeric flags are read as numbers, then every value is checked against the schema.
 * @throws RuntimeError CONFIG_INVALID naming the first flag whose value the schema refuses.
 */
export function checkConfig<S extends TObject>(
  schema: S,
  values: Readonly<Record<string, unknown>>,
): Static<S> {
  const converted = toNumbers(schema, values);
  const error = Value.Errors(schema, converted).First();
  if (error === undefined) return converted as Static<S>;
  const key = error.path.replace(/^\//, '').split('/')[0] ?? '';
  // Keys are flag names, as parseArgs gives them or camelCased as commander does.
  const flag = `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
  const hint = error.schema.description ?? error.message.toLowerCase();
  throw new RuntimeError(
    'CONFIG_INVALID',
    `${flag} must be ${hint}, not ${JSON.stringify(values[key] ?? null)}`,
  );
}

/**
 * Parses a service's command line (`args`, default `process.argv`) with `options`, then checks it
 * against `schema` ({@link checkConfig}).
 * @throws RuntimeError CONFIG_INVALID on an unknown flag, a missing value, or a value the schema refuses.
 */
export function parseConfig<S extends TObject>(
  schema: S,
  options: FlagOptions,
  args?: string[],
): Static<S> {
  let values: Record<string, unknown>;
  try {
    values = parseArgs({ options, strict: true, ...(args ? { args } : {}) }).values;
  } catch (cause) {
    // parseArgs throws a TypeError naming the unknown or incomplete flag.
    throw new RuntimeError('CONFIG_INVALID', (cause as Error).message, { cause });
  }
  return checkConfig(schema, values);
}

/**
 * `values` with each string whose flag the schema types as a number read with `Number()`; a blank
 * string reads as NaN, which no number schema accepts (`Number('')` would be 0), and `1.5` stays
 * 1.5 for an integer flag to refuse (TypeBox's own conversion would truncate it).
 */
function toNumbers(schema: TObject, values: Readonly<Record<string, unknown>>): unknown {
  const out: Record<string, unknown> = { ...values };
  for (const [name, property] of Object.entries(schema.properties)) {
    const value = out[name];
    const type = (property as { type?: unknown }).type;
    if (typeof value === 'string' && (type === 'number' || type === 'integer'))
      out[name] = value.trim() === '' ? Number.NaN : Number(value);
  }
  return out;
}
