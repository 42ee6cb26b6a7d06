import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { InfraError } from './errors.js';
import { isNotInstalled, runCommand } from './exec.js';

/** The oldest Java the Kafka 3.9 broker runs on (17 is what we test with and recommend). */
export const MIN_JAVA = 11;

const INSTALL_HINT =
  'install a JDK 17+ (e.g. `apt-get install openjdk-17-jre-headless`) or set JAVA_HOME to one';

/** The major version in `java -version` output (`"17.0.15"` → 17, `"1.8.0_392"` → 8), if any. */
export function javaMajor(versionOutput: string): number | undefined {
  const match = /version "(\d+)(?:\.(\d+))?/.exec(versionOutput);
  if (match?.[1] === undefined) return undefined;
  const first = Number(match[1]);
  return first === 1 && match[2] !== undefined ? Number(match[2]) : first;
}

/**
 * Finds the `java` to run the broker with: `$JAVA_HOME/bin/java`, else `java` on PATH.
 * @throws InfraError `JAVA_MISSING` or `JAVA_TOO_OLD`.
 */
export async function findJava(): Promise<string> {
  const home = process.env.JAVA_HOME;
  const java =
    home !== undefined && existsSync(join(home, 'bin', 'java'))
      ? join(home, 'bin', 'java')
      : 'java';
  let output: string;
  try {
    output = (await runCommand(java, ['-version'])).output;
  } catch (error) {
    const reason = isNotInstalled(error) ? 'Java is not installed' : `\`${java} -version\` failed`;
    throw new InfraError(
      'JAVA_MISSING',
      `${reason}, and the local Kafka broker needs it: ${INSTALL_HINT}.`,
      { cause: error },
    );
  }
  const major = javaMajor(output);
  if (major !== undefined && major < MIN_JAVA) {
    throw new InfraError(
      'JAVA_TOO_OLD',
      `Java ${major} is too old for the Kafka 3.9 broker: ${INSTALL_HINT}.`,
    );
  }
  return java;
}
