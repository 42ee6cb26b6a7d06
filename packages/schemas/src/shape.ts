import type { Type } from 'avsc';

/** The structure of an avsc `Type`, as far as the wire layout and the canonical form need it. */
export type Shape =
  | { readonly kind: 'null' | 'boolean' | 'int' | 'long' | 'float' | 'double' | 'bytes' | 'string' }
  | { readonly kind: 'record'; readonly fullName: string; readonly fields: readonly ShapeField[] }
  | { readonly kind: 'enum'; readonly fullName: string; readonly symbols: readonly string[] }
  | { readonly kind: 'fixed'; readonly fullName: string; readonly size: number }
  | { readonly kind: 'array'; readonly items: Type }
  | { readonly kind: 'map'; readonly values: Type }
  | { readonly kind: 'union'; readonly branches: readonly Type[] };

export interface ShapeField {
  readonly name: string;
  readonly type: Type;
}

// The avsc runtime properties read below; its typings declare them only on the subclasses.
interface AvscInternals {
  readonly typeName: string;
  readonly name?: string;
  readonly fields?: readonly ShapeField[];
  readonly symbols?: readonly string[];
  readonly size?: number;
  readonly itemsType?: Type;
  readonly valuesType?: Type;
  readonly types?: readonly Type[];
  readonly underlyingType?: Type;
}

/** Avro's primitive type names (Avro 1.11 specification, "Primitive Types"). */
export const PRIMITIVES: ReadonlySet<string> = new Set([
  'null',
  'boolean',
  'int',
  'long',
  'float',
  'double',
  'bytes',
  'string',
]);

/**
 * Describes an avsc type. Logical types are described by their underlying type (their wire
 * layout), `error` types as records.
 *
 * @throws Error if avsc hands back a type this module does not know (a bug, not bad input).
 */
export function shapeOf(type: Type): Shape {
  const t = type as unknown as AvscInternals;
  const kind = t.typeName;
  if (PRIMITIVES.has(kind)) return { kind } as Shape;
  if (kind.startsWith('logical:') && t.underlyingType) return shapeOf(t.underlyingType);
  if ((kind === 'record' || kind === 'error') && t.name !== undefined && t.fields) {
    return { kind: 'record', fullName: t.name, fields: t.fields };
  }
  if (kind === 'enum' && t.name !== undefined && t.symbols) {
    return { kind: 'enum', fullName: t.name, symbols: t.symbols };
  }
  if (kind === 'fixed' && t.name !== undefined && t.size !== undefined) {
    return { kind: 'fixed', fullName: t.name, size: t.size };
  }
  if (kind === 'array' && t.itemsType) return { kind: 'array', items: t.itemsType };
  if (kind === 'map' && t.valuesType) return { kind: 'map', values: t.valuesType };
  if (kind.startsWith('union:') && t.types) return { kind: 'union', branches: t.types };
  throw new Error(`unsupported avsc type: ${kind}`);
}
