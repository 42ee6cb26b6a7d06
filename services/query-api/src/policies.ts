import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { JsonValue } from '@lineage/protocol';
import { QueryApiError } from './errors.js';

/**
 * Reads every `*.json` file of `dir` (not recursive), sorted by name: the policy documents bundles embed.
 * @throws QueryApiError INVALID_ARGUMENT when the directory or a file cannot be read or parsed.
 */
export async function readPolicies(dir: string): Promise<JsonValue[]> {
  let names: string[];
  try {
    names = (await readdir(dir)).filter((n) => n.endsWith('.json')).sort();
  } catch (cause) {
    throw new QueryApiError('INVALID_ARGUMENT', `cannot read policy directory ${dir}`, { cause });
  }
  const documents: JsonValue[] = [];
  for (const name of names) {
    try {
      documents.push(JSON.parse(await readFile(join(dir, name), 'utf8')) as JsonValue);
    } catch (cause) {
      throw new QueryApiError('INVALID_ARGUMENT', `policy ${name} is not readable JSON`, { cause });
    }
  }
  return documents;
}
