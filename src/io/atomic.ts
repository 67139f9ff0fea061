/**
 * Crash-safe file replacement: readers see either the old file or the complete
 * new one, never a half-written checkpoint (a killed training run must not
 * destroy the last good checkpoint).
 */
import { randomBytes } from 'node:crypto';
import { open, rename, unlink, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

export type AtomicWriter = (file: FileHandle) => Promise<void>;

/** Write `buf` fully; FileHandle.write may write less than asked. */
export async function writeAll(file: FileHandle, buf: Uint8Array): Promise<void> {
  let off = 0;
  while (off < buf.byteLength) {
    const { bytesWritten } = await file.write(buf, off, buf.byteLength - off);
    if (bytesWritten <= 0) throw new Error('short write');
    off += bytesWritten;
  }
}

/**
 * Write `data` (or whatever `data(file)` writes) to `path` atomically:
 * temp file in the same directory (rename is only atomic within a file
 * system), fsync the file, rename over `path`, then fsync the directory so
 * the rename itself survives a power loss. The temp file is removed on error.
 */
export async function writeFileAtomic(path: string, data: Uint8Array | string | AtomicWriter): Promise<void> {
  const dir = dirname(path);
  const tmp = join(dir, `.${basename(path)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  // 'wx' so we never clobber (or follow a symlink planted at) the temp name.
  const file = await open(tmp, 'wx', 0o666);
  let closed = false;
  try {
    if (typeof data === 'function') await data(file);
    else await writeAll(file, typeof data === 'string' ? Buffer.from(data, 'utf8') : data);
    await file.sync();
    closed = true;
    await file.close();
    await rename(tmp, path);
  } catch (err) {
    if (!closed) await file.close().catch(() => undefined);
    await unlink(tmp).catch(() => undefined);
    throw err;
  }
  await fsyncDir(dir);
}

async function fsyncDir(dir: string): Promise<void> {
  let handle: FileHandle | undefined;
  try {
    handle = await open(dir, 'r');
    await handle.sync();
  } catch (err) {
    // Some platforms/file systems cannot fsync a directory; the data itself
    // is already durable, so this is best effort.
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'EISDIR' && code !== 'EINVAL' && code !== 'EPERM' && code !== 'EACCES' && code !== 'ENOTSUP') {
      throw err;
    }
  } finally {
    await handle?.close().catch(() => undefined);
  }
}
