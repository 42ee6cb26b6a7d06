import { beforeAll, describe, expect, it } from 'vitest';
import {
  LOG_AUDIT_CODES,
  attestationDigest,
  auditLog,
  checkpointKeyName,
  checkpointOrigin,
  formatCheckpoint,
  merkleRoot,
  signCheckpoint,
} from '../index.js';
import type {
  CheckpointRecord,
  LedgerRecord,
  LogAuditCode,
  LogAuditContext,
  LogAuditInput,
  RawEnvelope,
} from '../index.js';
import {
  makeAttestation,
  nodeEd25519Verifier,
  testKey,
  trustStoreOf,
  trustedKey,
} from '@lineage/testkit';
import type { TestKey } from '@lineage/testkit';

const TOPIC = 'lineage.attestations.v1';

let governance: TestKey;
let agent: TestKey;
let ctx: LogAuditContext;
/** Partition 0: five chained attestations; partition 1: two. */
let chains: RawEnvelope[][];

function chain(partition: number, length: number): RawEnvelope[] {
  const out: RawEnvelope[] = [];
  for (let sequence = 0; sequence < length; sequence++) {
    const prev = out.length === 0 ? null : attestationDigest(out[out.length - 1]!);
    out.push(
      makeAttestation({ governance, agent, predicate: { partition, sequence, prev } }).envelope,
    );
  }
  return out;
}

const records = (envelopes: (RawEnvelope | null)[]): LedgerRecord[] =>
  envelopes.map((envelope, i) => ({ offset: String(i), envelope }));

/** A checkpoint note of partition `p` over the first `size` records of `envelopes`. */
function note(
  p: number,
  envelopes: RawEnvelope[],
  size: number,
  key: TestKey = governance,
): string {
  const body = formatCheckpoint({
    origin: checkpointOrigin(TOPIC, p),
    size,
    root: merkleRoot(envelopes.slice(0, size).map((e) => e.payload)),
  });
  return signCheckpoint(body, checkpointKeyName(key.keyid), key.signer, key.publicKey);
}

function input(
  p0: (RawEnvelope | null)[],
  notes: { key: string; note: string }[] = [],
): LogAuditInput {
  return {
    attestationsTopic: TOPIC,
    partitions: [
      { partition: 0, records: records(p0) },
      { partition: 1, records: records(chains[1]!) },
    ],
    checkpoints: notes.map((n, i): CheckpointRecord => ({ offset: String(i), ...n })),
  };
}

/** Checkpoints of the untouched ledger: partition 0 at 2 and 5, partition 1 at 2. */
function goodNotes(): { key: string; note: string }[] {
  return [
    { key: '0', note: note(0, chains[0]!, 2) },
    { key: '1', note: note(1, chains[1]!, 2) },
    { key: '0', note: note(0, chains[0]!, 5) },
  ];
}

function expectProblem(
  result: ReturnType<typeof auditLog>,
  code: LogAuditCode,
  partition: number,
  offset: string,
): void {
  expect(result.ok).toBe(false);
  if (result.ok) return;
  expect({ code: result.code, partition: result.partition, offset: result.offset }).toEqual({
    code,
    partition,
    offset,
  });
}

beforeAll(() => {
  governance = testKey();
  agent = testKey();
  ctx = {
    trust: trustStoreOf(trustedKey(governance, ['governance']), trustedKey(agent, ['agent'])),
    ed25519: nodeEd25519Verifier(),
  };
  chains = [chain(0, 5), chain(1, 2)];
});

