/**
 * Writer for `.pth` files in torch's zip layout (torch ≥ 1.6), loadable by
 * Python's `torch.load(f, weights_only=True)`:
 *
 *   archive/data.pkl    protocol-2 pickle of the object; tensors are
 *                       torch._utils._rebuild_tensor_v2(storage, offset,
 *                       size, stride, requires_grad, OrderedDict()) with the
 *                       storage as persistent id
 *                       ('storage', torch.FloatStorage, '<key>', 'cpu', numel)
 *   archive/data/<key>  raw little-endian storage bytes, one per storage
 *   archive/version     "3\n"
 *   archive/byteorder   "little"
 *
 * Entries are stored uncompressed and each one's data starts on a 64-byte
 * boundary (padding in an 'FB' extra field, as torch does) so loaders can map
 * storages in place. Tensors that share a StorageRecord share one storage in
 * the file, so views keep their offsets and strides.
 *
 * Only opcodes torch 1.13's weights_only unpickler understands are emitted
 * for dicts, lists, ints, strings, bools, None and tensors. Non-integral
 * numbers need BINFLOAT, which that old restricted unpickler lacks (newer
 * torch accepts it); bytes and sets use globals it does not allow, so those
 * load with weights_only=False only.
 *
 * JS → Python: Map and plain objects → dict, written as OrderedDict when the
 * Map is flagged (isOrderedDict) or when every value is a tensor (a state
 * dict); arrays → list (arrays used as dict keys → tuple); integral numbers
 * and bigints → int, other numbers and PyFloat → float; string → str;
 * boolean → bool; null/undefined → None; Uint8Array → bytes; Set → set;
 * TensorRecord → tensor. Attributes from setPyAttributes (a state dict's
 * `_metadata`) are restored with BUILD. Plain objects list integer-like keys
 * first (a JS rule); use a Map to control key order or for non-string keys.
 */
import { writeAll, writeFileAtomic } from './atomic.js';
import { crc32 } from './crc32.js';
import { CheckpointError, asCheckpointError, quote } from './errors.js';
import { isOrderedDict, pyAttributes } from './pickle.js';
import {
  dtypeSize,
  isTensorRecord,
  validateTensorRecord,
  type DType,
  type StorageRecord,
  type TensorRecord,
} from './tensor-record.js';

/** Forces a number to be written as a Python float (e.g. 1.0, which JS cannot tell from 1). */
export class PyFloat {
  constructor(readonly value: number) {}
}

export interface WriteTorchOptions {
  /** Top-level folder inside the zip; torch ≥ 1.13 writes 'archive'. */
  archiveName?: string;
  /** Use zip64 records even for small files (they are used automatically past 4 GiB). */
  forceZip64?: boolean;
}

const STORAGE_CLASS: Readonly<Record<DType, string>> = {
  float32: 'FloatStorage',
  float64: 'DoubleStorage',
  float16: 'HalfStorage',
  bfloat16: 'BFloat16Storage',
  int64: 'LongStorage',
  int32: 'IntStorage',
  int16: 'ShortStorage',
  int8: 'CharStorage',
  uint8: 'ByteStorage',
  bool: 'BoolStorage',
  complex64: 'ComplexFloatStorage',
  complex128: 'ComplexDoubleStorage',
};

/** Growable output buffer for the pickle. */
class ByteSink {
  private buf = new Uint8Array(1024);
  length = 0;
  private reserve(n: number): void {
    if (this.length + n <= this.buf.byteLength) return;
    let cap = this.buf.byteLength * 2;
    while (cap < this.length + n) cap *= 2;
    const next = new Uint8Array(cap);
    next.set(this.buf.subarray(0, this.length));
    this.buf = next;
  }
  byte(b: number): void {
    this.reserve(1);
    this.buf[this.length++] = b;
  }
  bytes(b: Uint8Array): void {
    this.reserve(b.byteLength);
    this.buf.set(b, this.length);
    this.length += b.byteLength;
  }
  u16(v: number): void {
    this.byte(v & 0xff);
    this.byte((v >>> 8) & 0xff);
  }
  u32(v: number): void {
    this.reserve(4);
    new DataView(this.buf.buffer).setUint32(this.length, v, true);
    this.length += 4;
  }
  i32(v: number): void {
    this.reserve(4);
    new DataView(this.buf.buffer).setInt32(this.length, v, true);
    this.length += 4;
  }
  f64be(v: number): void {
    this.reserve(8);
    new DataView(this.buf.buffer).setFloat64(this.length, v, false);
    this.length += 8;
  }
  result(): Uint8Array {
    return this.buf.slice(0, this.length);
  }
}

