import { readFile } from 'node:fs/promises';
import {
  fromDsse,
  parseRelease,
  ProtocolError,
  RELEASE_PAYLOAD_TYPE,
  toDsse,
} from '@lineage/protocol';
import type { DsseEnvelope } from '@lineage/protocol';
import { QueryApiError } from './errors.js';

/**
 * Reads signed release manifests (DSSE JSON files, as `signRelease` produces them): what bundles
 * embed as `releases`. Each file must hold one envelope of the release payload type whose payload
 * is a well-formed release; the signature is checked by whoever verifies the bundle.
 * @throws QueryApiError INVALID_ARGUMENT when a file cannot be read, is not JSON, or is not a release.
 */
export async function readReleases(paths: readonly string[]): Promise<DsseEnvelope[]> {
  const releases: DsseEnvelope[] = [];
  for (const path of paths) {
    let value: unknown;
    try {
      value = JSON.parse(await readFile(path, 'utf8'));
    } catch (cause) {
      throw new QueryApiError('INVALID_ARGUMENT', `release ${path} is not readable JSON`, {
        cause,
      });
    }
    try {
      // The file must be a DSSE envelope of a release, with a payload that parses as one.
      const envelope = fromDsse(value);
      if (envelope.payload_type !== RELEASE_PAYLOAD_TYPE)
        throw new QueryApiError(
          'INVALID_ARGUMENT',
          `release ${path} has payload type ${envelope.payload_type}`,
        );
      parseRelease(envelope.payload);
      releases.push(toDsse(envelope));
    } catch (cause) {
      if (cause instanceof QueryApiError) throw cause;
      if (!(cause instanceof ProtocolError)) throw cause;
      throw new QueryApiError('INVALID_ARGUMENT', `release ${path}: ${cause.message}`, { cause });
    }
  }
  return releases;
}
