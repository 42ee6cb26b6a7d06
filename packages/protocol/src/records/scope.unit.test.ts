import { describe, expect, it } from 'vitest';
import {
  ProtocolError,
  actionMatches,
  intersectScopes,
  parseScope,
  scopeCovers,
} from '../index.js';
import type { Scope } from '../index.js';
import { errorOf } from '@lineage/testkit';

class ScopeTestError extends ProtocolError<'SCOPE_BAD'> {}
const fail = (what: string) => new ScopeTestError('SCOPE_BAD', what);
const parse = (v: unknown) => parseScope(v, 'scope', fail);

describe('actionMatches', () => {
  it.each<[string, string, boolean]>([
    ['*', 'payments.transfer', true],
    ['*', 'anything', true],
    ['payments.transfer', 'payments.transfer', true],
    ['payments.transfer', 'payments.transfers', false],
    ['payments.transfer', 'payments', false],
    ['payments.*', 'payments.transfer', true],
    ['payments.*', 'payments.transfer.batch', true],
    // A `prefix.*` pattern matches below the prefix only, not the prefix itself or a longer name.
    ['payments.*', 'payments', false],
    ['payments.*', 'paymentsx.transfer', false],
    ['payments.*', 'other.payments.transfer', false],
    ['payments.transfer.*', 'payments.transfer.batch', true],
    ['payments.transfer.*', 'payments.refund', false],
    // Without `.*`, a trailing dot or star is no wildcard.
    ['payments', 'payments.transfer', false],
  ])('%s matches %s: %s', (pattern, action, expected) => {
    expect(actionMatches(pattern, action)).toBe(expected);
  });
});

describe('scopeCovers', () => {
  const scope: Scope = {
    actions: ['payments.*', 'reports.read'],
    resources: ['account:', 'ledger/eu/'],
  };

  it.each<[string, string, boolean]>([
    ['payments.transfer', 'account:42', true],
    ['reports.read', 'ledger/eu/2024', true],
    ['reports.read', 'ledger/eu/', true],
    ['payments.transfer', 'ledger/us/2024', false],
    ['payments.transfer', 'xaccount:42', false],
    ['reports.write', 'account:42', false],
    ['payments', 'account:42', false],
  ])('covers %s on %s: %s', (action, resource, expected) => {
    expect(scopeCovers(scope, action, resource)).toBe(expected);
  });

  it('treats the empty resource prefix as every resource, and `*` as every action', () => {
    const all: Scope = { actions: ['*'], resources: [''] };
    expect(scopeCovers(all, 'x.y', '')).toBe(true);
    expect(scopeCovers(all, 'payments.transfer', 'account:42')).toBe(true);
  });

  it('covers nothing when either list is empty', () => {
    expect(scopeCovers({ actions: [], resources: [''] }, 'payments.transfer', 'account:42')).toBe(
      false,
    );
    expect(scopeCovers({ actions: ['*'], resources: [] }, 'payments.transfer', 'account:42')).toBe(
      false,
    );
  });
});

// A small universe, chosen so that prefixes nest, overlap by characters only, and miss.
const ACTIONS = ['a', 'a.b', 'a.b.c', 'a.c', 'ab', 'ab.c', 'b', 'b.a'];
const ACTION_PATTERNS = [...ACTIONS, '*', 'a.*', 'a.b.*', 'ab.*', 'b.*'];
const RESOURCES = ['', 'x', 'x/', 'x/1', 'x/12', 'xy', 'y', 'y/1'];

