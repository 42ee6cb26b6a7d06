import { readdirSync, readFileSync } from 'node:fs';
import avsc from 'avsc';
import type { Schema, Type } from 'avsc';
import { compileBodyCheck } from './bounds.js';
import type { BodyCheck } from './bounds.js';
import { canonicalForm, fingerprintOf } from './fingerprint.js';
import { PRIMITIVES } from './shape.js';

/** One schema file: its file name (`lineage.<name>.v<N>.avsc`) and its parsed JSON. */
export interface SchemaSource {
  readonly file: string;
  readonly schema: unknown;
}

/** A schema version as published: which record, which version, and its wire fingerprint. */
export interface SchemaVersion {
  /** The `<name>` of `lineage.<name>.v<N>.avsc`, e.g. `intent`. */
  readonly name: string;
  readonly version: number;
  /** The Avro full name of the top-level type, e.g. `dev.lineage.v1.ExecutionIntent`. */
  readonly fullName: string;
  /** CRC-64-AVRO of the Parsing Canonical Form, as the 8 wire bytes (little-endian) in hex. */
  readonly fingerprint: string;
  readonly canonicalForm: string;
}

type Resolver = ReturnType<Type['createResolver']>;

/** Everything needed to write, or to read back, records of one schema version. */
export interface WriterSchema extends SchemaVersion {
  readonly type: Type;
  /** `C3 01` followed by the 8 fingerprint bytes. */
  readonly header: Buffer;
  /** The fingerprint bytes as a latin1 string, the lookup key of {@link SchemaRegistry.writer}. */
  readonly key: string;
  readonly checkBody: BodyCheck;
  /** Reads this version as the latest version of `name`; `undefined` when this is the latest. */
  readonly resolver: Resolver | undefined;
}

/** The single-object encoding marker (Avro 1.11 specification, "Single object encoding"). */
export const MARKER = Buffer.from([0xc3, 0x01]);
export const HEADER_LENGTH = MARKER.length + 8;

const FILE_NAME = /^lineage\.([a-z][a-z0-9-]*)\.v([1-9][0-9]*)\.avsc$/;
const NAMED = new Set(['record', 'error', 'enum', 'fixed']);

/** A loaded, checked set of schema versions: by fingerprint, and by name and version. */
export class SchemaRegistry {
  readonly #byKey = new Map<string, WriterSchema>();
  readonly #byName = new Map<string, readonly WriterSchema[]>();

  /** @internal use {@link buildRegistry}. */
  constructor(writers: readonly WriterSchema[]) {
    for (const w of writers) {
      const other = this.#byKey.get(w.key);
      if (other && other.name !== w.name) {
        throw new Error(
          `${w.name} v${w.version} and ${other.name} v${other.version} have the same fingerprint`,
        );
      }
      // identical versions of one record share a fingerprint; the latest one answers for it
      if (!other || other.version < w.version) this.#byKey.set(w.key, w);
      this.#byName.set(w.name, [...(this.#byName.get(w.name) ?? []), w]);
    }
  }

  /** Every schema version, ordered by name and version. */
  versions(): SchemaVersion[] {
    return [...this.#byName.keys()].sort().flatMap((name) =>
      (this.#byName.get(name) ?? []).map((w) => ({
        name: w.name,
        version: w.version,
        fullName: w.fullName,
        fingerprint: w.fingerprint,
        canonicalForm: w.canonicalForm,
      })),
    );
  }

  /** The writer with this fingerprint (8 bytes as a latin1 string), if it is one of ours. */
  writer(key: string): WriterSchema | undefined {
    return this.#byKey.get(key);
  }

  /**
   * One version of a record, or its latest version when `version` is omitted.
   *
   * @throws Error if there is no such record or version (a programming error).
   */
  get(name: string, version?: number): WriterSchema {
    const all = this.#byName.get(name);
    const found = version === undefined ? all?.at(-1) : all?.find((w) => w.version === version);
    if (!found) throw new Error(`no schema ${name}${version === undefined ? '' : ` v${version}`}`);
    return found;
  }
}

