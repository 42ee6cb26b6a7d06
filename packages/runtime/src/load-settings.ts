import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import type { TSchema } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { RuntimeError } from './errors.js';
import { SETTINGS } from './settings.js';
import type { Setting, SettingPath, Settings } from './settings.js';

/** Where a setting's value came from, as an error names it. */
type Source =
  | { kind: 'default' }
  | { kind: 'file'; file: string }
  | { kind: 'env'; name: string }
  | { kind: 'flag'; name: string };

export interface LoadOptions {
  /** A JSON file of settings by section; default `LINEAGE_CONFIG` when set. */
  file?: string;
  /** Default `process.env`. */
  env?: Readonly<Record<string, string | undefined>>;
  /** Values from command-line flags, by setting path; they override the file and the environment. */
  flags?: Partial<Record<SettingPath, { value: unknown; flag: string }>>;
}

/**
 * The configuration of every role: each setting's default, overridden by the file, then by its
 * environment variable, then by a flag; every value is checked against its schema.
 * @throws RuntimeError CONFIG_INVALID naming the setting (and the file, variable or flag it came from)
 *   whose value is refused, an unknown setting in the file, or a file that cannot be read as JSON.
 */
export function loadSettings(options: LoadOptions = {}): Settings {
  const env = options.env ?? process.env;
  const file = options.file ?? nonBlank(env.LINEAGE_CONFIG);
  const fromFile = file === undefined ? {} : readSettingsFile(file);
  const out: Record<string, Record<string, unknown>> = {};
  for (const [section, settings] of Object.entries(SETTINGS) as [
    string,
    Record<string, Setting>,
  ][]) {
    out[section] = {};
    for (const [name, setting] of Object.entries(settings)) {
      const path = `${section}.${name}` as SettingPath;
      const [raw, source] = pick(
        setting,
        path,
        fromFile[section]?.[name],
        file,
        env,
        options.flags,
      );
      out[section][name] = check(setting.schema, path, raw, source);
    }
  }
  return out as Settings;
}

/** The value that wins for one setting, and where it came from. */
function pick(
  setting: Setting,
  path: SettingPath,
  inFile: unknown,
  file: string | undefined,
  env: Readonly<Record<string, string | undefined>>,
  flags: LoadOptions['flags'],
): [unknown, Source] {
  const flag = flags?.[path];
  if (flag !== undefined) return [flag.value, { kind: 'flag', name: flag.flag }];
  for (const name of setting.env ?? []) {
    const value = nonBlank(env[name]);
    if (value !== undefined) return [value, { kind: 'env', name }];
  }
  if (inFile !== undefined) return [inFile, { kind: 'file', file: file ?? '' }];
  return [setting.default, { kind: 'default' }];
}

/** `raw` read as `schema` says (text from a variable or flag becomes a number or boolean), then checked. */
function check(schema: TSchema, path: SettingPath, raw: unknown, source: Source): unknown {
  const value = typeof raw === 'string' ? fromText(schema, raw) : raw;
  const error = Value.Errors(schema, value).First();
  if (error === undefined) return value;
  const hint = error.schema.description ?? error.message.toLowerCase();
  throw new RuntimeError(
    'CONFIG_INVALID',
    `${path} (${describe(source)}) must be ${hint}, not ${JSON.stringify(raw)}`,
  );
}

function fromText(schema: TSchema, text: string): unknown {
  const type = (schema as { type?: unknown }).type;
  if (type === 'number' || type === 'integer')
    return text.trim() === '' ? Number.NaN : Number(text);
  if (type === 'boolean')
    return text === 'true' || text === '1' ? true : text === 'false' || text === '0' ? false : text;
  if (type === 'array')
    return text
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== '');
  return text;
}

function describe(source: Source): string {
  switch (source.kind) {
    case 'flag':
      return `--${source.name}`;
    case 'env':
      return `environment ${source.name}`;
    case 'file':
      return `file ${source.file}`;
    default:
      return 'default';
  }
}

/** The settings file: sections of known settings only (a misspelt one is an error, never ignored). */
function readSettingsFile(file: string): Record<string, Record<string, unknown>> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (cause) {
    throw new RuntimeError('CONFIG_INVALID', `config file ${file}: ${(cause as Error).message}`, {
      cause,
    });
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    throw new RuntimeError('CONFIG_INVALID', `config file ${file} must hold a JSON object`);
  const table = SETTINGS as Record<string, Record<string, Setting>>;
  for (const [section, values] of Object.entries(parsed)) {
    if (!(section in table) || typeof values !== 'object' || values === null)
      throw new RuntimeError('CONFIG_INVALID', `config file ${file}: unknown section ${section}`);
    for (const name of Object.keys(values))
      if (!(name in table[section]!))
        throw new RuntimeError(
          'CONFIG_INVALID',
          `config file ${file}: unknown setting ${section}.${name}`,
        );
  }
  return parsed as Record<string, Record<string, unknown>>;
}

function nonBlank(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value;
}

/** A service's flags: each names the setting it overrides; `--config <file>` names the file. */
export type FlagMap = Readonly<
  Record<string, { path: SettingPath; boolean?: boolean; multiple?: boolean }>
>;

/** The flags of every role that reads Kafka: brokers, topic prefix, partition count. */
export const KAFKA_FLAGS: FlagMap = {
  brokers: { path: 'kafka.brokers' },
  'topic-prefix': { path: 'kafka.topicPrefix' },
  partitions: { path: 'kafka.partitions' },
};

/**
 * Reads a service's command line (`args`, default `process.argv`) into settings: `--config` and the
 * flags `map` names, each overriding its setting ({@link loadSettings}).
 * @throws RuntimeError CONFIG_INVALID on an unknown flag or a missing value, or as loadSettings.
 */
export function settingsFromArgs(map: FlagMap, args?: string[]): Settings {
  const options: Record<string, { type: 'string' | 'boolean'; multiple?: boolean }> = {
    config: { type: 'string' },
  };
  for (const [flag, spec] of Object.entries(map))
    options[flag] = {
      type: spec.boolean ? 'boolean' : 'string',
      ...(spec.multiple && { multiple: true }),
    };
  let values: Record<string, unknown>;
  try {
    values = parseArgs({ options, strict: true, ...(args ? { args } : {}) }).values;
  } catch (cause) {
    // parseArgs throws a TypeError naming the unknown or incomplete flag.
    throw new RuntimeError('CONFIG_INVALID', (cause as Error).message, { cause });
  }
  const flags: LoadOptions['flags'] = {};
  for (const [flag, spec] of Object.entries(map))
    if (values[flag] !== undefined) flags[spec.path] = { value: values[flag], flag };
  return loadSettings({ ...(typeof values.config === 'string' && { file: values.config }), flags });
}