const enc = new TextEncoder();
const BATCH = 1000; // like CPython: APPENDS/SETITEMS in chunks keep the mark stack shallow

interface PlannedStorage {
  key: string;
  storage: StorageRecord;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null) return false;
  const proto = Object.getPrototypeOf(v) as unknown;
  return proto === Object.prototype || proto === null;
}

/** Pickles a JS value the way torch.save would pickle the equivalent Python one. */
class TorchPickler {
  private readonly out = new ByteSink();
  private readonly memo = new Map<unknown, number>();
  readonly storages = new Map<StorageRecord, PlannedStorage>();
  private readonly path: string[] = [];

  dump(value: unknown): Uint8Array {
    this.out.byte(0x80);
    this.out.byte(2); // PROTO 2, as torch.save uses by default
    this.save(value);
    this.out.byte(0x2e); // STOP
    return this.out.result();
  }

  private fail(reason: string): never {
    const where = this.path.length ? ` at ${quote(this.path.join('.'), 120)}` : '';
    throw new CheckpointError(undefined, `${reason}${where}`);
  }

  private put(obj: unknown): void {
    const idx = this.memo.size;
    this.memo.set(obj, idx);
    if (idx < 256) {
      this.out.byte(0x71); // BINPUT
      this.out.byte(idx);
    } else {
      this.out.byte(0x72); // LONG_BINPUT
      this.out.u32(idx);
    }
  }

  /** Emit BINGET for an already-pickled object; true if it was. */
  private get(obj: unknown): boolean {
    const idx = this.memo.get(obj);
    if (idx === undefined) return false;
    if (idx < 256) {
      this.out.byte(0x68); // BINGET
      this.out.byte(idx);
    } else {
      this.out.byte(0x6a); // LONG_BINGET
      this.out.u32(idx);
    }
    return true;
  }

  private global(module: string, name: string): void {
    const key = `global:${module}\n${name}`;
    if (this.get(key)) return;
    this.out.byte(0x63); // GLOBAL
    this.out.bytes(enc.encode(`${module}\n${name}\n`));
    this.put(key);
  }

  private str(s: string): void {
    const b = enc.encode(s);
    this.out.byte(0x58); // BINUNICODE
    this.out.u32(b.byteLength);
    this.out.bytes(b);
  }

  private int(v: number | bigint): void {
    if (typeof v === 'number' && v >= 0 && v < 256) {
      this.out.byte(0x4b); // BININT1
      this.out.byte(v);
    } else if (typeof v === 'number' && v >= 0 && v < 65536) {
      this.out.byte(0x4d); // BININT2
      this.out.u16(v);
    } else if (v >= -0x80000000 && v <= 0x7fffffff) {
      this.out.byte(0x4a); // BININT
      this.out.i32(Number(v));
    } else {
      // LONG1: minimal little-endian two's complement.
      let x = BigInt(v);
      const bytes: number[] = [];
      while (true) {
        bytes.push(Number(x & 0xffn));
        x >>= 8n;
        const signBit = (bytes[bytes.length - 1]! & 0x80) !== 0;
        if ((x === 0n && !signBit) || (x === -1n && signBit)) break;
      }
      if (bytes.length > 255) this.fail('integer too large');
      this.out.byte(0x8a);
      this.out.byte(bytes.length);
      this.out.bytes(Uint8Array.from(bytes));
    }
  }

  private float(v: number): void {
    this.out.byte(0x47); // BINFLOAT (big-endian)
    this.out.f64be(v);
  }

  private tuple(items: readonly unknown[]): void {
    if (items.length === 0) {
      this.out.byte(0x29); // EMPTY_TUPLE
      return;
    }
    if (items.length > 3) this.out.byte(0x28); // MARK
    for (const x of items) this.save(x);
    this.out.byte(items.length === 1 ? 0x85 : items.length === 2 ? 0x86 : items.length === 3 ? 0x87 : 0x74);
  }

