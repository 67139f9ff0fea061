// NumPy .npy writing (format 1.0, or 2.0 for headers over 64 KiB), C order, little-endian: the
// counterpart of src/models/npy.ts's reader, so embeddings load with a plain `np.load(path)`.
import type { FileHandle } from 'node:fs/promises';
import { writeAll, writeFileAtomic } from './atomic.js';

export type NpyWritable = Float32Array | Float64Array | Int32Array | BigInt64Array | Uint8Array | Int8Array;

const DESCR: [new (...a: never[]) => NpyWritable, string][] = [
  [Float32Array, '<f4'],
  [Float64Array, '<f8'],
  [Int32Array, '<i4'],
  [BigInt64Array, '<i8'],
  [Uint8Array, '|u1'],
  [Int8Array, '|i1'],
];

/** The numpy dtype string of a typed array ('<f4' for Float32Array...). */
export function npyDescr(data: NpyWritable): string {
  for (const [ctor, d] of DESCR) if (data instanceof ctor) return d;
  throw new TypeError('npy: unsupported typed array');
}

function checkShape(shape: readonly number[]): number {
  for (const s of shape) if (!Number.isSafeInteger(s) || s < 0) throw new RangeError(`npy: bad dimension ${s} in shape [${shape.join(', ')}]`);
  return shape.reduce((a, b) => a * b, 1);
}

/**
 * The header bytes (magic, version, length, dict) for `descr` and `shape`: padded with spaces and
 * a final newline so that the data starts at a multiple of 64 bytes, as numpy writes it.
 */
export function npyHeader(descr: string, shape: readonly number[]): Uint8Array {
  checkShape(shape);
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  const dict = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shapeText}, }`;
  const build = (major: 1 | 2): Uint8Array => {
    const pre = major === 1 ? 10 : 12;
    const total = Math.ceil((pre + dict.length + 1) / 64) * 64;
    const text = dict.padEnd(total - pre - 1, ' ') + '\n';
    const out = new Uint8Array(total);
    out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, major, 0]);
    const view = new DataView(out.buffer);
    if (major === 1) view.setUint16(8, text.length, true);
    else view.setUint32(8, text.length, true);
    for (let i = 0; i < text.length; i++) out[pre + i] = text.charCodeAt(i);
    return out;
  };
  const v1 = build(1);
  return v1.length - 10 <= 0xffff ? v1 : build(2);
}

function bytesOf(data: NpyWritable): Uint8Array {
  // Typed arrays are platform-endian; every platform Node runs gdt on is little-endian.
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

/** A whole .npy file in memory. */
export function encodeNpy(data: NpyWritable, shape: readonly number[]): Uint8Array {
  const n = checkShape(shape);
  if (n !== data.length) throw new RangeError(`npy: shape [${shape.join(', ')}] holds ${n} elements, the data ${data.length}`);
  const h = npyHeader(npyDescr(data), shape);
  const out = new Uint8Array(h.length + data.byteLength);
  out.set(h);
  out.set(bytesOf(data), h.length);
  return out;
}

/** Writes `data` with `shape` to `path` atomically (temp file + rename). */
export async function writeNpy(path: string, data: NpyWritable, shape: readonly number[]): Promise<void> {
  await writeFileAtomic(path, encodeNpy(data, shape));
}

/**
 * Writes a large array piece by piece, atomically: `fill(write)` must hand over exactly
 * prod(shape) elements of `descr`'s type, in C order (checked before the file replaces `path`).
 */
export async function writeNpyStream(path: string, descr: string, shape: readonly number[], fill: (write: (chunk: NpyWritable) => Promise<void>) => Promise<void>): Promise<void> {
  const n = checkShape(shape);
  await writeFileAtomic(path, async (fh: FileHandle) => {
    await writeAll(fh, npyHeader(descr, shape));
    let written = 0;
    await fill(async (chunk) => {
      if (npyDescr(chunk) !== descr) throw new TypeError(`npy: chunk of ${npyDescr(chunk)} written to a ${descr} array`);
      written += chunk.length;
      if (written > n) throw new RangeError(`npy: more than the ${n} elements of shape [${shape.join(', ')}] written`);
      await writeAll(fh, bytesOf(chunk));
    });
    if (written !== n) throw new RangeError(`npy: ${written} of the ${n} elements of shape [${shape.join(', ')}] written`);
  });
}
