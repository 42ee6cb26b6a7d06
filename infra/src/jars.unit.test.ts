import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { STAMP_FILE, ensureKafkaJars, jarUrl, parseJarList, sha256 } from './jars.js';
import type { JarFetcher } from './jars.js';

const REPO = 'https://repo.example/maven2';
/** Two fake artifacts, each "jar" being its coordinates' bytes. */
const content = (coords: string) => new TextEncoder().encode(`jar of ${coords}`);
const listOf = (...coords: string[]) =>
  ['# pinned', ...coords.map((c) => `${sha256(content(c))}  ${c}`)].join('\n') + '\n';

describe('the pinned jar list', () => {
  it('parses sums and coordinates and maps them to the Maven 2 layout', () => {
    const [jar] = parseJarList(listOf('org.apache.kafka:kafka_2.13:3.9.1'));
    expect(jar).toMatchObject({
      group: 'org.apache.kafka',
      artifact: 'kafka_2.13',
      version: '3.9.1',
    });
    expect(jarUrl(jar!, `${REPO}/`)).toBe(
      `${REPO}/org/apache/kafka/kafka_2.13/3.9.1/kafka_2.13-3.9.1.jar`,
    );
  });

  it('refuses a malformed line with JARS_LIST_INVALID', () => {
    expect(() => parseJarList('abc  org.slf4j:slf4j-api:1.7.36\n')).toThrow(
      expect.objectContaining({ code: 'JARS_LIST_INVALID' }),
    );
  });

  it('the repository list pins every jar the broker needs, once', async () => {
    const text = await readFile(new URL('../kafka/broker-jars.txt', import.meta.url), 'utf8');
    const jars = parseJarList(text);
    const names = jars.map((j) => `${j.artifact}-${j.version}.jar`);
    expect(new Set(names).size).toBe(names.length);
    expect(names).toEqual(
      expect.arrayContaining([
        'kafka_2.13-3.9.1.jar',
        'slf4j-reload4j-1.7.36.jar',
        'reload4j-1.2.25.jar',
      ]),
    );
  });
});

describe('ensureKafkaJars', () => {
  let dir: string;
  let fetched: string[];
  /** Serves each URL's fake jar; `corrupt` serves other bytes; `failing` rejects. */
  const server =
    (mode: 'ok' | 'corrupt' | 'failing' = 'ok'): JarFetcher =>
    async (url) => {
      fetched.push(url);
      if (mode === 'failing') throw new Error('offline');
      const [, group, artifact, version] = /maven2\/(.+)\/([^/]+)\/([^/]+)\/[^/]+$/.exec(url)!;
      const coords = `${group!.replace(/\//g, '.')}:${artifact}:${version}`;
      return mode === 'corrupt' ? content(`${coords} tampered`) : content(coords);
    };
  const options = (fetchJar: JarFetcher = server()) => ({
    jarList: join(dir, 'broker-jars.txt'),
    libs: join(dir, 'libs'),
    repository: REPO,
    fetchJar,
  });

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'lineage-jars-'));
    fetched = [];
    await writeFile(join(dir, 'broker-jars.txt'), listOf('org.a:one:1.0', 'org.b:two:2.0'));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('downloads every jar once, then trusts the stamp', async () => {
    expect(await ensureKafkaJars(options())).toEqual({ downloaded: 2 });
    expect(await ensureKafkaJars(options())).toEqual({ downloaded: 0 });
    expect(fetched).toEqual([
      `${REPO}/org/a/one/1.0/one-1.0.jar`,
      `${REPO}/org/b/two/2.0/two-2.0.jar`,
    ]);
    expect((await readdir(join(dir, 'libs'))).sort()).toEqual([
      STAMP_FILE,
      'one-1.0.jar',
      'two-2.0.jar',
    ]);
    expect(await readFile(join(dir, 'libs', 'one-1.0.jar'))).toEqual(
      Buffer.from(content('org.a:one:1.0')),
    );
  });

  it('on a new list, keeps intact cached jars, fetches the new ones and drops the unpinned', async () => {
    await ensureKafkaJars(options());
    await writeFile(join(dir, 'broker-jars.txt'), listOf('org.a:one:1.0', 'org.c:three:3.0'));
    expect(await ensureKafkaJars(options())).toEqual({ downloaded: 1 });
    expect((await readdir(join(dir, 'libs'))).sort()).toEqual([
      STAMP_FILE,
      'one-1.0.jar',
      'three-3.0.jar',
    ]);
  });

  it('refetches a cached jar whose bytes no longer match its sum', async () => {
    await ensureKafkaJars(options());
    await writeFile(join(dir, 'libs', 'two-2.0.jar'), 'rotten');
    await rm(join(dir, 'libs', STAMP_FILE));
    expect(await ensureKafkaJars(options())).toEqual({ downloaded: 1 });
  });

  it('refuses a jar whose SHA-256 differs (JARS_DIGEST_MISMATCH) and caches nothing', async () => {
    await expect(ensureKafkaJars(options(server('corrupt')))).rejects.toMatchObject({
      code: 'JARS_DIGEST_MISMATCH',
    });
    expect((await readdir(dir)).sort()).toEqual(['broker-jars.txt']);
  });

  it('keeps the old jars when the download fails (JARS_FETCH_FAILED), after retrying', async () => {
    await ensureKafkaJars(options());
    await writeFile(join(dir, 'broker-jars.txt'), listOf('org.a:one:1.0', 'org.c:three:3.0'));
    fetched = [];
    await expect(ensureKafkaJars(options(server('failing')))).rejects.toMatchObject({
      code: 'JARS_FETCH_FAILED',
    });
    expect(fetched).toHaveLength(3);
    expect(await readdir(join(dir, 'libs'))).toContain('two-2.0.jar');
    expect((await readdir(dir)).filter((name) => name.includes('partial'))).toEqual([]);
  });
});
