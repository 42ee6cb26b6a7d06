import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Where the local broker keeps its jars, data, logs and pid file (all under the git-ignored `.lineage/`). */
export interface KafkaPaths {
  readonly root: string;
  readonly home: string;
  /** The pinned broker jars and their SHA-256 sums. */
  readonly jarList: string;
  readonly libs: string;
  readonly data: string;
  readonly serverProperties: string;
  readonly log4jProperties: string;
  readonly logFile: string;
  readonly outFile: string;
  readonly pidFile: string;
  readonly lockFile: string;
}

/** The repository root, found from this file's location so the current directory does not matter. */
export function repoRoot(): string {
  return fileURLToPath(new URL('../../', import.meta.url));
}

/** The local broker's file layout under `<root>/.lineage/kafka`. */
export function kafkaPaths(root: string = repoRoot()): KafkaPaths {
  return brokerPaths(join(root, '.lineage', 'kafka'), root);
}

/**
 * The file layout of a broker living in `home` (a cluster node's folder, or the local broker's).
 * The jars are always the shared ones under `<root>/.lineage/kafka/libs`, fetched once for every broker.
 */
export function brokerPaths(home: string, root: string = repoRoot()): KafkaPaths {
  const shared = join(root, '.lineage', 'kafka');
  return {
    root,
    home,
    jarList: join(root, 'infra', 'kafka', 'broker-jars.txt'),
    libs: join(shared, 'libs'),
    data: join(home, 'data'),
    serverProperties: join(home, 'server.properties'),
    log4jProperties: join(home, 'log4j.properties'),
    logFile: join(home, 'broker.log'),
    outFile: join(home, 'broker.out'),
    pidFile: join(home, 'broker.pid'),
    lockFile: join(home, 'start.lock'),
  };
}

/** `file` relative to the repository root, for messages. */
export function shown(paths: KafkaPaths, file: string): string {
  return relative(paths.root, file) || '.';
}