  private save(v: unknown): void {
    if (v === null || v === undefined) return this.out.byte(0x4e); // NONE
    if (typeof v === 'boolean') return this.out.byte(v ? 0x88 : 0x89);
    if (typeof v === 'bigint') return this.int(v);
    if (typeof v === 'number') {
      if (Number.isSafeInteger(v) && !Object.is(v, -0)) return this.int(v);
      return this.float(v);
    }
    if (typeof v === 'string') return this.str(v);
    if (v instanceof PyFloat) return this.float(v.value);
    if (typeof v !== 'object') this.fail(`cannot pickle a ${typeof v}`);
    if (this.get(v)) return;

    if (isTensorRecord(v)) return this.tensor(v);
    if (v instanceof Uint8Array) return this.bytes(v);
    if (Array.isArray(v)) return this.list(v);
    if (v instanceof Set) {
      this.global('__builtin__', 'set');
      this.out.byte(0x5d); // EMPTY_LIST
      this.appends([...v]);
      this.out.byte(0x85); // TUPLE1
      this.out.byte(0x52); // REDUCE
      this.put(v);
      return;
    }
    if (v instanceof Map) return this.dict(v, [...v.entries()], isOrderedDict(v) || isStateDict(v.values()), v);
    if (isPlainObject(v)) {
      return this.dict(v, Object.entries(v), isStateDict(Object.values(v)), v);
    }
    this.fail(`cannot pickle ${v.constructor?.name ?? 'object'}`);
  }

  private bytes(b: Uint8Array): void {
    // Protocol 2 has no bytes opcode; CPython writes _codecs.encode(latin1 text, 'latin1').
    if (b.byteLength === 0) {
      this.global('__builtin__', 'bytes');
      this.out.byte(0x29);
    } else {
      this.global('_codecs', 'encode');
      let text = '';
      for (let i = 0; i < b.byteLength; i += 0x8000) text += String.fromCharCode(...b.subarray(i, i + 0x8000));
      this.str(text);
      this.str('latin1');
      this.out.byte(0x86);
    }
    this.out.byte(0x52);
    this.put(b);
  }

  private appends(items: readonly unknown[]): void {
    for (let i = 0; i < items.length; i += BATCH) {
      this.out.byte(0x28); // MARK
      const end = Math.min(items.length, i + BATCH);
      for (let j = i; j < end; j++) {
        this.path.push(`[${j}]`);
        this.save(items[j]);
        this.path.pop();
      }
      this.out.byte(0x65); // APPENDS
    }
  }

  private list(v: readonly unknown[]): void {
    this.out.byte(0x5d); // EMPTY_LIST
    this.put(v); // before the items, so a list containing itself round-trips
    this.appends(v);
  }

  private key(k: unknown): void {
    // Arrays are only hashable in Python as tuples.
    if (Array.isArray(k)) {
      if (k.some((x) => typeof x === 'object' && x !== null && !Array.isArray(x))) this.fail('unhashable dict key');
      this.out.byte(0x28);
      for (const x of k) this.key(x);
      this.out.byte(0x74);
      return;
    }
    if (typeof k === 'object' && k !== null) this.fail('unhashable dict key');
    this.save(k);
  }

  private dict(obj: object, entries: Array<[unknown, unknown]>, ordered: boolean, memoKey: unknown): void {
    if (ordered) {
      this.global('collections', 'OrderedDict');
      this.out.byte(0x29); // EMPTY_TUPLE
      this.out.byte(0x52); // REDUCE
    } else {
      this.out.byte(0x7d); // EMPTY_DICT
    }
    this.put(memoKey);
    for (let i = 0; i < entries.length; i += BATCH) {
      this.out.byte(0x28); // MARK
      const end = Math.min(entries.length, i + BATCH);
      for (let j = i; j < end; j++) {
        const [k, val] = entries[j]!;
        this.key(k);
        this.path.push(typeof k === 'string' ? k : String(k));
        this.save(val);
        this.path.pop();
      }
      this.out.byte(0x75); // SETITEMS
    }
    const attrs = pyAttributes(obj);
    if (attrs && attrs.size > 0) {
      // OrderedDict.__reduce__ carries instance attributes (e.g. a state
      // dict's _metadata) as BUILD state; torch's loaders rely on it.
      this.dict(attrs, [...attrs.entries()], false, attrs);
      this.out.byte(0x62); // BUILD
    }
  }

