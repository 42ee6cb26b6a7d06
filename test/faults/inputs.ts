import type { RawEnvelope, Signer } from '@lineage/protocol';
import { encodeIntent, intent, signBody } from '../kit/intents.js';

/** The decision attestation expected for an id. */
export interface Decided {
  decision: 'allow' | 'deny';
  reasons: string[];
}

/** One intent record as published, and what it must become. */
export interface Input {
  key: string;
  value: Buffer;
  /** The `decision` attestation expected for its id, or one of the other outcomes. */
  expect: Decided | 'dead-letter' | 'replay' | 'redelivery';
}

/** How many intents of each kind a run of `total` intents publishes. */
export interface InputMix {
  roots: number;
  deniedRoots: number;
  children: number;
  /** Of each of the five hostile kinds (denied parent, forged signature, junk, replay, redelivery). */
  bad: number;
}

const ALLOW: Decided = { decision: 'allow', reasons: ['rule:agents-read'] };
const deny = (...reasons: string[]): Decided => ({ decision: 'deny', reasons });

/**
 * The mix of the original 3,000-intent fault test, scaled to `total`: 5 % roots (one in fifteen of
 * them denied by policy), 1 % of each hostile kind, the rest children of allowed roots.
 */
export function inputMix(total: number): InputMix {
  const roots = Math.max(30, Math.round(total * 0.05));
  const deniedRoots = Math.max(2, Math.round(roots / 15));
  const bad = Math.max(2, Math.round(total * 0.01));
  const children = total - roots - 5 * bad;
  if (children < 1 || roots < deniedRoots + 2 * bad)
    throw new Error(`${total} intents are too few for the input mix`);
  return { roots, deniedRoots, children, bad };
}

/** Root intents: the first `deniedRoots` are refused by the test policy, the others allowed. */
export function rootInputs(
  mix: InputMix,
  signer: (i: number) => Signer,
): { inputs: Input[]; roots: ReturnType<typeof intent>[] } {
  const roots = Array.from({ length: mix.roots }, (_, i) =>
    i < mix.deniedRoots
      ? intent(signer(i), { action: 'delete.rows', resource: `prod/table-${i}` })
      : intent(signer(i), { action: 'plan.batch', resource: `batch/${i}` }),
  );
  const inputs = roots.map((r, i) => ({
    key: r.body.execution_id,
    value: encodeIntent(r.body.execution_id, r.envelope),
    expect: i < mix.deniedRoots ? deny('POLICY_DENIED', 'rule:no-prod-delete') : ALLOW,
  }));
  return { inputs, roots };
}

/**
 * The stream after the roots: children with one or two allowed parents, with the hostile and
 * repeated inputs spread evenly through it. `attestationOf` maps a root id to its attestation.
 */
export function streamInputs(
  mix: InputMix,
  roots: readonly ReturnType<typeof intent>[],
  attestationOf: ReadonlyMap<string, RawEnvelope>,
  signer: (i: number) => Signer,
): Input[] {
  const allowedRoots = roots.slice(mix.deniedRoots).map((r) => r.body.execution_id);
  const deniedRoots = roots.slice(0, mix.deniedRoots).map((r) => r.body.execution_id);
  const child = (i: number, parentIds: string[]) =>
    intent(signer(i), {
      action: 'read.item',
      resource: `item/${i}`,
      parents: parentIds.map((id) => attestationOf.get(id)!),
    });
  const stream: Input[] = [];
  for (let i = 0; i < mix.children; i++) {
    const parents = [allowedRoots[i % allowedRoots.length]!];
    if (i % 3 === 0) parents.push(allowedRoots[(i * 7 + 1) % allowedRoots.length]!);
    const c = child(i, parents);
    stream.push({
      key: c.body.execution_id,
      value: encodeIntent(c.body.execution_id, c.envelope, c.parents),
      expect: ALLOW,
    });
  }
  const hostile: Input[] = [];
  for (let i = 0; i < mix.bad; i++) {
    // A parent that was denied.
    const d = child(mix.children + i, [deniedRoots[i % deniedRoots.length]!]);
    hostile.push({
      key: d.body.execution_id,
      value: encodeIntent(d.body.execution_id, d.envelope, d.parents),
      expect: deny('PARENT_NOT_ALLOWED'),
    });
    // An agent signature with one bit flipped.
    const s = child(mix.children + mix.bad + i, [allowedRoots[i % allowedRoots.length]!]);
    const sig = Uint8Array.from(s.envelope.signatures[0]!.sig);
    sig[7]! ^= 0x01;
    const forged: RawEnvelope = {
      ...s.envelope,
      signatures: [{ keyid: s.envelope.signatures[0]!.keyid, sig }],
    };
    hostile.push({
      key: s.body.execution_id,
      value: encodeIntent(s.body.execution_id, forged, s.parents),
      expect: deny('AGENT_SIGNATURE_INVALID'),
    });
    // Bytes that are not an intent record at all.
    hostile.push({
      key: `junk-${i}`,
      value: Buffer.from(`not avro ${i} \u0000\u00ff`),
      expect: 'dead-letter',
    });
    // A different intent under an id already decided: a replay.
    const target = roots[mix.deniedRoots + i]!;
    hostile.push({
      key: target.body.execution_id,
      value: encodeIntent(
        target.body.execution_id,
        signBody(signer(mix.deniedRoots + i), { ...target.body, resource: `replayed/${i}` }),
      ),
      expect: 'replay',
    });
    // The identical record again: a redelivery, answered by the attestation already on the ledger.
    const again = roots[mix.deniedRoots + mix.bad + i]!;
    hostile.push({
      key: again.body.execution_id,
      value: encodeIntent(again.body.execution_id, again.envelope),
      expect: 'redelivery',
    });
  }
  hostile.forEach((h, i) =>
    stream.splice(Math.floor(((i + 1) * stream.length) / (hostile.length + 1)), 0, h),
  );
  return stream;
}
