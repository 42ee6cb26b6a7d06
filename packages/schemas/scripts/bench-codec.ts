// Ad-hoc throughput of intentCodec on a ~2 KB intent with two parent attestations:
//   npx tsx packages/schemas/scripts/bench-codec.ts
import { intentCodec } from '../src/index.js';
import type { EnvelopeRecord, IntentRecord } from '../src/index.js';

const envelope = (payloadBytes: number, keyid: string): EnvelopeRecord => ({
  payload_type: 'application/vnd.in-toto+json',
  payload: Buffer.alloc(payloadBytes, 0x7b),
  signatures: [{ keyid, sig: Buffer.alloc(64, 0xab) }],
});
const intent: IntentRecord = {
  execution_id: '0190f4d2-7c1e-7a3b-8f00-00000000c0de',
  envelope: {
    ...envelope(700, 'agent-2025-01'),
    payload_type: 'application/vnd.lineage.intent.v1+json',
  },
  parent_attestations: [envelope(500, 'governance-2025-01'), envelope(500, 'governance-2025-01')],
};
const bytes = intentCodec.encode(intent);

function measure(label: string, run: () => void): void {
  for (let i = 0; i < 20_000; i++) run(); // warm up
  const n = 200_000;
  const started = process.hrtime.bigint();
  for (let i = 0; i < n; i++) run();
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  console.log(`${label.padEnd(16)} ${Math.round(n / seconds).toLocaleString('en-US')} /s`);
}

console.log(`intent record: ${bytes.length} bytes`);
measure('encode', () => intentCodec.encode(intent));
measure('decode', () => intentCodec.decode(bytes));
measure('encode+decode', () => intentCodec.decode(intentCodec.encode(intent)));
