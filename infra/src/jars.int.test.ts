// Fetches the pinned broker jars over HTTP from a Maven 2 layout into a temp folder, with no Maven on
// PATH, and shows the result is a working broker classpath. The repository is a loopback server laid out
// from the local jar cache (filled by the suite's broker start), so the test needs no outside network.
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { runCommand } from './exec.js';
import { STAMP_FILE, ensureKafkaJars, jarFileName, jarUrl, parseJarList } from './jars.js';
import type { PinnedJar } from './jars.js';
import { findJava } from './java.js';
import { kafkaPaths } from './paths.js';

const jarList = fileURLToPath(new URL('../kafka/broker-jars.txt', import.meta.url));
let dir: string;
let server: Server;
let repository: string;
let pinned: PinnedJar[];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'lineage-jars-'));
  pinned = parseJarList(await readFile(jarList, 'utf8'));
  const cache = kafkaPaths().libs;
  const byPath = new Map(
    pinned.map((jar) => [
      new URL(jarUrl(jar, 'http://x/maven2')).pathname,
      join(cache, jarFileName(jar)),
    ]),
  );
  server = createServer((request, response) => {
    const file = byPath.get(request.url ?? '');
    if (file === undefined) return void response.writeHead(404).end();
    void readFile(file).then(
      (bytes) => response.writeHead(200).end(bytes),
      () => response.writeHead(404).end(),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  repository = `http://127.0.0.1:${(server.address() as AddressInfo).port}/maven2`;
});
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  await rm(dir, { recursive: true, force: true });
});

describe('the broker jars, without Maven', () => {
  it('downloads and verifies every pinned jar from MAVEN_REPOSITORY, and the classpath runs Kafka', async () => {
    const libs = join(dir, 'libs');
    const java = await findJava();
    // No mvn (nor anything else) on PATH while the jars are fetched.
    vi.stubEnv('PATH', dir);
    vi.stubEnv('MAVEN_REPOSITORY', repository);
    try {
      expect(await ensureKafkaJars({ jarList, libs })).toEqual({ downloaded: pinned.length });
      expect((await readdir(libs)).length).toBe(pinned.length + 1);
      expect(await readdir(libs)).toContain(STAMP_FILE);
    } finally {
      vi.unstubAllEnvs();
    }
    // The fetched classpath is a working Kafka: its storage tool mints a cluster id.
    const tool = await runCommand(java, [
      '-cp',
      join(libs, '*'),
      'kafka.tools.StorageTool',
      'random-uuid',
    ]);
    expect(tool.code, tool.output).toBe(0);
    expect(tool.output.trim()).toMatch(/[A-Za-z0-9_-]{22}$/);
  }, 600_000);

  it('names the setting when there is neither a repository nor Maven', async () => {
    vi.stubEnv('PATH', dir);
    vi.stubEnv('MAVEN_REPOSITORY', '');
    try {
      await expect(ensureKafkaJars({ jarList, libs: join(dir, 'none') })).rejects.toMatchObject({
        code: 'JARS_REPOSITORY_UNSET',
      });
    } finally {
      vi.unstubAllEnvs();
    }
  });
});
