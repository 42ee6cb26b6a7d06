import { open, readFile, rm, stat } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { isAlive } from './pid.js';

/**
 * Holds an exclusive lock file while `work` runs, so two starters (two terminals, two vitest projects)
 * never launch two brokers on one data directory. A lock left by a dead process is taken over.
 * Resolves `work`'s result; throws `onTimeout()` if the lock stays held for `timeoutMs`.
 */
export async function withLock<T>(
  file: string,
  timeoutMs: number,
  onTimeout: () => Error,
  work: () => Promise<T>,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const handle = await open(file, 'wx');
      await handle.writeFile(`${process.pid}\n`);
      await handle.close();
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      if (await isStale(file)) {
        await rm(file, { force: true });
        continue;
      }
      if (Date.now() >= deadline) throw onTimeout();
      await sleep(200);
    }
  }
  try {
    return await work();
  } finally {
    await rm(file, { force: true });
  }
}

/** A lock is stale when its owner is dead, or it stayed empty (owner died before writing) for 5 s. */
async function isStale(file: string): Promise<boolean> {
  const text = await readFile(file, 'utf8').catch(() => undefined);
  if (text === undefined) return false;
  const owner = Number(text.trim());
  if (Number.isInteger(owner) && owner > 0) return !isAlive(owner);
  const modified = await stat(file).then(
    (s) => s.mtimeMs,
    () => Date.now(),
  );
  return Date.now() - modified > 5_000;
}
