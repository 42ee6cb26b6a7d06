import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { findJava } from './java.js';

describe('findJava', () => {
  let dir: string;
  /** A JAVA_HOME whose bin/java prints `version` the way `java -version` does (on stderr). */
  const fakeHome = async (version: string) => {
    await mkdir(join(dir, 'bin'), { recursive: true });
    await writeFile(join(dir, 'bin', 'java'), `#!/bin/sh\necho '${version}' >&2\n`);
    await chmod(join(dir, 'bin', 'java'), 0o755);
    vi.stubEnv('JAVA_HOME', dir);
  };

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'lineage-java-'));
  });
  afterEach(async () => {
    vi.unstubAllEnvs();
    await rm(dir, { recursive: true, force: true });
  });

  it('takes $JAVA_HOME/bin/java when it is recent enough', async () => {
    await fakeHome('openjdk version "17.0.15" 2025-04-15');
    expect(await findJava()).toBe(join(dir, 'bin', 'java'));
  });

  it('refuses a Java 8 with JAVA_TOO_OLD', async () => {
    await fakeHome('java version "1.8.0_392"');
    await expect(findJava()).rejects.toMatchObject({ code: 'JAVA_TOO_OLD' });
  });

  it('says JAVA_MISSING when there is no java at all', async () => {
    vi.stubEnv('JAVA_HOME', '');
    vi.stubEnv('PATH', dir);
    await expect(findJava()).rejects.toMatchObject({ code: 'JAVA_MISSING' });
  });
});
