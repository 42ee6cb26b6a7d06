import type { Command } from 'commander';
import {
  BundleError,
  ProtocolError,
  fromDsse,
  isBundle,
  knownRuntimeHashes,
  nobleEd25519,
  verifyAttestation,
  verifyBundle,
  verifyRelease,
} from '@lineage/protocol';
import type { TrustStore } from '@lineage/protocol';
import { readTrustStore } from '@lineage/keys';
import { CliExit } from '../errors.js';
import { readPins, readText, repeated } from './options.js';

async function readJson(path: string): Promise<unknown> {
  const text = await readText(path);
  try {
    return JSON.parse(text);
  } catch {
    throw new CliExit('INVALID', `ENVELOPE_MALFORMED: ${path} is not JSON`);
  }
}

/**
 * Verifies an envelope or a bundle with the pure verifier (noble Ed25519: no node crypto, exactly
 * what a browser or an auditor's tool runs). Prints `valid …` or `invalid <CODE> …`, and
 * `runtime_verified: true|false`: whether a signed release (the bundle's, or `releasePath`) vouches
 * for the runtime that decided. An unknown runtime is reported, not invalid. For a bundle, also
 * `included: true|false`: whether every attestation carries a Merkle inclusion proof against a
 * signed checkpoint of its ledger partition (a bundle without proofs is valid, not included), and
 * with `pinPaths` (checkpoint notes the auditor pinned) `pinned: <partitions>`: those whose pin
 * the bundle's checkpoints were proven consistent with (CONSISTENCY_PROOF_INVALID otherwise).
 */
export async function verifyFile(
  path: string,
  trustPath: string | undefined,
  releasePath?: string,
  pinPaths: readonly string[] = [],
): Promise<string> {
  const pins = (await readPins(pinPaths)).map((p) => p.note);
  const value = await readJson(path);
  const release = releasePath === undefined ? undefined : await readJson(releasePath);
  let trust: TrustStore | undefined;
  if (trustPath) {
    try {
      trust = await readTrustStore(trustPath);
    } catch (e) {
      throw new CliExit('USAGE', `trust store ${trustPath}: ${(e as Error).message}`);
    }
  }
  try {
    if (isBundle(value)) {
      // A release given beside the bundle is checked exactly like one bundled in it.
      const withRelease =
        release === undefined
          ? value
          : {
              ...(value as object),
              releases: [...((value as { releases?: unknown[] }).releases ?? []), release],
            };
      const { target, attestations, runtimeVerified, included, pinned } = verifyBundle(
        withRelease,
        { ed25519: nobleEd25519, trust, pins },
      );
      const p = target.predicate;
      const keys = trust
        ? 'keys pinned by the trust store'
        : 'keys taken from the bundle itself (pass --trust to pin them)';
      const proven = attestations.filter((a) => a.included).length;
      return `valid bundle: execution ${p.execution_id} ${p.kind} ${p.decision} (${p.reasons.join(', ')}); ${attestations.length} attestations, every ancestor present and allowed, policies match; ${keys}; runtime_verified: ${runtimeVerified}; included: ${included} (${proven}/${attestations.length} proven in signed checkpoints)${pins.length > 0 ? `; pinned: ${pinned.length} of ${pins.length} pins consistent (partitions ${pinned.join(', ') || 'none'})` : ''}`;
    }
    if (!trust)
      throw new CliExit('USAGE', 'verifying a single envelope needs --trust <truststore.json>');
    // The release, when given, must be signed by a trusted release key.
    const knownRuntimes =
      release === undefined
        ? undefined
        : knownRuntimeHashes([verifyRelease(fromDsse(release), { trust, ed25519: nobleEd25519 })]);
    const v = verifyAttestation(fromDsse(value), { trust, ed25519: nobleEd25519, knownRuntimes });
    const p = v.predicate;
    return `valid: execution ${p.execution_id} ${p.kind} ${p.decision} (${p.reasons.join(', ')}) policy ${p.policy.id}@${p.policy.version} signed by ${v.signer.name ?? v.signer.keyid} at ${p.issued_at}; runtime_verified: ${v.runtimeVerified}`;
  } catch (e) {
    if (e instanceof BundleError)
      throw new CliExit(
        'INVALID',
        `invalid ${e.code}${e.executionId ? ` execution ${e.executionId}` : ''}: ${e.message}`,
      );
    if (e instanceof ProtocolError) throw new CliExit('INVALID', `invalid ${e.code}: ${e.message}`);
    throw e;
  }
}

/** `lineage verify <file> [--trust <truststore.json>]`: exit 0 valid, 1 invalid, 2 usage or I/O. */
export function registerVerify(program: Command): void {
  program
    .command('verify <file>')
    .description('verify an attestation envelope or an evidence bundle offline')
    .option('--trust <truststore>', 'trust store JSON (required for a single envelope)')
    .option('--release <file>', 'a signed release manifest vouching for governance runtimes')
    .option(
      '--pin <checkpoint>',
      'a checkpoint note you hold (repeatable): the bundle must prove its checkpoints of that partition consistent with it',
      repeated,
      [],
    )
    .action(async (file: string, opts: { trust?: string; release?: string; pin: string[] }) => {
      console.log(await verifyFile(file, opts.trust, opts.release, opts.pin));
    });
}
