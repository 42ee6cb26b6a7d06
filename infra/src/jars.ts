import { createHash } from 'node:crypto';
import { copyFile, link, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { InfraError } from './errors.js';
import { isNotInstalled, runCommand } from './exec.js';

/** One jar of the broker's classpath, pinned by its SHA-256. */
export interface PinnedJar {
  readonly group: string;
  readonly artifact: string;
  readonly version: string;
  /** Lowercase hex SHA-256 of the jar's bytes. */
  readonly sha256: string;
}

/** Downloads one URL's bytes; rejects on any failure (tests pass their own). */
export type JarFetcher = (url: string) => Promise<Uint8Array>;

export interface JarsOptions {
  /** The pinned list (`infra/kafka/broker-jars.txt`): `<sha256>  group:artifact:version` per line. */
  readonly jarList: string;
  /** Where the jars go; it also holds the stamp. */
  readonly libs: string;
  /**
   * Base URL of a Maven 2 repository (Maven Central or a mirror); default MAVEN_REPOSITORY. With
   * neither, the installed Maven resolves the jars from its own configured repositories.
   */
  readonly repository?: string;
  /** Replaces the HTTPS download (tests). */
  readonly fetchJar?: JarFetcher;
}

/** Name of the stamp file inside the libs folder: the SHA-256 of the jar list the jars match. */
export const STAMP_FILE = '.jars.sha256';

const PARALLEL_DOWNLOADS = 4;
const ATTEMPTS = 3;

/** SHA-256 (hex) of some bytes. */
export function sha256(bytes: string | Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/**
 * Parses the pinned jar list; `#` starts a comment line.
 * @throws InfraError `JARS_LIST_INVALID` naming the first malformed line.
 */
export function parseJarList(text: string): PinnedJar[] {
  const jars: PinnedJar[] = [];
  for (const [index, raw] of text.split('\n').entries()) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const match = /^([0-9a-f]{64})\s+([\w.-]+):([\w.-]+):([\w.-]+)$/.exec(line);
    if (match === null) {
      throw new InfraError('JARS_LIST_INVALID', `Jar list line ${index + 1} is malformed: ${line}`);
    }
    const [, sum, group, artifact, version] = match as unknown as [
      string,
      string,
      string,
      string,
      string,
    ];
    jars.push({ group, artifact, version, sha256: sum });
  }
  return jars;
}

/** The file name Maven gives the jar: `<artifact>-<version>.jar`. */
export function jarFileName(jar: PinnedJar): string {
  return `${jar.artifact}-${jar.version}.jar`;
}

/** The jar's URL in a Maven 2 repository: `<base>/<group as path>/<artifact>/<version>/<file>`. */
export function jarUrl(jar: PinnedJar, repository: string): string {
  const group = jar.group.split('.').join('/');
  return `${repository.replace(/\/+$/, '')}/${group}/${jar.artifact}/${jar.version}/${jarFileName(jar)}`;
}

/**
 * Makes sure `libs` holds exactly the pinned jars. Nothing happens when the stamp in `libs` matches the
 * list's SHA-256. Otherwise jars already in `libs` whose SHA-256 matches are kept, the others are
 * downloaded over HTTPS and checked, all in a scratch folder swapped in whole, so an interrupted
 * download never leaves a half-filled classpath, and a jar no longer pinned never stays on it.
 * @returns how many jars were downloaded (0 when the cache was already complete).
 * @throws InfraError `JARS_LIST_INVALID`, `JARS_FETCH_FAILED` or `JARS_DIGEST_MISMATCH`.
 */
export async function ensureKafkaJars(options: JarsOptions): Promise<{ downloaded: number }> {
  const { libs } = options;
  const listText = await readFile(options.jarList, 'utf8');
  const digest = sha256(listText);
  if (await stampMatches(libs, digest)) return { downloaded: 0 };

  const jars = parseJarList(listText);
  const scratch = `${libs}.partial-${process.pid}`;
  await rm(scratch, { recursive: true, force: true });
  await mkdir(scratch, { recursive: true });
  try {
    // Reuse what is cached and intact, fetch the rest, a few at a time.
    const missing = await reuseCached(jars, libs, scratch);
    const source = await jarSource(options, missing, scratch);
    await inBatches(missing, PARALLEL_DOWNLOADS, (jar) =>
      download(jar, source.url(jar), join(scratch, jarFileName(jar)), source.fetchJar),
    );
    // Stamp, then swap the complete folder in.
    await writeFile(join(scratch, STAMP_FILE), `${digest}\n`);
    await rm(libs, { recursive: true, force: true });
    await rename(scratch, libs);
    return { downloaded: missing.length };
  } finally {
    await rm(scratch, { recursive: true, force: true });
    await rm(`${scratch}.maven`, { recursive: true, force: true });
  }
}

/** Where missing jars come from: a repository URL over HTTPS, or what the local Maven resolves. */
interface JarSource {
  url(jar: PinnedJar): string;
  fetchJar: JarFetcher;
}

/**
 * The repository named by the options or MAVEN_REPOSITORY, fetched over HTTPS; without one, the
 * installed Maven copies the pinned artifacts (`infra/kafka/pom.xml`) from its configured repositories.
 * Either way every jar is then checked against its pinned SHA-256.
 */
async function jarSource(
  options: JarsOptions,
  missing: readonly PinnedJar[],
  scratch: string,
): Promise<JarSource> {
  const repository = options.repository ?? process.env.MAVEN_REPOSITORY?.trim();
  if (repository !== undefined && repository !== '') {
    return { url: (jar) => jarUrl(jar, repository), fetchJar: options.fetchJar ?? httpsFetcher };
  }
  const copied = `${scratch}.maven`;
  if (missing.length > 0) await mavenCopy(join(dirname(options.jarList), 'pom.xml'), copied);
  return {
    url: (jar) => join(copied, jarFileName(jar)),
    fetchJar: async (path) => new Uint8Array(await readFile(path)),
  };
}

/** Runs `mvn dependency:copy-dependencies` for the broker's pom into `outDir`. */
async function mavenCopy(pom: string, outDir: string): Promise<void> {
  const args = ['-q', '-B', '-Dstyle.color=never', '-f', pom, 'dependency:copy-dependencies'];
  const result = await runCommand('mvn', [...args, `-DoutputDirectory=${outDir}`]).catch(
    (error: unknown) => {
      throw new InfraError(
        'JARS_REPOSITORY_UNSET',
        isNotInstalled(error)
          ? 'The Kafka broker jars are not cached yet and no repository is configured: set MAVEN_REPOSITORY ' +
              "to the base URL of Maven Central (the 'maven2' root) or of a mirror, or install Maven."
          : `Could not run mvn: ${String(error)}`,
        { cause: error },
      );
    },
  );
  if (result.code !== 0) {
    throw new InfraError(
      'JARS_FETCH_FAILED',
      `Maven could not fetch the Kafka broker jars (exit ${String(result.code)}): ${basename(pom)} ${result.output.slice(-400)}`,
    );
  }
}

async function stampMatches(libs: string, digest: string): Promise<boolean> {
  try {
    return (await readFile(join(libs, STAMP_FILE), 'utf8')).trim() === digest;
  } catch {
    return false;
  }
}

/** Links (or copies) every intact cached jar into `scratch`; returns the jars still to fetch. */
async function reuseCached(
  jars: readonly PinnedJar[],
  libs: string,
  scratch: string,
): Promise<PinnedJar[]> {
  const missing: PinnedJar[] = [];
  for (const jar of jars) {
    const cached = join(libs, jarFileName(jar));
    const bytes = await readFile(cached).catch(() => undefined);
    if (bytes === undefined || sha256(bytes) !== jar.sha256) {
      missing.push(jar);
      continue;
    }
    const target = join(scratch, jarFileName(jar));
    await link(cached, target).catch(() => copyFile(cached, target));
  }
  return missing;
}

/** Fetches one jar (retrying transport failures), checks its SHA-256, writes it to `target`. */
async function download(
  jar: PinnedJar,
  url: string,
  target: string,
  fetchJar: JarFetcher,
): Promise<void> {
  let bytes: Uint8Array | undefined;
  let lastError: unknown;
  for (let attempt = 1; attempt <= ATTEMPTS && bytes === undefined; attempt++) {
    bytes = await fetchJar(url).catch((error: unknown) => {
      lastError = error;
      return undefined;
    });
  }
  if (bytes === undefined) {
    const reason = lastError instanceof Error ? lastError.message : String(lastError);
    throw new InfraError(
      'JARS_FETCH_FAILED',
      `Could not download ${url} (${reason}): check the network, or set MAVEN_REPOSITORY to a reachable Maven mirror.`,
      { cause: lastError },
    );
  }
  // The pinned sum is the only trust anchor: a jar that differs is refused, never cached.
  const actual = sha256(bytes);
  if (actual !== jar.sha256) {
    throw new InfraError(
      'JARS_DIGEST_MISMATCH',
      `${url} has SHA-256 ${actual}, but infra/kafka/broker-jars.txt pins ${jar.sha256}: refusing it.`,
    );
  }
  await writeFile(target, bytes);
}

/** GETs `url` over HTTPS (redirects followed); rejects on a non-2xx answer. */
async function httpsFetcher(url: string): Promise<Uint8Array> {
  const response = await fetch(url, { signal: AbortSignal.timeout(120_000) });
  if (!response.ok) throw new Error(`HTTP ${response.status}`);
  return new Uint8Array(await response.arrayBuffer());
}

/** Runs `work` over `items`, at most `width` at a time; the first rejection wins. */
async function inBatches<T>(
  items: readonly T[],
  width: number,
  work: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) await work(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(width, items.length) }, worker));
}
