// The infra CLI: `pnpm kafka start|run|stop|status` and `tsx infra/src/main.ts db ensure [name]`.
// Errors print one line to stderr and exit 2.
import { InfraError } from './errors.js';
import { kafkaStatus, startKafka, stopKafka } from './kafka.js';
import type { KafkaHandle } from './kafka.js';
import { isAlive } from './pid.js';
import { databaseUrl, ensureDatabase, redactUrl } from './postgres.js';

const USAGE = `usage: kafka start | kafka run | kafka stop | kafka status | db ensure [name]

  kafka start    start the local broker in the background (or reuse it); prints its brokers
  kafka run      start it in the foreground; Ctrl-C stops it
  kafka stop     stop the broker recorded in .lineage/kafka/broker.pid
  kafka status   exit 0 when Kafka answers, 1 when it does not
  db ensure      create database [name] (default lineage) unless it exists; DATABASE_URL overrides

environment: KAFKA_PORT (9092), KAFKA_CONTROLLER_PORT (9093), KAFKA_BROKERS (use your own cluster),
             KAFKA_HEAP_OPTS (-Xmx1G), JAVA_HOME, DATABASE_URL`;

type Command = (args: string[]) => Promise<number>;

const commands: Record<string, Command> = {
  'kafka start': async () => {
    const kafka = await startKafka();
    note(`kafka: ${describe(kafka)}`);
    process.stdout.write(`${kafka.brokers.join(',')}\n`);
    return 0;
  },
  'kafka run': async () => {
    const kafka = await startKafka();
    if (!kafka.owned) {
      const hint = kafka.pid === undefined ? '' : '; stop it with `pnpm kafka stop`';
      note(`kafka: ${describe(kafka)}${hint}`);
      return 0;
    }
    note(
      `kafka: running at ${kafka.brokers.join(',')}${pidNote(kafka.pid)}, logs in .lineage/kafka/broker.log; Ctrl-C stops it`,
    );
    return new Promise<number>((resolve) => {
      const watch = setInterval(() => {
        if (kafka.pid !== undefined && !isAlive(kafka.pid))
          finish(1, 'kafka: the broker exited on its own; see .lineage/kafka/broker.log');
      }, 1_000);
      let finished = false;
      const finish = (code: number, message: string) => {
        if (finished) return;
        finished = true;
        clearInterval(watch);
        note(message);
        kafka.stop().then(
          () => resolve(code),
          (error: unknown) => {
            note(`error: ${oneLine(error)}`);
            resolve(2);
          },
        );
      };
      const onSignal = (signal: NodeJS.Signals) =>
        finish(0, `kafka: ${signal}, stopping the broker`);
      process.once('SIGINT', onSignal);
      process.once('SIGTERM', onSignal);
    });
  },
  'kafka stop': async () => {
    const pid = await stopKafka();
    note(pid === undefined ? 'kafka: not running' : `kafka: stopped (pid ${pid})`);
    return 0;
  },
  'kafka status': async () => {
    const status = await kafkaStatus();
    const state = status.answering
      ? 'answering'
      : status.pid === undefined
        ? 'not running'
        : 'running, not answering';
    const where = status.mode === 'external' ? 'KAFKA_BROKERS ' : '';
    process.stdout.write(
      `kafka: ${state} at ${where}${status.brokers.join(',')}${pidNote(status.pid)}\n`,
    );
    return status.answering ? 0 : 1;
  },
  'db ensure': async ([name]) => {
    const url = databaseUrl(name);
    await ensureDatabase(url);
    note(`db: ready at ${redactUrl(url)}`);
    return 0;
  },
};

function describe(kafka: KafkaHandle): string {
  const where = kafka.brokers.join(',');
  if (kafka.owned) return `started at ${where}${pidNote(kafka.pid)}`;
  if (kafka.pid === undefined) return `using KAFKA_BROKERS=${where}; nothing started`;
  return `already running at ${where}${pidNote(kafka.pid)}`;
}

function pidNote(pid: number | undefined): string {
  return pid === undefined ? '' : ` (pid ${pid})`;
}

function note(line: string): void {
  process.stderr.write(`${line}\n`);
}

function oneLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split('\n')[0] ?? message;
}

async function main(argv: string[]): Promise<number> {
  const [group, verb, ...rest] = argv;
  const command = commands[`${group ?? ''} ${verb ?? ''}`];
  if (command === undefined) {
    const help =
      group === undefined || ['-h', '--help', 'help'].includes(group) || verb === '--help';
    if (help) process.stdout.write(`${USAGE}\n`);
    else note(`error: unknown command \`${argv.join(' ')}\`; try --help`);
    return help ? 0 : 2;
  }
  if (rest.length > (group === 'db' ? 1 : 0))
    throw new InfraError('USAGE', `too many arguments for \`${group} ${verb}\`; try --help`);
  return command(rest);
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    note(`error: ${oneLine(error)}`);
    process.exit(2);
  },
);
