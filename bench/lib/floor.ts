import { performance } from 'node:perf_hooks';
import { generateKeyPair, nodeEd25519 } from '@lineage/keys';
import { pae } from '@lineage/protocol';
import { intentCodec } from '@lineage/schemas';
import { cpuMeter } from './cpu.js';
import type { BenchRecord } from './publish.js';

/** The Ed25519 floor: what one core does when it only verifies and signs. */
export interface Floor {
  /** Intents per second: one verify of the agent's signature and one sign, per intent. */
  perSecond: number;
  verifyUs: number;
  signUs: number;
  /** CPU time of one verify + one sign, µs: what a core gives it, whatever else runs. */
  cpuUs: number;
}

/**
 * Times node:crypto Ed25519 on one thread, synchronously, over the benchmark's own records: verify
 * each intent's agent signature (under `agentPublicKey`) over its DSSE PAE (the bytes governance verifies) and sign a
 * message of `signBytes` (an attestation's payload size), for at least `ms` of each.
 * @throws Error when a record's signature does not verify (the workload is broken).
 */
export function measureFloor(
  records: readonly BenchRecord[],
  agentPublicKey: Uint8Array,
  signBytes: number,
  ms = 1500,
): Floor {
  const ed = nodeEd25519();
  const checks = records.map((r) => {
    const { envelope } = intentCodec.decode(Buffer.from(r.value));
    return {
      sig: envelope.signatures[0]!.sig,
      message: pae(envelope.payload_type, envelope.payload),
    };
  });
  const verify = timeEach(ms, (i) => {
    const c = checks[i % checks.length]!;
    if (!ed.verify(c.sig, c.message, agentPublicKey))
      throw new Error('a bench intent does not verify');
  });
  const signer = generateKeyPair().signer;
  const message = new Uint8Array(signBytes).fill(0x7b);
  const sign = timeEach(ms, (i) => {
    message[i % signBytes] = i & 0xff;
    signer.sign(message);
  });
  return {
    perSecond: 1e6 / (verify.us + sign.us),
    verifyUs: verify.us,
    signUs: sign.us,
    cpuUs: verify.cpuUs + sign.cpuUs,
  };
}

// Mean wall-clock and CPU microseconds per call of `work`, over at least `ms` of calls.
function timeEach(ms: number, work: (i: number) => void): { us: number; cpuUs: number } {
  for (let i = 0; i < 200; i++) work(i);
  const meter = cpuMeter();
  const start = performance.now();
  let n = 0;
  while (performance.now() - start < ms) for (let k = 0; k < 100; k++) work(n++);
  return { us: ((performance.now() - start) * 1000) / n, cpuUs: (meter().mainMs * 1000) / n };
}