  private tensor(t: TensorRecord): void {
    try {
      validateTensorRecord(t);
    } catch (err) {
      this.fail(`invalid tensor (${(err as Error).message})`);
    }
    let planned = this.storages.get(t.storage);
    if (!planned) {
      planned = { key: String(this.storages.size), storage: t.storage };
      this.storages.set(t.storage, planned);
    }
    this.global('torch._utils', '_rebuild_tensor_v2');
    this.out.byte(0x28); // MARK (args tuple)
    this.out.byte(0x28); // MARK (persistent id tuple)
    this.str('storage');
    this.global('torch', STORAGE_CLASS[t.dtype]);
    this.str(planned.key);
    this.str('cpu');
    this.int(t.storage.numel);
    this.out.byte(0x74); // TUPLE
    this.out.byte(0x51); // BINPERSID
    this.int(t.storageOffset);
    this.tuple(t.shape);
    this.tuple(t.strides);
    this.out.byte(t.requiresGrad ? 0x88 : 0x89);
    this.global('collections', 'OrderedDict'); // backward hooks: always empty
    this.out.byte(0x29);
    this.out.byte(0x52);
    this.out.byte(0x74); // TUPLE
    this.out.byte(0x52); // REDUCE
    this.put(t);
  }
}

function isStateDict(values: Iterable<unknown>): boolean {
  let any = false;
  for (const v of values) {
    if (!isTensorRecord(v)) return false;
    any = true;
  }
  return any;
}

// ------------------------------------------------------------------ zip

interface ZipItem {
  name: string;
  size: number;
  data: () => Uint8Array;
}

const U32_MAX = 0xffffffff;
const ALIGN = 64;
const DOS_DATE_1980_01_01 = (0 << 9) | (1 << 5) | 1;

/**
 * Stream a stored (uncompressed) zip with 64-byte aligned entry data.
 * Sizes and CRCs go in the local headers (no data descriptors), which every
 * zip reader including torch's miniz accepts.
 */
async function writeZip(
  write: (b: Uint8Array) => Promise<void>,
  items: ZipItem[],
  forceZip64: boolean,
): Promise<void> {
  let offset = 0;
  const central: Uint8Array[] = [];
  const emit = async (b: Uint8Array): Promise<void> => {
    await write(b);
    offset += b.byteLength;
  };

  for (const item of items) {
    const data = item.data();
    if (data.byteLength !== item.size) throw new CheckpointError(undefined, `${item.name} changed size while writing`);
    const crc = crc32(data);
    const name = enc.encode(item.name);
    const headerOffset = offset;
    const zip64 = forceZip64 || item.size >= U32_MAX || headerOffset >= U32_MAX;
    const z64Local = zip64 ? 20 : 0;
    const base = headerOffset + 30 + name.byteLength + z64Local + 4;
    const pad = (ALIGN - (base % ALIGN)) % ALIGN;
    const extraLen = z64Local + 4 + pad;

    const h = new Uint8Array(30 + name.byteLength + extraLen);
    const dv = new DataView(h.buffer);
    dv.setUint32(0, 0x04034b50, true);
    dv.setUint16(4, zip64 ? 45 : 20, true);
    dv.setUint16(6, 0, true);
    dv.setUint16(8, 0, true); // stored
    dv.setUint16(10, 0, true);
    dv.setUint16(12, DOS_DATE_1980_01_01, true);
    dv.setUint32(14, crc, true);
    dv.setUint32(18, zip64 ? U32_MAX : item.size, true);
    dv.setUint32(22, zip64 ? U32_MAX : item.size, true);
    dv.setUint16(26, name.byteLength, true);
    dv.setUint16(28, extraLen, true);
    h.set(name, 30);
    let p = 30 + name.byteLength;
    if (zip64) {
      dv.setUint16(p, 0x0001, true);
      dv.setUint16(p + 2, 16, true);
      dv.setBigUint64(p + 4, BigInt(item.size), true);
      dv.setBigUint64(p + 12, BigInt(item.size), true);
      p += 20;
    }
    dv.setUint16(p, 0x4246, true); // 'FB': torch's padding field
    dv.setUint16(p + 2, pad, true);
    h.fill(0x5a, p + 4, p + 4 + pad); // 'Z'
    await emit(h);
    await emit(data);

    const cz64 = zip64 ? 28 : 0;
    const c = new Uint8Array(46 + name.byteLength + cz64);
    const cv = new DataView(c.buffer);
    cv.setUint32(0, 0x02014b50, true);
    cv.setUint16(4, 45, true);
    cv.setUint16(6, zip64 ? 45 : 20, true);
    cv.setUint16(8, 0, true);
    cv.setUint16(10, 0, true);
    cv.setUint16(12, 0, true);
    cv.setUint16(14, DOS_DATE_1980_01_01, true);
    cv.setUint32(16, crc, true);
    cv.setUint32(20, zip64 ? U32_MAX : item.size, true);
    cv.setUint32(24, zip64 ? U32_MAX : item.size, true);
    cv.setUint16(28, name.byteLength, true);
    cv.setUint16(30, cz64, true);
    cv.setUint32(42, zip64 ? U32_MAX : headerOffset, true);
    c.set(name, 46);
    if (zip64) {
      const q = 46 + name.byteLength;
      cv.setUint16(q, 0x0001, true);
      cv.setUint16(q + 2, 24, true);
      cv.setBigUint64(q + 4, BigInt(item.size), true);
      cv.setBigUint64(q + 12, BigInt(item.size), true);
      cv.setBigUint64(q + 20, BigInt(headerOffset), true);
    }
    central.push(c);
  }

  const cdOffset = offset;
  for (const c of central) await emit(c);
  const cdSize = offset - cdOffset;
  const zip64End = forceZip64 || items.length >= 0xffff || cdOffset >= U32_MAX || cdSize >= U32_MAX;
  if (zip64End) {
    const z = new Uint8Array(56 + 20);
    const zv = new DataView(z.buffer);
    zv.setUint32(0, 0x06064b50, true);
    zv.setBigUint64(4, 44n, true);
    zv.setUint16(12, 45, true);
    zv.setUint16(14, 45, true);
    zv.setBigUint64(24, BigInt(items.length), true);
    zv.setBigUint64(32, BigInt(items.length), true);
    zv.setBigUint64(40, BigInt(cdSize), true);
    zv.setBigUint64(48, BigInt(cdOffset), true);
    zv.setUint32(56, 0x07064b50, true); // locator
    zv.setBigUint64(64, BigInt(offset), true);
    zv.setUint32(72, 1, true);
    await emit(z);
  }
  const e = new Uint8Array(22);
  const ev = new DataView(e.buffer);
  ev.setUint32(0, 0x06054b50, true);
  ev.setUint16(8, zip64End ? 0xffff : items.length, true);
  ev.setUint16(10, zip64End ? 0xffff : items.length, true);
  ev.setUint32(12, zip64End ? U32_MAX : cdSize, true);
  ev.setUint32(16, zip64End ? U32_MAX : cdOffset, true);
  await emit(e);
}

