// A witness in its own process for crash tests: `node --import tsx test/kit/witness-process.ts`
// with LINEAGE_TEST_WITNESS = JSON {stateDir, seed (hex), name, origin, logKey (base64),
// killOnPersist (the n-th persisted state after which it SIGKILLs itself, before answering)}.
// It prints `listening <url>` once it serves.
import { fromBase64, nobleEd25519 } from '@lineage/protocol';
import { testKey } from '@lineage/testkit';
import { Witness, serveWitness } from '@lineage/witness';

const config = JSON.parse(process.env.LINEAGE_TEST_WITNESS ?? '{}') as {
  stateDir: string;
  seed: string;
  name: string;
  origin: string;
  logKey: string;
  killOnPersist: number | null;
};
const key = testKey(new Uint8Array(Buffer.from(config.seed, 'hex')));
let persisted = 0;
const witness = new Witness({
  name: config.name,
  key,
  logKeys: (origin) => (origin === config.origin ? [fromBase64(config.logKey)] : null),
  ed25519: nobleEd25519,
  stateDir: config.stateDir,
  onPersisted: () => {
    // The state is durable; the answer has not been written yet.
    if (++persisted === config.killOnPersist) process.kill(process.pid, 'SIGKILL');
  },
});
await witness.open();
const served = await serveWitness(witness);
console.log(`listening ${served.url}`);
