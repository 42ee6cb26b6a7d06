import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadSettings, settingsFromArgs } from './load-settings.js';
import { RuntimeError } from './errors.js';

async function file(content: unknown): Promise<string> {
  const path = join(await mkdtemp(join(tmpdir(), 'settings-')), 'lineage.json');
  await writeFile(path, typeof content === 'string' ? content : JSON.stringify(content));
  return path;
}

function refusal(load: () => unknown): RuntimeError {
  try {
    load();
  } catch (error) {
    if (error instanceof RuntimeError) return error;
    throw error;
  }
  throw new Error('accepted');
}

describe('loadSettings', () => {
  it('takes defaults, then the file, then the environment, then flags', async () => {
    const path = await file({
      kafka: { brokers: 'file:9092', topicPrefix: 'f.' },
      governance: { port: 1 },
    });
    expect(loadSettings({ env: {} }).governance.port).toBe(9464);
    const s = loadSettings({
      file: path,
      env: { KAFKA_BROKERS: 'env:9092', LINEAGE_GOVERNANCE_PORT: '2' },
      flags: { 'governance.port': { value: '3', flag: 'port' } },
    });
    expect(s.kafka).toMatchObject({ brokers: 'env:9092', topicPrefix: 'f.' });
    expect(s.governance.port).toBe(3);
    expect(s.postgres.url).toBe('postgres://postgres@127.0.0.1:5432/lineage');
  });

  it('reads LINEAGE_CONFIG; a blank variable counts as unset', async () => {
    const path = await file({ projector: { group: 'g' } });
    const s = loadSettings({ env: { LINEAGE_CONFIG: path, DATABASE_URL: ' ' } });
    expect(s.projector.group).toBe('g');
    expect(s.postgres.url).toBe('postgres://postgres@127.0.0.1:5432/lineage');
  });

  it.each([
    [
      'a port out of range in the environment',
      { LINEAGE_PROJECTOR_PORT: '70000' },
      /projector\.port \(environment LINEAGE_PROJECTOR_PORT\)/,
    ],
    ['a non-numeric partition count', { LINEAGE_PARTITIONS: 'six' }, /kafka\.partitions/],
    [
      'a fractional session timeout',
      { LINEAGE_SESSION_TIMEOUT_MS: '1.5' },
      /governance\.sessionTimeoutMs/,
    ],
    [
      'a schema name Postgres would need quoted',
      { LINEAGE_SCHEMA: 'Bad-Name' },
      /postgres\.schema/,
    ],
  ])('refuses %s with CONFIG_INVALID naming the setting and its source', (_, env, named) => {
    const error = refusal(() => loadSettings({ env }));
    expect(error.code).toBe('CONFIG_INVALID');
    expect(error.message).toMatch(named);
  });

  it('refuses an unknown section or setting in the file, and a file that is not JSON', async () => {
    for (const content of [{ kafak: {} }, { kafka: { broker: 'x' } }, '{ not json', '[]']) {
      const path = await file(content);
      expect(refusal(() => loadSettings({ file: path, env: {} })).code).toBe('CONFIG_INVALID');
    }
  });
});

describe('settingsFromArgs', () => {
  const MAP = {
    port: { path: 'governance.port' },
    'memory-state': { path: 'governance.memoryState', boolean: true },
    release: { path: 'api.releases', multiple: true },
  } as const;

  it('maps flags onto settings and names the flag of a refused value', () => {
    const s = settingsFromArgs(MAP, [
      '--port',
      '7',
      '--memory-state',
      '--release',
      'a',
      '--release',
      'b',
    ]);
    expect(s.governance).toMatchObject({ port: 7, memoryState: true });
    expect(s.api.releases).toEqual(['a', 'b']);
    const error = refusal(() => settingsFromArgs(MAP, ['--port', 'x']));
    expect(error.code).toBe('CONFIG_INVALID');
    expect(error.message).toMatch(/governance\.port \(--port\)/);
  });

  it('refuses an unknown flag', () => {
    expect(refusal(() => settingsFromArgs(MAP, ['--prot', '1'])).code).toBe('CONFIG_INVALID');
  });
});