/** The pickle and the storages it references, without touching the disk. */
export function pickleTorchObject(obj: unknown): { pickle: Uint8Array; storages: Array<{ key: string; storage: StorageRecord }> } {
  const p = new TorchPickler();
  const pickle = p.dump(obj);
  return { pickle, storages: [...p.storages.values()] };
}

/**
 * Save `obj` like `torch.save(obj, path)`: zip layout, atomic replace
 * (temp file, fsync, rename). Storages are read (`bytes()`) one at a time
 * while streaming, so peak memory is one storage.
 */
export async function writeTorchFile(path: string, obj: unknown, options: WriteTorchOptions = {}): Promise<void> {
  try {
    const archive = options.archiveName ?? 'archive';
    if (!/^[A-Za-z0-9_.-]{1,100}$/.test(archive) || archive === '.' || archive === '..') {
      throw new CheckpointError(undefined, `invalid archive name ${JSON.stringify(quote(archive, 40))}`);
    }
    const { pickle, storages } = pickleTorchObject(obj);
    const items: ZipItem[] = [{ name: `${archive}/data.pkl`, size: pickle.byteLength, data: () => pickle }];
    for (const { key, storage } of storages) {
      const size = storage.numel * dtypeSize(storage.dtype);
      items.push({ name: `${archive}/data/${key}`, size, data: () => storage.bytes() });
    }
    const small = (name: string, text: string): ZipItem => {
      const b = enc.encode(text);
      return { name: `${archive}/${name}`, size: b.byteLength, data: () => b };
    };
    items.push(small('version', '3\n'), small('byteorder', 'little'));
    await writeFileAtomic(path, (fh) => writeZip((b) => writeAll(fh, b), items, options.forceZip64 ?? false));
  } catch (err) {
    throw asCheckpointError(path, err, 'cannot write torch file');
  }
}
