import { asArray, asObject, asString, onlyKeys } from '../encoding/shape.js';

/**
 * What an authorization covers. `actions` are exact names, `prefix.*` patterns or `*`; `resources`
 * are resource prefixes (`""` covers every resource). A scope covers an (action, resource) pair when
 * some action pattern and some resource prefix match it.
 */
export interface Scope {
  actions: string[];
  resources: string[];
}

/** True when the action pattern matches the action: exact, `prefix.*`, or `*`. */
export function actionMatches(pattern: string, action: string): boolean {
  if (pattern === '*') return true;
  return pattern.endsWith('.*') ? action.startsWith(pattern.slice(0, -1)) : pattern === action;
}

/** True when the scope covers the action on the resource. */
export function scopeCovers(scope: Scope, action: string, resource: string): boolean {
  return (
    scope.actions.some((p) => actionMatches(p, action)) &&
    scope.resources.some((prefix) => resource.startsWith(prefix))
  );
}

// Every action `inner` matches is matched by `outer`.
function actionSubsumes(outer: string, inner: string): boolean {
  if (outer === '*') return true;
  if (inner === '*') return false;
  if (!outer.endsWith('.*')) return outer === inner;
  const prefix = outer.slice(0, -1);
  return inner.startsWith(prefix);
}

function intersect(
  a: string[],
  b: string[],
  subsumes: (o: string, i: string) => boolean,
): string[] {
  const out = new Set<string>();
  for (const x of a) if (b.some((y) => subsumes(y, x))) out.add(x);
  for (const y of b) if (a.some((x) => subsumes(x, y))) out.add(y);
  return [...out].sort();
}

/**
 * The scope covering exactly what both scopes cover (for patterns and prefixes this is exact): a
 * child descending from several parents acts within every parent's authority. Pure; sorted output.
 */
export function intersectScopes(a: Scope, b: Scope): Scope {
  return {
    actions: intersect(a.actions, b.actions, actionSubsumes),
    resources: intersect(a.resources, b.resources, (outer, inner) => inner.startsWith(outer)),
  };
}

const ACTION = /^(\*|[A-Za-z0-9_:/-]+(\.[A-Za-z0-9_:/-]+)*(\.\*)?)$/;

/** Reads a scope from untrusted JSON; `fail` builds the error thrown for a malformed one. */
export function parseScope(v: unknown, what: string, fail: (what: string) => Error): Scope {
  const o = asObject(v, what, fail);
  onlyKeys(o, ['actions', 'resources'], what, fail);
  const actions = asArray(o.actions, `${what}.actions`, fail, 64).map((a) => {
    const s = asString(a, `${what}.actions[]`, fail, 256);
    if (!ACTION.test(s)) throw fail(`${what}.actions has a malformed pattern`);
    return s;
  });
  const resources = asArray(o.resources, `${what}.resources`, fail, 64).map((r) =>
    asString(r, `${what}.resources[]`, fail, 1024),
  );
  return { actions, resources };
}
