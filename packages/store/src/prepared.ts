import { createHash } from 'node:crypto';
import type { QueryConfig } from 'pg';

const names = new Map<string, string>();

/**
 * A query that Postgres parses once per connection and then runs as a prepared statement: named
 * by a digest of its text (one name per text, as node-postgres requires), so a statement a hot
 * path runs many times skips parsing and, once Postgres settles on a generic plan, planning too.
 * A recursive walk statement plans in ~0.4–2 ms, more than it then runs.
 */
export function prepared(text: string, values: unknown[]): QueryConfig {
  let name = names.get(text);
  if (name === undefined) {
    name = `lineage_${createHash('sha256').update(text).digest('hex').slice(0, 24)}`;
    names.set(text, name);
  }
  return { name, text, values };
}
