import type { Command } from 'commander';
import { topicNames } from '@lineage/kafka';
import { nodeEd25519 } from '@lineage/keys';
import { Witness, ledgerLogKeys, serveWitness } from '@lineage/witness';
import { CliExit } from '../errors.js';
import { list, loadKey, loadTrust } from './options.js';

interface ServeFlags {
  key: string;
  name: string;
  trust: string;
  ledger?: string;
  topicPrefix: string;
  stateDir: string;
  host: string;
  port: string;
}

/** `lineage witness serve`: a c2sp.org/tlog-witness witness of the ledger's partition logs. */
export function registerWitness(program: Command): void {
  program
    .command('witness')
    .description('an independent witness that cosigns consistent checkpoints')
    .command('serve')
    .description('serve add-checkpoint (c2sp.org/tlog-witness) until interrupted')
    .requiredOption('--key <file>', 'the witness private key (its trust-store role: witness)')
    .requiredOption('--name <name>', 'the cosigner key name, e.g. witness.example.org/w1')
    .requiredOption('--trust <file>', 'trust store holding the ledger governance keys')
    .option('--ledger <topics>', 'attestations topics to witness (comma-separated)')
    .option('--topic-prefix <prefix>', 'topic prefix of the default ledger', '')
    .option('--state-dir <dir>', 'where cosigned sizes are persisted', '.lineage/witness')
    .option('--host <host>', 'listen address', '127.0.0.1')
    .option('--port <port>', 'listen port', '7380')
    .action((flags: ServeFlags) => serve(flags));
}

async function serve(flags: ServeFlags): Promise<void> {
  const port = Number(flags.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new CliExit('USAGE', '--port must be 0-65535');
  const key = await loadKey(flags.key);
  const trust = await loadTrust(flags.trust);
  const ledgers = flags.ledger ? list(flags.ledger) : [topicNames(flags.topicPrefix).attestations];
  let witness: Witness;
  try {
    witness = new Witness({
      name: flags.name,
      key,
      logKeys: ledgerLogKeys(trust, ledgers),
      ed25519: nodeEd25519(),
      stateDir: flags.stateDir,
    });
    await witness.open();
  } catch (error) {
    throw new CliExit('USAGE', (error as Error).message);
  }
  const served = await serveWitness(witness, { host: flags.host, port });
  console.log(
    `witness ${flags.name} (key ${key.keyid}) serving ${served.url} for ${ledgers.join(', ')}`,
  );
  await new Promise<void>((resolve) => {
    const stop = () => void served.close().then(resolve);
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
}