describe('auditLog', () => {
  it('passes an untouched ledger with its checkpoints and reports the sizes', () => {
    const result = auditLog(input(chains[0]!, goodNotes()), ctx);
    expect(result).toEqual({
      ok: true,
      attestations: 7,
      checkpoints: 3,
      partitions: [
        { partition: 0, size: 5, checkpoints: 2, checkpointed: 5 },
        { partition: 1, size: 2, checkpoints: 1, checkpointed: 2 },
      ],
    });
  });

  it('RECORD_ALTERED: a changed payload byte, or bytes that do not decode', () => {
    const [a, b, c, d, e] = chains[0]!;
    const payload = b!.payload.slice();
    payload[40] = payload[40]! ^ 1;
    expectProblem(
      auditLog(input([a!, { ...b!, payload }, c!, d!, e!]), ctx),
      'RECORD_ALTERED',
      0,
      '1',
    );
    expectProblem(auditLog(input([a!, b!, null, d!, e!]), ctx), 'RECORD_ALTERED', 0, '2');
  });

  it('RECORD_DELETED: a sequence that never comes', () => {
    const [a, b, , d, e] = chains[0]!;
    const result = auditLog(input([a!, b!, d!, e!]), ctx);
    expectProblem(result, 'RECORD_DELETED', 0, '2');
    expect(!result.ok && result.sequence).toBe(2);
  });

  it('RECORD_INSERTED: a record of another partition, or a forked sequence', () => {
    const [a, b, c, d, e] = chains[0]!;
    expectProblem(
      auditLog(input([a!, b!, chains[1]![0]!, c!, d!, e!]), ctx),
      'RECORD_INSERTED',
      0,
      '2',
    );
    const fork = makeAttestation({
      governance,
      agent,
      predicate: { partition: 0, sequence: 1, prev: attestationDigest(a!) },
    }).envelope;
    expectProblem(auditLog(input([a!, b!, fork, c!, d!, e!]), ctx), 'RECORD_INSERTED', 0, '2');
  });

  it('RECORD_DUPLICATED: the same record twice', () => {
    const [a, b, c, d, e] = chains[0]!;
    expectProblem(auditLog(input([a!, b!, c!, c!, d!, e!]), ctx), 'RECORD_DUPLICATED', 0, '3');
  });

  it('RECORD_REORDERED: two records swapped', () => {
    const [a, b, c, d, e] = chains[0]!;
    expectProblem(auditLog(input([a!, c!, b!, d!, e!]), ctx), 'RECORD_REORDERED', 0, '1');
  });

  it('CHAIN_BROKEN: a record whose prev is not the record before it', () => {
    const [a, b] = chains[0]!;
    const wrong = makeAttestation({
      governance,
      agent,
      predicate: { partition: 0, sequence: 2, prev: attestationDigest(a!) },
    }).envelope;
    expectProblem(auditLog(input([a!, b!, wrong]), ctx), 'CHAIN_BROKEN', 0, '2');
  });

  it('CHECKPOINT_SIGNATURE_INVALID: altered root, untrusted signer, other origin, bad key', () => {
    const notes = goodNotes();
    const altered = notes[2]!.note.replace(/\n(\d+)\n/, (_, n: string) => `\n${Number(n) - 1}\n`);
    expectProblem(
      auditLog(input(chains[0]!, [notes[0]!, notes[1]!, { key: '0', note: altered }]), ctx),
      'CHECKPOINT_SIGNATURE_INVALID',
      0,
      '2',
    );
    const stranger = note(0, chains[0]!, 5, testKey());
    expectProblem(
      auditLog(input(chains[0]!, [notes[0]!, { key: '0', note: stranger }]), ctx),
      'CHECKPOINT_SIGNATURE_INVALID',
      0,
      '1',
    );
    // Partition 1's checkpoint re-keyed to partition 0: its origin names partition 1.
    expectProblem(
      auditLog(input(chains[0]!, [{ key: '0', note: notes[1]!.note }]), ctx),
      'CHECKPOINT_SIGNATURE_INVALID',
      0,
      '0',
    );
    expectProblem(
      auditLog(input(chains[0]!, [{ key: 'x', note: notes[0]!.note }]), ctx),
      'CHECKPOINT_SIGNATURE_INVALID',
      -1,
      '0',
    );
  });

  it('CHECKPOINT_INCONSISTENT: a later checkpoint that does not extend the earlier one', () => {
    // The same signer signs size 2 of the ledger, then size 5 of another history (a split view).
    const forked = [
      { key: '0', note: note(0, chains[0]!, 2) },
      { key: '0', note: note(0, chain(0, 5), 5) },
    ];
    expectProblem(auditLog(input(chains[0]!, forked), ctx), 'CHECKPOINT_INCONSISTENT', 0, '1');
  });

  it('CHECKPOINT_ROOT_MISMATCH: the first checkpoint signs a tree the ledger does not have', () => {
    expectProblem(
      auditLog(input(chains[0]!, [{ key: '0', note: note(0, chain(0, 3), 3) }]), ctx),
      'CHECKPOINT_ROOT_MISMATCH',
      0,
      '0',
    );
  });

  it('LEDGER_TRUNCATED: a partition shorter than its signed checkpoint', () => {
    const result = auditLog(input(chains[0]!.slice(0, 3), goodNotes()), ctx);
    expectProblem(result, 'LEDGER_TRUNCATED', 0, '3');
    expect(!result.ok && result.topic).toBe('attestations');
  });

  it('lists every code it can return', () => {
    expect(LOG_AUDIT_CODES).toHaveLength(10);
  });
});
