import { isUtf8 } from 'node:buffer';
import type { Type } from 'avsc';
import { SchemaError } from './errors.js';
import { shapeOf } from './shape.js';

/*
 * A strict pass over an Avro binary body, run before avsc decodes it. avsc's reader does not check
 * bounds while it reads (it checks once at the end) and sizes arrays and maps from the declared
 * count: a body of a few bytes declaring 2^31 array items makes it loop and allocate until the
 * process dies of OOM. This pass rejects that, and anything else malformed, in time linear in
 * the input: every count is checked against the bytes left, before anything is allocated.
 */

/** Checks that `buf[start..]` is exactly one well-formed body of the compiled writer type. */
export type BodyCheck = (buf: Buffer, start: number) => void;

interface Cursor {
  buf: Buffer;
  pos: number;
  depth: number;
}

type Step = (c: Cursor) => void;

/** Arrays and maps of items that take no bytes (null, empty records) are capped at this many. */
const MAX_EMPTY_ITEMS = 1024;
/** Nesting limit for recursive schemas (ours are not recursive; this keeps the stack bounded). */
const MAX_DEPTH = 64;

const truncated = (what: string): SchemaError =>
  new SchemaError('TRUNCATED', `body ends inside ${what}`);
const invalid = (what: string): SchemaError => new SchemaError('INVALID_BODY', what);

/** Reads a zig-zag varint of at most `maxBytes` bytes (5 for int, 10 for long). */
function readVarint(c: Cursor, maxBytes: number): number {
  const { buf } = c;
  let value = 0;
  let scale = 1;
  for (let i = 0; i < maxBytes; i++) {
    if (c.pos >= buf.length) throw truncated('a number');
    const b = buf[c.pos++] as number;
    value += (b & 0x7f) * scale;
    if ((b & 0x80) === 0) {
      if (i === maxBytes - 1 && b > (maxBytes === 5 ? 0x0f : 0x01))
        throw invalid('number out of range');
      return value % 2 === 0 ? value / 2 : -(value + 1) / 2;
    }
    scale *= 128;
  }
  throw invalid('number encoding too long');
}

const readInt = (c: Cursor): number => readVarint(c, 5);
const readLong = (c: Cursor): number => readVarint(c, 10);

/** Reads a byte length and checks it fits in what is left; returns the start of the bytes. */
function readLength(c: Cursor, what: string): number {
  const len = readLong(c);
  if (len < 0) throw invalid(`negative ${what} length`);
  if (len > c.buf.length - c.pos) throw truncated(what);
  const start = c.pos;
  c.pos += len;
  return start;
}

const readString: Step = (c) => {
  const start = readLength(c, 'a string');
  // strings must be valid UTF-8 (avsc would decode invalid bytes lossily)
  if (!isUtf8(c.buf.subarray(start, c.pos))) throw invalid('string is not valid UTF-8');
};

const fixedStep =
  (size: number, what: string): Step =>
  (c) => {
    if (size > c.buf.length - c.pos) throw truncated(what);
    c.pos += size;
  };

/** Minimum encoded size of one value of `type`, in bytes (a lower bound for recursive types). */
function minSize(type: Type, visiting = new Set<Type>()): number {
  const s = shapeOf(type);
  switch (s.kind) {
    case 'null':
      return 0;
    case 'float':
      return 4;
    case 'double':
      return 8;
    case 'fixed':
      return s.size;
    case 'record': {
      if (visiting.has(type)) return 0;
      visiting.add(type);
      const total = s.fields.reduce((sum, f) => sum + minSize(f.type, visiting), 0);
      visiting.delete(type);
      return total;
    }
    default:
      // boolean, int, long, bytes, string, enum, union, array, map: at least one byte
      return 1;
  }
}

// One case per Avro type kind: a dispatch over the whole type system, ~70 lines by nature.
function compile(type: Type, memo: Map<Type, Step>): Step {
  const known = memo.get(type);
  if (known) return known;
  const s = shapeOf(type);
  switch (s.kind) {
    case 'null':
      return () => undefined;
    case 'boolean':
      return (c) => {
        if (c.pos >= c.buf.length) throw truncated('a boolean');
        // only 0 and 1 are booleans
        if ((c.buf[c.pos++] as number) > 1) throw invalid('boolean byte is not 0 or 1');
      };
    case 'int':
      return (c) => void readInt(c);
    case 'long':
      return (c) => void readLong(c);
    case 'float':
      return fixedStep(4, 'a float');
    case 'double':
      return fixedStep(8, 'a double');
    case 'bytes':
      return (c) => void readLength(c, 'bytes');
    case 'string':
      return readString;
    case 'fixed':
      return fixedStep(s.size, s.fullName);
    case 'enum': {
      const count = s.symbols.length;
      return (c) => {
        const i = readInt(c);
        if (i < 0 || i >= count) throw invalid(`enum index ${i} out of range for ${s.fullName}`);
      };
    }
    case 'union': {
      const branches = s.branches.map((b) => compile(b, memo));
      return (c) => {
        const i = readLong(c);
        const branch = branches[i];
        if (branch === undefined) throw invalid(`union index ${i} out of range`);
        branch(c);
      };
    }
    case 'array':
      return blocks(compile(s.items, memo), minSize(s.items));
    case 'map': {
      const value = compile(s.values, memo);
      return blocks(
        (c) => {
          readString(c);
          value(c);
        },
        1 + minSize(s.values),
      );
    }
    case 'record': {
      const steps: Step[] = [];
      const step: Step = (c) => {
        if (++c.depth > MAX_DEPTH) throw invalid('nesting too deep');
        for (const f of steps) f(c);
        c.depth--;
      };
      // registered before the fields compile, so recursive records refer back to it
      memo.set(type, step);
      for (const f of s.fields) steps.push(compile(f.type, memo));
      return step;
    }
  }
}

/** Array/map blocks: each block's count must fit in the bytes left before anything is read. */
function blocks(item: Step, itemMin: number): Step {
  return (c) => {
    let empties = 0;
    for (;;) {
      let n = readLong(c);
      if (n === 0) return;
      let blockEnd = -1;
      if (n < 0) {
        // a negative count is followed by the block's size in bytes
        n = -n;
        const size = readLong(c);
        if (size < 0) throw invalid('negative block size');
        if (size > c.buf.length - c.pos) throw truncated('a block');
        blockEnd = c.pos + size;
      }
      if (itemMin > 0) {
        if (n * itemMin > c.buf.length - c.pos) throw truncated('an array or map');
      } else if ((empties += n) > MAX_EMPTY_ITEMS) {
        throw invalid('too many empty items');
      }
      for (let i = 0; i < n; i++) item(c);
      if (blockEnd >= 0 && c.pos !== blockEnd) throw invalid('block size does not match its items');
    }
  };
}

/**
 * Compiles the strict body check for a writer type, once per writer schema.
 *
 * The returned function throws `SchemaError` `TRUNCATED` (the body or a declared length or count
 * runs past the end), `TRAILING_BYTES` (bytes follow the body) or `INVALID_BODY` (anything else
 * malformed); it throws nothing else.
 */
export function compileBodyCheck(type: Type): BodyCheck {
  const step = compile(type, new Map());
  return (buf, start) => {
    const c: Cursor = { buf, pos: start, depth: 0 };
    step(c);
    if (c.pos !== buf.length) {
      throw new SchemaError('TRAILING_BYTES', `${buf.length - c.pos} bytes after the body`);
    }
  };
}
