// A reader for NumPy .npy files (format versions 1-3): unicode (`<U..`), byte-string (`|S..`)
// and plain numeric arrays. Object arrays are pickled Python objects and are refused.
import { readFileSync } from 'node:fs';

export type NpyData = string[] | Float32Array | Float64Array | Int8Array | Int16Array | Int32Array | BigInt64Array | Uint8Array | Uint16Array | Uint32Array | BigUint64Array;

export interface NpyArray {
  /** The numpy dtype string, e.g. '<U12' or '<f4'. */
  descr: string;
  shape: number[];
  fortranOrder: boolean;
  /** Elements in file order (C order unless fortranOrder). */
  data: NpyData;
}

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

function headerField(header: string, name: string): string {
  const m = new RegExp(`['"]${name}['"]\\s*:\\s*`).exec(header);
  if (!m) throw new Error(`npy: header has no '${name}': ${header}`);
  return header.slice(m.index + m[0].length);
}

function parseHeader(header: string): { descr: string; fortranOrder: boolean; shape: number[] } {
  const d = /^(['"])(.*?)\1/.exec(headerField(header, 'descr'));
  if (!d) throw new Error(`npy: unsupported dtype description (structured arrays are not supported): ${header}`);
  const f = /^(True|False)/.exec(headerField(header, 'fortran_order'));
  if (!f) throw new Error(`npy: bad fortran_order in ${header}`);
  const s = /^\(([^)]*)\)/.exec(headerField(header, 'shape'));
  if (!s) throw new Error(`npy: bad shape in ${header}`);
  const shape = s[1]!
    .split(',')
    .map((x) => x.trim())
    .filter((x) => x !== '')
    .map((x) => {
      const n = Number(x.replace(/L$/, ''));
      if (!Number.isSafeInteger(n) || n < 0) throw new Error(`npy: bad dimension '${x}'`);
      return n;
    });
  return { descr: d[2]!, fortranOrder: f[1] === 'True', shape };
}

const NUMERIC: Record<string, [number, (b: ArrayBuffer, off: number, n: number) => NpyData]> = {
  f4: [4, (b, o, n) => new Float32Array(b, o, n)],
  f8: [8, (b, o, n) => new Float64Array(b, o, n)],
  i1: [1, (b, o, n) => new Int8Array(b, o, n)],
  i2: [2, (b, o, n) => new Int16Array(b, o, n)],
  i4: [4, (b, o, n) => new Int32Array(b, o, n)],
  i8: [8, (b, o, n) => new BigInt64Array(b, o, n)],
  u1: [1, (b, o, n) => new Uint8Array(b, o, n)],
  u2: [2, (b, o, n) => new Uint16Array(b, o, n)],
  u4: [4, (b, o, n) => new Uint32Array(b, o, n)],
  u8: [8, (b, o, n) => new BigUint64Array(b, o, n)],
  b1: [1, (b, o, n) => new Uint8Array(b, o, n)],
};

/** Parses the bytes of a .npy file. */
export function parseNpy(bytes: Uint8Array): NpyArray {
  if (bytes.length < 10 || MAGIC.some((v, i) => bytes[i] !== v)) throw new Error('npy: not a NumPy .npy file (bad magic)');
  const major = bytes[6]!;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let headerLen: number;
  let start: number;
  if (major === 1) {
    headerLen = view.getUint16(8, true);
    start = 10;
  } else if (major === 2 || major === 3) {
    headerLen = view.getUint32(8, true);
    start = 12;
  } else throw new Error(`npy: unsupported format version ${major}`);
  const header = new TextDecoder(major === 3 ? 'utf-8' : 'latin1').decode(bytes.subarray(start, start + headerLen));
  const { descr, fortranOrder, shape } = parseHeader(header);
  const dataStart = start + headerLen;
  const n = shape.reduce((a, b) => a * b, 1);
  const order = descr[0]!;
  const kind = descr.slice(1);
  if (kind === 'O') throw new Error('npy: object arrays hold pickled Python objects and are not read; save the words with a str dtype (np.array(words, dtype=str))');

  const str = /^([US])(\d+)$/.exec(kind);
  if (str) {
    const width = Number(str[2]);
    const unit = str[1] === 'U' ? 4 : 1;
    const need = n * width * unit;
    if (bytes.length - dataStart < need) throw new Error(`npy: truncated data (${bytes.length - dataStart} of ${need} bytes)`);
    const big = order === '>';
    const out: string[] = new Array<string>(n);
    for (let i = 0; i < n; i++) {
      const base = dataStart + i * width * unit;
      let end = width;
      // numpy drops trailing NULs of fixed-width strings.
      while (end > 0 && (unit === 4 ? view.getUint32(base + (end - 1) * 4, !big) : bytes[base + end - 1]) === 0) end--;
      if (unit === 4) {
        const cps: number[] = new Array<number>(end);
        for (let j = 0; j < end; j++) cps[j] = view.getUint32(base + j * 4, !big);
        out[i] = String.fromCodePoint(...cps);
      } else out[i] = new TextDecoder('latin1').decode(bytes.subarray(base, base + end));
    }
    return { descr, shape, fortranOrder, data: out };
  }

  const num = NUMERIC[kind];
  if (!num) throw new Error(`npy: unsupported dtype '${descr}'`);
  const [size, make] = num;
  if (order === '>' && size > 1) throw new Error(`npy: big-endian numeric data ('${descr}') is not supported`);
  const need = n * size;
  if (bytes.length - dataStart < need) throw new Error(`npy: truncated data (${bytes.length - dataStart} of ${need} bytes)`);
  // Copy into a fresh, aligned buffer (a Node Buffer's slice would be a view into its pool).
  const copy = new Uint8Array(need);
  copy.set(bytes.subarray(dataStart, dataStart + need));
  return { descr, shape, fortranOrder, data: make(copy.buffer, 0, n) };
}

export function readNpy(path: string): NpyArray {
  return parseNpy(readFileSync(path));
}

/** A 1-D array of strings (e.g. the reference's `dict.npy` word list). */
export function readNpyStrings(path: string): string[] {
  const a = readNpy(path);
  if (!Array.isArray(a.data)) throw new Error(`npy: ${path} holds '${a.descr}' numbers, not strings`);
  if (a.shape.length !== 1) throw new Error(`npy: ${path} has shape (${a.shape.join(', ')}), expected a 1-D word list`);
  return a.data;
}
