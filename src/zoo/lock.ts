// A lock file around a download, so two processes (e.g. the ranks of a distributed run) never
// append to the same partial file. A lock whose holder died is taken over.
import { open, readFile, stat, unlink, utimes } from 'node:fs/promises';
import { hostname } from 'node:os';

export interface LockOptions {
  /** A lock from another host not refreshed for this long is stale (the holder refreshes it). */
  staleMs?: number;
  pollMs?: number;
  /** Called once when the lock is held by someone else and we start waiting. */
  onWait?: (holder: string) => void;
  signal?: AbortSignal;
}

interface Holder {
  pid: number;
  host: string;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: the process exists but belongs to someone else.
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function isStale(path: string, staleMs: number): Promise<boolean | undefined> {
  let holder: Holder;
  let mtimeMs: number;
  try {
    [holder, mtimeMs] = await Promise.all([readFile(path, 'utf8').then((t) => JSON.parse(t) as Holder), stat(path).then((s) => s.mtimeMs)]);
  } catch {
    // Vanished (released) or half-written by its creator: look again shortly.
    return undefined;
  }
  if (holder.host === hostname()) return !alive(holder.pid);
  return Date.now() - mtimeMs > staleMs;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Runs `fn` while holding the lock file `path` (created exclusively, removed afterwards). */
export async function withLock<T>(path: string, fn: () => Promise<T>, o: LockOptions = {}): Promise<T> {
  const staleMs = o.staleMs ?? 60_000;
  let waited = false;
  for (;;) {
    o.signal?.throwIfAborted();
    try {
      const fh = await open(path, 'wx');
      try {
        await fh.writeFile(JSON.stringify({ pid: process.pid, host: hostname() } satisfies Holder));
      } finally {
        await fh.close();
      }
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    if (await isStale(path, staleMs)) {
      await unlink(path).catch(() => undefined);
      continue;
    }
    if (!waited) {
      waited = true;
      o.onWait?.(await readFile(path, 'utf8').catch(() => '?'));
    }
    await sleep(o.pollMs ?? 250);
  }
  // Refresh the mtime so waiters on other hosts see the holder is alive.
  const beat = setInterval(() => void utimes(path, new Date(), new Date()).catch(() => undefined), Math.max(1000, staleMs / 3));
  beat.unref();
  try {
    return await fn();
  } finally {
    clearInterval(beat);
    await unlink(path).catch(() => undefined);
  }
}