// Deterministic pseudo-random subsets (mulberry32), so a failure reproduces.
function rng(seed: number): () => number {
  let s = seed;
  return () => {
    s = (s + 0x6d2b79f5) | 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
function subset(items: string[], next: () => number): string[] {
  return items.filter(() => next() < 0.25);
}
function scopes(count: number, actions: string[], seed: number): Scope[] {
  const next = rng(seed);
  return Array.from({ length: count }, () => ({
    actions: subset(actions, next),
    resources: subset(RESOURCES, next),
  }));
}

// Every (scope a, scope b, action, resource) where "covered by both" and "covered by the
// intersection" disagree.
function disagreements(pairs: [Scope, Scope][]): string[] {
  const out: string[] = [];
  for (const [a, b] of pairs) {
    const both = intersectScopes(a, b);
    for (const action of ACTIONS)
      for (const resource of RESOURCES) {
        const inBoth = scopeCovers(a, action, resource) && scopeCovers(b, action, resource);
        if (scopeCovers(both, action, resource) !== inBoth)
          out.push(`${JSON.stringify(a)} ∩ ${JSON.stringify(b)} at ${action} on "${resource}"`);
      }
  }
  return out;
}
const pairsOf = (xs: Scope[]): [Scope, Scope][] =>
  xs.slice(1).map((b, i) => [xs[i]!, b] as [Scope, Scope]);

describe('intersectScopes', () => {
  it('covers exactly what both scopes cover, with exact action names', () => {
    const pairs = pairsOf(scopes(200, ACTIONS, 1));
    expect(disagreements(pairs)).toEqual([]);
    // The generated set exercises both outcomes.
    const covered = pairs.filter(([a, b]) =>
      ACTIONS.some((x) => RESOURCES.some((r) => scopeCovers(intersectScopes(a, b), x, r))),
    );
    expect(covered.length).toBeGreaterThan(10);
    expect(covered.length).toBeLessThan(pairs.length);
  });

  it('covers exactly what both scopes cover, with `*` and `prefix.*` patterns', () => {
    const pairs = pairsOf(scopes(400, ACTION_PATTERNS, 2));
    expect(disagreements(pairs)).toEqual([]);
  });

  it('keeps the narrower of nested patterns and prefixes', () => {
    expect(
      intersectScopes(
        { actions: ['a.*'], resources: ['x'] },
        { actions: ['a.b.*', 'b.a'], resources: ['x/1', 'y'] },
      ),
    ).toEqual({ actions: ['a.b.*'], resources: ['x/1'] });
    expect(
      intersectScopes({ actions: ['*'], resources: [''] }, { actions: ['b.a'], resources: ['y'] }),
    ).toEqual({ actions: ['b.a'], resources: ['y'] });
  });

  it('is empty for disjoint patterns and prefixes that share characters only', () => {
    expect(
      intersectScopes(
        { actions: ['a.*'], resources: ['x/1'] },
        { actions: ['ab.*'], resources: ['x/2'] },
      ),
    ).toEqual({ actions: [], resources: [] });
    // `a` is not under `a.*`.
    expect(
      intersectScopes({ actions: ['a'], resources: [''] }, { actions: ['a.*'], resources: [''] })
        .actions,
    ).toEqual([]);
  });

  it('is commutative, sorted and free of duplicates', () => {
    for (const [a, b] of pairsOf(scopes(100, ACTION_PATTERNS, 3))) {
      const ab = intersectScopes(a, b);
      expect(intersectScopes(b, a)).toEqual(ab);
      expect(ab.actions).toEqual([...new Set(ab.actions)].sort());
      expect(ab.resources).toEqual([...new Set(ab.resources)].sort());
    }
  });

  it('does not modify its arguments', () => {
    const a: Scope = { actions: ['b.*', 'a.*'], resources: ['y', 'x'] };
    const b: Scope = { actions: ['*'], resources: [''] };
    intersectScopes(a, b);
    expect(a).toEqual({ actions: ['b.*', 'a.*'], resources: ['y', 'x'] });
  });
});

describe('parseScope', () => {
  it('reads a well-formed scope', () => {
    expect(
      parse({ actions: ['*', 'a.*', 'payments.transfer', 'x:y/z-1_2'], resources: ['', 'r'] }),
    ).toEqual({
      actions: ['*', 'a.*', 'payments.transfer', 'x:y/z-1_2'],
      resources: ['', 'r'],
    });
  });

  it.each<[string, unknown]>([
    ['not an object', ['*']],
    ['null', null],
    ['an unknown field', { actions: [], resources: [], extra: 1 }],
    ['actions missing', { resources: [] }],
    ['resources missing', { actions: [] }],
    ['actions not an array', { actions: '*', resources: [] }],
    ['a non-string action', { actions: [1], resources: [] }],
    ['a non-string resource', { actions: [], resources: [null] }],
    ['an action with a space', { actions: ['pay ments'], resources: [] }],
    ['an empty action', { actions: [''], resources: [] }],
    ['a star inside a segment', { actions: ['pay*'], resources: [] }],
    ['a bare `.*`', { actions: ['.*'], resources: [] }],
    ['a star in the middle', { actions: ['a.*.b'], resources: [] }],
    ['an empty segment', { actions: ['a..b'], resources: [] }],
    ['a trailing dot', { actions: ['a.'], resources: [] }],
    ['65 actions', { actions: Array.from({ length: 65 }, () => 'a'), resources: [] }],
    ['a 257-char action', { actions: ['a'.repeat(257)], resources: [] }],
    ['a 1025-char resource', { actions: [], resources: ['r'.repeat(1025)] }],
  ])('refuses %s with the caller’s error', (_name, value) => {
    expect(errorOf(() => parse(value))).toEqual({ type: 'ScopeTestError', code: 'SCOPE_BAD' });
  });

  it('accepts the largest lists and strings', () => {
    const scope = parse({
      actions: Array.from({ length: 64 }, () => 'a'.repeat(256)),
      resources: ['r'.repeat(1024)],
    });
    expect(scope.actions).toHaveLength(64);
  });
});