interface ParsedFile {
  readonly source: SchemaSource;
  readonly name: string;
  readonly version: number;
  readonly defined: ReadonlySet<string>;
  readonly referenced: ReadonlySet<string>;
}

const qualify = (name: string, namespace: string): string =>
  name.includes('.') || namespace === '' ? name : `${namespace}.${name}`;

/** Collects the full names a schema defines, and those it uses without defining them first. */
function scanNames(
  schema: unknown,
  namespace: string,
  defined: Set<string>,
  referenced: Set<string>,
): void {
  if (typeof schema === 'string') {
    if (PRIMITIVES.has(schema)) return;
    const full = qualify(schema, namespace);
    if (!defined.has(full)) referenced.add(full);
  } else if (Array.isArray(schema)) {
    for (const branch of schema) scanNames(branch, namespace, defined, referenced);
  } else if (schema !== null && typeof schema === 'object') {
    const s = schema as Record<string, unknown>;
    if (typeof s['type'] === 'string' && NAMED.has(s['type']) && typeof s['name'] === 'string') {
      const ns = typeof s['namespace'] === 'string' ? s['namespace'] : namespace;
      const full = qualify(s['name'], ns);
      defined.add(full);
      const inner = full.includes('.') ? full.slice(0, full.lastIndexOf('.')) : '';
      if (Array.isArray(s['fields'])) {
        for (const f of s['fields'] as unknown[]) {
          if (f !== null && typeof f === 'object')
            scanNames((f as { type?: unknown }).type, inner, defined, referenced);
        }
      }
    } else if (s['type'] === 'array') {
      scanNames(s['items'], namespace, defined, referenced);
    } else if (s['type'] === 'map') {
      scanNames(s['values'], namespace, defined, referenced);
    } else {
      scanNames(s['type'], namespace, defined, referenced);
    }
  }
}

function parseFile(source: SchemaSource): ParsedFile {
  const m = FILE_NAME.exec(source.file);
  if (!m) throw new Error(`schema file ${source.file} is not named lineage.<name>.v<N>.avsc`);
  const defined = new Set<string>();
  const referenced = new Set<string>();
  scanNames(source.schema, '', defined, referenced);
  return { source, name: m[1] as string, version: Number(m[2]), defined, referenced };
}

/**
 * Parses a set of schema files into a registry. Named types may be shared across files (the
 * intent refers to `dev.lineage.v1.Envelope`, defined in the envelope file): each file is parsed
 * after the files defining the names it uses, with those types in its avsc registry. For every
 * record, each older version gets a resolver into the latest version, created once here.
 *
 * @throws Error if a file is misnamed, a name is undefined or defined by more than one file that
 * is referenced, avsc rejects a schema, or an older version cannot be read as the latest.
 */
export function buildRegistry(sources: readonly SchemaSource[]): SchemaRegistry {
  const files = sources.map(parseFile);
  const parse = typeParser(files);
  const byName = new Map<string, ParsedFile[]>();
  for (const f of files) byName.set(f.name, [...(byName.get(f.name) ?? []), f]);
  const writers: WriterSchema[] = [];
  for (const [name, group] of byName) writers.push(...versionsOf(name, group, parse));
  return new SchemaRegistry(writers);
}

type Parsed = { type: Type; registry: Record<string, Type> };

/**
 * Parses files in dependency order, each seeing the named types of everything it depends on.
 * @throws Error on a repeated version, an undefined, ambiguous or circular name, or a bad schema.
 */
