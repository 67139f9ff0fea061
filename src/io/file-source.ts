/**
 * Positional, synchronous file access for lazily read tensor data.
 *
 * `StorageRecord.bytes()` is synchronous, so storages are read with
 * fs.readSync at a known offset. Each read reopens the file by path rather
 * than holding a descriptor for the lifetime of every record (which would
 * leak descriptors with nobody to close them), and checks that the file is
 * still the one whose layout was parsed.
 */
import { closeSync, fstatSync, openSync, readSync, type Stats } from 'node:fs';
import { CheckpointError } from './errors.js';
import { PickleError, type ByteReader } from './pickle.js';

/** Identity of a file at the time its header was parsed. */
export interface FileSnapshot {
  path: string;
  size: number;
  ino: number;
  dev: number;
  mtimeMs: number;
}

export function snapshotOf(path: string, st: Stats): FileSnapshot {
  return { path, size: st.size, ino: st.ino, dev: st.dev, mtimeMs: st.mtimeMs };
}

const MAX_CHUNK = 1 << 30;

/** Fill `out` from `fd` at `position`, looping over short reads. */
export function readFully(fd: number, out: Uint8Array, position: number): void {
  let done = 0;
  while (done < out.byteLength) {
    const len = Math.min(out.byteLength - done, MAX_CHUNK);
    const n = readSync(fd, out, done, len, position + done);
    if (n <= 0) throw new Error(`unexpected end of file at offset ${position + done}`);
    done += n;
  }
}

/**
 * Read `length` bytes at `position` of the snapshotted file. Throws a
 * CheckpointError naming the file if it was replaced or truncated since.
 */
export function readAt(snap: FileSnapshot, position: number, length: number): Uint8Array {
  if (position < 0 || length < 0 || position + length > snap.size) {
    throw new CheckpointError(snap.path, `truncated: needs bytes ${position}..${position + length} of ${snap.size}`);
  }
  let fd: number;
  try {
    fd = openSync(snap.path, 'r');
  } catch (err) {
    throw new CheckpointError(snap.path, `cannot reopen to read tensor data: ${(err as Error).message}`, { cause: err });
  }
  try {
    const st = fstatSync(fd);
    if (st.size !== snap.size || st.ino !== snap.ino || st.dev !== snap.dev || st.mtimeMs !== snap.mtimeMs) {
      throw new CheckpointError(snap.path, 'file changed since it was opened; open it again');
    }
    // allocUnsafe: every byte is overwritten by the read below.
    const buf = Buffer.allocUnsafe(length);
    readFully(fd, buf, position);
    return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
  } finally {
    closeSync(fd);
  }
}

/**
 * Buffered sequential reader over a window [start, end) of an open file, for
 * pickles embedded in a larger file (legacy and tar formats).
 */
export class FileByteReader implements ByteReader {
  private buf = new Uint8Array(0);
  private bufStart = 0;
  private pos: number;

  constructor(
    private readonly fd: number,
    start: number,
    private readonly end: number,
    private readonly chunk = 1 << 16,
  ) {
    this.pos = start;
  }

  get position(): number {
    return this.pos;
  }

  /** Move to an absolute offset (skipping raw data between pickles). */
  seek(pos: number): void {
    this.pos = pos;
  }

  private ensure(n: number): void {
    const have = this.bufStart + this.buf.byteLength - this.pos;
    if (this.pos >= this.bufStart && have >= n) return;
    const want = Math.min(Math.max(n, this.chunk), this.end - this.pos);
    const b = new Uint8Array(want);
    readFully(this.fd, b, this.pos);
    this.buf = b;
    this.bufStart = this.pos;
  }

  read(n: number): Uint8Array {
    if (!Number.isSafeInteger(n) || n < 0 || n > this.end - this.pos) {
      throw new PickleError(`truncated: wanted ${n} bytes at offset ${this.pos}, ${this.end - this.pos} left`);
    }
    this.ensure(n);
    const off = this.pos - this.bufStart;
    this.pos += n;
    return this.buf.subarray(off, off + n);
  }

  readLine(): Uint8Array {
    // Lines in pickles are short (module/class names, numbers); cap the scan.
    const limit = Math.min(this.end - this.pos, 1 << 20);
    let len = Math.min(256, limit);
    for (;;) {
      this.ensure(len);
      const off = this.pos - this.bufStart;
      const nl = this.buf.subarray(off, off + len).indexOf(0x0a);
      if (nl >= 0) {
        const line = this.buf.subarray(off, off + nl);
        this.pos += nl + 1;
        return line;
      }
      if (len >= limit) throw new PickleError(`truncated: unterminated line at offset ${this.pos}`);
      len = Math.min(len * 4, limit);
    }
  }
}
