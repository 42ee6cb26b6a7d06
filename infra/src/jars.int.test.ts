// Fetches the real pinned broker jars from Maven Central into a temp folder, with no Maven on PATH,
// and shows the result is a working broker classpath. Needs the network; the shared cache is untouched.
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { runCommand } from './exec.js';
import { STAMP_FILE, ensureKafkaJars, parseJarList } from './jars.js';
import { findJava } from './java.js';

const jarList = fileURLToPath(new URL('../kafka/broker-jars.txt', import.meta.url));
let dir: string | undefined;
afterAll(() => (dir === undefined ? undefined : rm(dir, { recursive: true, force: true })));

describe('the broker jars, without Maven', () => {
  it('downloads and verifies every pinned jar, and the classpath runs Kafka', async () => {
    dir = await mkdtemp(join(tmpdir(), 'lineage-jars-'));
    const libs = join(dir, 'libs');
    const java = await findJava();
    // No mvn (nor anything else) on PATH while the jars are fetched.
    vi.stubEnv('PATH', dir);
    vi.stubEnv('MAVEN_REPOSITORY', '');
    try {
      const pinned = parseJarList(await readFile(jarList, 'utf8'));
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
});