function typeParser(files: readonly ParsedFile[]): (f: ParsedFile) => Parsed {
  const dependencies = dependenciesOf(files);
  const types = new Map<ParsedFile, Parsed>();
  const visiting = new Set<ParsedFile>();
  const parse = (f: ParsedFile): Parsed => {
    const done = types.get(f);
    if (done) return done;
    if (visiting.has(f))
      throw new Error(`${f.source.file}: circular reference between schema files`);
    visiting.add(f);
    const registry: Record<string, Type> = {};
    for (const dep of dependencies(f)) Object.assign(registry, parse(dep).registry);
    const imported = { ...registry };
    let type: Type;
    try {
      type = avsc.Type.forSchema(f.source.schema as Schema, { registry });
    } catch (cause) {
      throw new Error(`${f.source.file}: ${(cause as Error).message}`, { cause });
    }
    // pass on what this file defines plus what it imported (the closure of its dependencies)
    const result = { type, registry: { ...imported, ...pick(registry, f.defined) } };
    types.set(f, result);
    visiting.delete(f);
    return result;
  };
  return parse;
}

/** For each file, the files defining the names it references (exactly one each). */
function dependenciesOf(files: readonly ParsedFile[]): (f: ParsedFile) => ParsedFile[] {
  const seenVersions = new Set<string>();
  const definers = new Map<string, ParsedFile[]>();
  for (const f of files) {
    const id = `${f.name} v${f.version}`;
    if (seenVersions.has(id)) throw new Error(`two schema files for ${id}`);
    seenVersions.add(id);
    for (const n of f.defined) definers.set(n, [...(definers.get(n) ?? []), f]);
  }
  return (f) =>
    [...f.referenced].map((n) => {
      const candidates = (definers.get(n) ?? []).filter((d) => d !== f);
      const [only, ...more] = candidates;
      if (!only) throw new Error(`${f.source.file}: type ${n} is not defined in any schema file`);
      if (more.length > 0) {
        const where = candidates.map((d) => d.source.file).join(', ');
        throw new Error(`${f.source.file}: type ${n} is ambiguous, defined in ${where}`);
      }
      return only;
    });
}

/**
 * The writer schemas of one record's versions, each older one with a resolver into the latest.
 * @throws Error when an older version cannot be read as the latest.
 */
function versionsOf(
  name: string,
  group: ParsedFile[],
  parse: (f: ParsedFile) => Parsed,
): WriterSchema[] {
  group.sort((a, b) => a.version - b.version);
  const latest = group.at(-1) as ParsedFile;
  const reader = parse(latest).type;
  return group.map((f) => {
    const type = parse(f).type;
    let resolver: Resolver | undefined;
    if (f !== latest) {
      try {
        resolver = reader.createResolver(type);
      } catch (cause) {
        const why = (cause as Error).message;
        throw new Error(`${name} v${f.version} cannot be read as v${latest.version}: ${why}`, {
          cause,
        });
      }
    }
    const fp = fingerprintOf(type);
    return {
      name,
      version: f.version,
      fullName: type.name ?? name,
      fingerprint: fp.toString('hex'),
      canonicalForm: canonicalForm(type),
      type,
      header: Buffer.concat([MARKER, fp]),
      key: fp.toString('latin1'),
      checkBody: compileBodyCheck(type),
      resolver,
    };
  });
}

function pick(registry: Record<string, Type>, names: ReadonlySet<string>): Record<string, Type> {
  return Object.fromEntries(Object.entries(registry).filter(([n]) => names.has(n)));
}

/**
 * Reads every `*.avsc` file of a directory (by default the repository's `schemas/`); `dir` must
 * end with `/`.
 *
 * @throws Error if the directory or a file cannot be read, or a file is not valid JSON.
 */
export function readSchemaSources(
  dir: URL = new URL('../../../schemas/', import.meta.url),
): SchemaSource[] {
  return readdirSync(dir)
    .filter((file) => file.endsWith('.avsc'))
    .sort()
    .map((file) => {
      const text = readFileSync(new URL(file, dir), 'utf8');
      try {
        return { file, schema: JSON.parse(text) as unknown };
      } catch (cause) {
        throw new Error(`${file}: not valid JSON`, { cause });
      }
    });
}

/** The repository's schema files, read once at module load. */
export const schemaSources: readonly SchemaSource[] = readSchemaSources();

/** The registry of the repository's schemas, built once at module load. */
export const registry: SchemaRegistry = buildRegistry(schemaSources);
