import { createHash } from 'node:crypto';
import { mkdir, readFile, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { InfraError } from './errors.js';
import { isNotInstalled, runCommand } from './exec.js';
import type { CommandResult } from './exec.js';

/** Fetches the artifacts `pom` depends on into `outDir`. */
export type MavenRunner = (pom: string, outDir: string) => Promise<void>;

export interface JarsOptions {
  /** The pom.xml pinning the broker. */
  readonly pom: string;
  /** Where the jars go; it also holds the stamp. */
  readonly libs: string;
  /** Where Maven's output is kept when it fails. */
  readonly mavenLog: string;
  /** Replaces Maven (tests). */
  readonly runMaven?: MavenRunner;
}

/** Name of the stamp file inside the libs folder: the SHA-256 of the pom the jars came from. */
export const STAMP_FILE = '.pom.sha256';

/** SHA-256 (hex) of the pom's bytes. */
export function pomDigest(pom: string | Uint8Array): string {
  return createHash('sha256').update(pom).digest('hex');
}

/**
 * Makes sure `libs` holds the jars of `pom`. Maven runs only when the stamp in `libs` does not match
 * the pom's SHA-256; the jars are fetched into a scratch folder and swapped in whole, so an interrupted
 * download never leaves a half-filled classpath.
 * @returns whether Maven ran.
 * @throws InfraError `MAVEN_MISSING` (no cached jars and no `mvn`) or `MAVEN_FAILED`.
 */
export async function ensureKafkaJars(options: JarsOptions): Promise<{ downloaded: boolean }> {
  const { pom, libs } = options;
  const digest = pomDigest(await readFile(pom));
  if (await stampMatches(libs, digest)) return { downloaded: false };

  const scratch = `${libs}.partial-${process.pid}`;
  await rm(scratch, { recursive: true, force: true });
  await mkdir(scratch, { recursive: true });
  try {
    await (options.runMaven ?? mavenRunner(options.mavenLog))(pom, scratch);
    if (!(await readdir(scratch)).some((file) => file.endsWith('.jar'))) {
      throw new InfraError('MAVEN_FAILED', `Maven put no jars in ${scratch} for ${pom}.`);
    }
    await writeFile(`${scratch}/${STAMP_FILE}`, `${digest}\n`);
    await rm(libs, { recursive: true, force: true });
    await rename(scratch, libs);
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
  return { downloaded: true };
}

async function stampMatches(libs: string, digest: string): Promise<boolean> {
  try {
    return (await readFile(`${libs}/${STAMP_FILE}`, 'utf8')).trim() === digest;
  } catch {
    return false;
  }
}

/** Runs `mvn dependency:copy-dependencies`; its output goes to `logFile` if it fails. */
export function mavenRunner(logFile: string): MavenRunner {
  return async (pom, outDir) => {
    const args = [
      '-q',
      '-B',
      '-Dstyle.color=never',
      '-f',
      pom,
      'dependency:copy-dependencies',
      `-DoutputDirectory=${outDir}`,
    ];
    let result: CommandResult;
    try {
      result = await runCommand('mvn', args);
    } catch (error) {
      if (!isNotInstalled(error))
        throw new InfraError('MAVEN_FAILED', `Could not run mvn: ${String(error)}`, {
          cause: error,
        });
      throw new InfraError(
        'MAVEN_MISSING',
        'Maven (mvn) is not installed and the Kafka broker jars are not cached yet: install Maven 3.8+ ' +
          '(e.g. `apt-get install maven`), or point KAFKA_BROKERS at a cluster of your own.',
        { cause: error },
      );
    }
    if (result.code !== 0) {
      await writeFile(logFile, result.output);
      throw new InfraError(
        'MAVEN_FAILED',
        `Maven could not fetch the Kafka broker jars (exit ${String(result.code)}): see ${logFile}.`,
      );
    }
  };
}
