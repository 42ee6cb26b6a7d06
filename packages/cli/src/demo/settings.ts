import { randomBytes } from 'node:crypto';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeKeyFile, writeTrustStore } from '@lineage/keys';
import { loadSettings } from '@lineage/runtime';
import type { Settings } from '@lineage/runtime';
import { releaseCurrentRuntime } from '../commands/runtime.js';
import { CHECKPOINT_EVERY, CHECKPOINT_INTERVAL_MS, OUT, PARTITIONS } from './scenario.js';
import type { DemoWorld } from './world.js';

/** The settings file the demo runs its stack from; `lineage serve --config` runs the same stack. */
export const SETTINGS_FILE = join(OUT, 'lineage.json');

/**
 * Writes the demo's world as `lineage serve` reads it: the governance key (and the agents'), the
 * trust store, the policy, a token pepper, the signed release of this runtime, and {@link SETTINGS_FILE} naming them with the run's broker, database,
 * topics, schema and groups. Every port is 0 (any free one): a `lineage serve` already running on
 * the default ports is left alone.
 */
export async function writeDemoSettings(world: DemoWorld): Promise<string> {
  const file = (name: string) => join(OUT, name);
  // Each run has topics of its own: the previous run's state store describes none of them.
  await rm(file('governance'), { recursive: true, force: true });
  await mkdir(file('policies'), { recursive: true });
  await writeKeyFile(file('keys/governance.key'), world.keys.governance);
  // The agents' keys too: they can publish to the stack `lineage serve --config` runs later.
  for (const [name, pair] of Object.entries(world.keys.agents))
    await writeKeyFile(file(`keys/${name}.key`), pair);
  await writeTrustStore(file('truststore.json'), world.trustDocument);
  await writeFile(file('policies/demo.json'), JSON.stringify(world.policy.document, null, 2));
  await writeFile(file('token-pepper'), randomBytes(32).toString('hex'), { mode: 0o600 });
  // The release manager vouches for this checkout's runtime from the start, so the query API's
  // bundles (the console's "Verify here") say runtime_verified: true.
  const release = await releaseCurrentRuntime(world.keys.release.signer);
  await writeFile(file('release.json'), JSON.stringify(release, null, 2) + '\n');
  const settings = {
    kafka: {
      brokers: world.broker.brokers.join(','),
      topicPrefix: `demo.${world.run}.`,
      partitions: PARTITIONS,
    },
    postgres: { url: world.dbUrl, schema: world.schema },
    keys: { governanceKey: file('keys/governance.key'), trustStore: file('truststore.json') },
    governance: {
      group: `demo.${world.run}.governance`,
      policy: file('policies/demo.json'),
      stateDir: file('governance'),
      statsIntervalSeconds: 0,
      port: 0,
    },
    projector: { group: `demo.${world.run}.projector`, port: 0 },
    checkpointer: {
      every: CHECKPOINT_EVERY,
      intervalSeconds: CHECKPOINT_INTERVAL_MS / 1000,
      port: 0,
    },
    api: {
      port: 0,
      policies: file('policies'),
      tokenPepperFile: file('token-pepper'),
      releases: [file('release.json')],
    },
    ops: { host: '127.0.0.1' },
  };
  // It may name a database password: readable by its owner only.
  await writeFile(SETTINGS_FILE, JSON.stringify(settings, null, 2) + '\n', { mode: 0o600 });
  return SETTINGS_FILE;
}

/**
 * The demo's settings, read back from its file as `lineage serve --config` reads them (so the file
 * is checked), with `witness` as the checkpointer's witness (`LINEAGE_WITNESSES`) and no other
 * environment override: the demo runs what its file says.
 * @throws RuntimeError CONFIG_INVALID if the file holds a refused value.
 */
export function demoSettings(file: string, witness: string): Settings {
  return loadSettings({ file, env: { LINEAGE_WITNESSES: witness } });
}
