// The infra CLI: `pnpm kafka start|run|stop|status`, `pnpm kafka cluster start|stop|status|kill <id>|restart <id>`
// and `tsx infra/src/main.ts db ensure [name]`. Errors print one line to stderr and exit 2.
import { kafkaClusterStatus, openKafkaCluster, startKafkaCluster } from './cluster.js';
import { InfraError } from './errors.js';
import { kafkaStatus, startKafka, stopKafka } from './kafka.js';
import type { KafkaHandle } from './kafka.js';
import { isAlive } from './pid.js';
import { databaseUrl, ensureDatabase, redactUrl } from '@lineage/runtime';

const USAGE = `usage: kafka start | kafka run | kafka stop | kafka status
       kafka cluster start | kafka cluster stop | kafka cluster status
       kafka cluster kill <id> | kafka cluster restart <id> | db ensure [name]

  kafka start             start the local broker in the background (or reuse it); prints its brokers
  kafka run               start it in the foreground; Ctrl-C stops it
  kafka stop              stop the broker recorded in .lineage/kafka/broker.pid
  kafka status            exit 0 when Kafka answers, 1 when it does not
  kafka cluster start     start the 3-node KRaft cluster in the background (or reuse it); prints its brokers
  kafka cluster stop      stop every node of the cluster
  kafka cluster status    one line per node; exit 0 when every node answers, 1 when not
  kafka cluster kill      SIGKILL node <id> (0, 1 or 2): no clean shutdown
  kafka cluster restart   stop node <id> if it runs, start it again, wait until it answers
  db ensure               create database [name] (default lineage) unless it exists; DATABASE_URL overrides

cluster ports: node i serves clients on KAFKA_CLUSTER_PORT+i (19092+i) and its controller on
               KAFKA_CLUSTER_PORT+100+i; state in .lineage/kafka-cluster-<KAFKA_CLUSTER_PORT>/node-<i>

environment: KAFKA_PORT (9092), KAFKA_CONTROLLER_PORT (9093), KAFKA_BROKERS (use your own cluster),
             KAFKA_CLUSTER_PORT (19092), KAFKA_HEAP_OPTS (-Xmx1G; -Xmx512m per cluster node),
             JAVA_HOME, DATABASE_URL`;

type Command = (args: string[]) => Promise<number>;

/** How many arguments each command takes at most; commands not listed take none. */
const MAX_ARGS: Record<string, number> = {
  'db ensure': 1,
  'kafka cluster kill': 1,
  'kafka cluster restart': 1,
};

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
  'kafka cluster start': async () => {
    const cluster = await startKafkaCluster();
    const pids = cluster.nodes.map((node) => `${node.id}:${node.pid() ?? '?'}`).join(' ');
    note(`kafka cluster: running at ${cluster.brokers.join(',')} (node:pid ${pids})`);
    process.stdout.write(`${cluster.brokers.join(',')}\n`);
    return 0;
  },
  'kafka cluster stop': async () => {
    const cluster = await openKafkaCluster();
    const running = cluster.nodes.filter((node) => node.pid() !== undefined);
    await cluster.stop();
    note(
      running.length === 0
        ? 'kafka cluster: not running'
        : `kafka cluster: stopped nodes ${running.map((node) => node.id).join(', ')}`,
    );
    return 0;
  },
  'kafka cluster status': async () => {
    const nodes = await kafkaClusterStatus();
    for (const node of nodes) {
      const state = node.answering
        ? 'answering'
        : node.pid === undefined
          ? 'not running'
          : 'running, not answering';
      process.stdout.write(
        `kafka cluster node ${node.id}: ${state} at ${node.broker}${pidNote(node.pid)}, log ${node.logFile}\n`,
      );
    }
    return nodes.every((node) => node.answering) ? 0 : 1;
  },
  'kafka cluster kill': async ([id]) => {
    const cluster = await openKafkaCluster();
    const node = nodeId(id);
    const pid = cluster.nodes[node]?.pid();
    await cluster.kill(node);
    note(
      pid === undefined
        ? `kafka cluster: node ${node} was not running`
        : `kafka cluster: killed node ${node} (pid ${pid})`,
    );
    return 0;
  },
  'kafka cluster restart': async ([id]) => {
    const cluster = await openKafkaCluster();
    const node = nodeId(id);
    await cluster.stop(node);
    await cluster.start(node);
    note(`kafka cluster: node ${node} answers again${pidNote(cluster.nodes[node]?.pid())}`);
    return 0;
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

/** A node id argument: a non-negative integer (the cluster says whether it has that node). */
function nodeId(arg: string | undefined): number {
  const id = Number(arg);
  if (arg === undefined || arg.trim() === '' || !Number.isInteger(id) || id < 0) {
    throw new InfraError(
      'USAGE',
      `expected a node id (0, 1, 2, ...), got \`${arg ?? ''}\`; try --help`,
    );
  }
  return id;
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
  const [group, verb, ...more] = argv;
  const cluster = group === 'kafka' && verb === 'cluster';
  const name = cluster ? `kafka cluster ${more[0] ?? ''}` : `${group ?? ''} ${verb ?? ''}`;
  const rest = cluster ? more.slice(1) : more;
  const command = commands[name];
  if (command === undefined) {
    const help =
      group === undefined || ['-h', '--help', 'help'].includes(group) || verb === '--help';
    if (help) process.stdout.write(`${USAGE}\n`);
    else note(`error: unknown command \`${argv.join(' ')}\`; try --help`);
    return help ? 0 : 2;
  }
  if (rest.length > (MAX_ARGS[name] ?? 0))
    throw new InfraError('USAGE', `too many arguments for \`${name}\`; try --help`);
  return command(rest);
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    note(`error: ${oneLine(error)}`);
    process.exit(2);
  },
);
