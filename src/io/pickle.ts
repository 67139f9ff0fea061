/**
 * A restricted unpickler for the pickles that torch.save writes.
 *
 * Python's pickle is a small stack machine whose GLOBAL/REDUCE opcodes can
 * call any importable function, which is how malicious checkpoints run code.
 * This implementation never calls anything: GLOBAL resolves a name against a
 * fixed allow-list of pure-data constructors implemented here (tensors,
 * storages, OrderedDict, numpy scalars, …); any other name is refused with
 * `refused global '<module>.<name>'` before a single argument is read.
 *
 * Python values map to JS as follows:
 *   None → null; bool → boolean; float → number;
 *   int → number when it is a safe integer, otherwise bigint;
 *   str → string; bytes/bytearray → Uint8Array;
 *   list and tuple → Array;
 *   dict, collections.OrderedDict and collections.Counter → Map (insertion
 *     order = pickle order,
 *     keys keep their Python type; `isOrderedDict()` tells the two apart and
 *     `pyAttributes()` returns instance attributes set by BUILD, e.g. a
 *     state dict's `_metadata`);
 *   set/frozenset → Set; argparse.Namespace → plain object of its attributes;
 *   numpy scalar → number/bigint/boolean; torch.device → string ('cuda:0');
 *   torch dtype (torch.float16 …) → DType string; torch.Size → Array;
 *   tensors and parameters → TensorRecord (storage from `persistentLoad`).
 */
import { CheckpointError, quote } from './errors.js';
import {
  dtypeSize,
  isDType,
  isStorageRecord,
  isTensorRecord,
  validateTensorRecord,
  type DType,
  type StorageRecord,
  type TensorRecord,
} from './tensor-record.js';

/** Raised for malformed or refused pickles; the readers add the file name. */
export class PickleError extends CheckpointError {
  constructor(reason: string, options?: { cause?: unknown }) {
    super(undefined, reason, options);
  }
}

/** Sequential byte source; implemented over memory and over files. */
export interface ByteReader {
  /** Offset of the next unread byte in the underlying source. */
  readonly position: number;
  /** Exactly `n` bytes; throws PickleError when fewer remain. */
  read(n: number): Uint8Array;
  /** Bytes up to (excluding) the next '\n', which is consumed. */
  readLine(): Uint8Array;
}

export class BufferReader implements ByteReader {
  private pos: number;
  constructor(
    private readonly data: Uint8Array,
    start = 0,
    private readonly end = data.byteLength,
  ) {
    this.pos = start;
  }
  get position(): number {
    return this.pos;
  }
  read(n: number): Uint8Array {
    if (!Number.isSafeInteger(n) || n < 0 || n > this.end - this.pos) {
      throw new PickleError(`truncated pickle: wanted ${n} bytes at offset ${this.pos}, ${this.end - this.pos} left`);
    }
    const out = this.data.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }
  readLine(): Uint8Array {
    const nl = this.data.subarray(0, this.end).indexOf(0x0a, this.pos);
    if (nl < 0) throw new PickleError(`truncated pickle: unterminated line at offset ${this.pos}`);
    const out = this.data.subarray(this.pos, nl);
    this.pos = nl + 1;
    return out;
  }
}

// ------------------------------------------------------------------ values

const ORDERED = Symbol('gdt.pickle.ordered');
const ATTRIBUTES = Symbol('gdt.pickle.attributes');

/** True for Maps that came from (or should be written as) collections.OrderedDict. */
export function isOrderedDict(value: unknown): value is Map<unknown, unknown> {
  return value instanceof Map && (value as unknown as Record<symbol, unknown>)[ORDERED] === true;
}

/** Flag a Map as an OrderedDict (non-enumerable, so equality checks ignore it). */
export function markOrderedDict<M extends Map<unknown, unknown>>(map: M): M {
  Object.defineProperty(map, ORDERED, { value: true, enumerable: false, configurable: true });
  return map;
}

/** Instance attributes attached by BUILD (OrderedDict.__dict__), if any. */
export function pyAttributes(value: object): Map<string, unknown> | undefined {
  return (value as Record<symbol, Map<string, unknown> | undefined>)[ATTRIBUTES];
}

/** Attach instance attributes, e.g. `_metadata` of a state dict, for the writer. */
export function setPyAttributes(value: object, attributes: Map<string, unknown>): void {
  Object.defineProperty(value, ATTRIBUTES, { value: attributes, enumerable: false, configurable: true, writable: true });
}

/** A torch storage class (torch.FloatStorage …), as referenced by persistent ids. */
export class PyStorageType {
  constructor(
    readonly name: string,
    readonly dtype: DType,
  ) {}
}

/** A legacy torch tensor class (torch.FloatTensor …), used by the tar format. */
export class PyTensorType {
  constructor(
    readonly name: string,
    readonly dtype: DType,
  ) {}
}

/** numpy.dtype as rebuilt from a pickle; only used to decode numpy scalars. */
export class PyNumpyDType {
  byteOrder = '=';
  constructor(readonly str: string) {}
}

/** What GLOBAL pushes for an allowed callable. Never leaks beyond the unpickler. */
class PyGlobal {
  constructor(
    readonly fullName: string,
    readonly impl: GlobalImpl,
  ) {}
}

interface GlobalImpl {
  /** f(*args) for REDUCE. */
  call?: (args: unknown[], u: Unpickler) => unknown;
  /** cls.__new__(cls, *args) for NEWOBJ / NEWOBJ_EX / INST / OBJ. */
  newObj?: (args: unknown[], u: Unpickler) => unknown;
}

type PersistentLoad = (pid: unknown) => unknown;

export interface UnpickleOptions {
  /** Resolves BINPERSID/PERSID ids (torch storages). Without it they are refused. */
  persistentLoad?: PersistentLoad;
}

// ------------------------------------------------------------------ allow-list

const STORAGE_DTYPES: ReadonlyArray<readonly [string, DType]> = [
  ['Float', 'float32'],
  ['Double', 'float64'],
  ['Half', 'float16'],
  ['BFloat16', 'bfloat16'],
  ['Long', 'int64'],
  ['Int', 'int32'],
  ['Short', 'int16'],
  ['Char', 'int8'],
  ['Byte', 'uint8'],
  ['Bool', 'bool'],
  ['ComplexFloat', 'complex64'],
  ['ComplexDouble', 'complex128'],
];

const NUMPY_SCALAR_MODULES = ['numpy.core.multiarray', 'numpy._core.multiarray'];

function fail(reason: string): never {
  throw new PickleError(reason);
}

function expectArgs(fn: string, args: unknown[], min: number, max = min): void {
  if (args.length < min || args.length > max) {
    fail(`${fn} expects ${min === max ? min : `${min}-${max}`} arguments, got ${args.length}`);
  }
}

function expectInt(fn: string, what: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v)) fail(`${fn}: ${what} must be an int`);
  return v;
}

function expectIntList(fn: string, what: string, v: unknown): number[] {
  if (!Array.isArray(v)) fail(`${fn}: ${what} must be a tuple`);
  return v.map((x) => expectInt(fn, what, x));
}

function expectBool(fn: string, what: string, v: unknown): boolean {
  if (typeof v !== 'boolean') fail(`${fn}: ${what} must be a bool`);
  return v;
}

function expectBytes(fn: string, v: unknown): Uint8Array {
  if (!(v instanceof Uint8Array)) fail(`${fn}: expected bytes`);
  return v;
}

function iterableItems(fn: string, v: unknown): unknown[] {
  if (Array.isArray(v)) return v;
  if (v instanceof Set) return [...v];
  if (v instanceof Map) return [...v.keys()];
  fail(`${fn}: expected an iterable`);
}

/** Storages reinterpreted by _rebuild_tensor_v3, cached so views keep sharing. */
const retypedStorages = new WeakMap<StorageRecord, Map<DType, StorageRecord>>();

function retypeStorage(storage: StorageRecord, dtype: DType): StorageRecord {
  if (storage.dtype === dtype) return storage;
  let byType = retypedStorages.get(storage);
  if (!byType) retypedStorages.set(storage, (byType = new Map()));
  const hit = byType.get(dtype);
  if (hit) return hit;
  const nbytes = storage.numel * dtypeSize(storage.dtype);
  if (nbytes % dtypeSize(dtype) !== 0) fail(`storage of ${nbytes} bytes cannot hold ${dtype} elements`);
  const retyped: StorageRecord = { key: storage.key, dtype, numel: nbytes / dtypeSize(dtype), bytes: storage.bytes };
  byType.set(dtype, retyped);
  return retyped;
}

function rebuildTensor(
  fn: string,
  storageArg: unknown,
  offsetArg: unknown,
  sizeArg: unknown,
  strideArg: unknown,
  requiresGrad: boolean | undefined,
  dtype?: DType,
): TensorRecord {
  if (!isStorageRecord(storageArg)) fail(`${fn}: first argument is not a storage`);
  const storage = dtype ? retypeStorage(storageArg, dtype) : storageArg;
  const record: TensorRecord = {
    dtype: storage.dtype,
    shape: expectIntList(fn, 'size', sizeArg),
    strides: expectIntList(fn, 'stride', strideArg),
    storageOffset: expectInt(fn, 'storage_offset', offsetArg),
    storage,
  };
  if (requiresGrad !== undefined) record.requiresGrad = requiresGrad;
  try {
    validateTensorRecord(record);
  } catch (err) {
    fail(`${fn}: ${(err as Error).message}`);
  }
  return record;
}

function asParameter(fn: string, data: unknown, requiresGrad: unknown): TensorRecord {
  if (!isTensorRecord(data)) fail(`${fn}: data is not a tensor`);
  return { ...data, requiresGrad: expectBool(fn, 'requires_grad', requiresGrad) };
}

function newNamespace(args: unknown[], kwargs?: unknown): Record<string, unknown> {
  if (args.length !== 0) fail('argparse.Namespace takes no positional arguments');
  const ns: Record<string, unknown> = {};
  if (kwargs instanceof Map) assignAttributes('argparse.Namespace', ns, kwargs);
  return ns;
}

function assignAttributes(fn: string, target: Record<string, unknown>, attrs: Map<unknown, unknown>): void {
  for (const [k, v] of attrs) {
    if (typeof k !== 'string') fail(`${fn}: attribute names must be strings`);
    // defineProperty rather than assignment: a key named __proto__ must stay data.
    Object.defineProperty(target, k, { value: v, enumerable: true, writable: true, configurable: true });
  }
}

function orderedDict(fn: string, args: unknown[]): Map<unknown, unknown> {
  expectArgs(fn, args, 0, 1);
  const map = markOrderedDict(new Map<unknown, unknown>());
  if (args.length === 1 && args[0] !== null) {
    const src = args[0];
    if (src instanceof Map) for (const [k, v] of src) map.set(k, v);
    else
      for (const pair of iterableItems(fn, src)) {
        if (!Array.isArray(pair) || pair.length !== 2) fail(`${fn}: items must be pairs`);
        map.set(pair[0], pair[1]);
      }
  }
  return map;
}

function decodeLatin1(s: string, fn: string): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c > 0xff) fail(`${fn}: character out of latin-1 range`);
    out[i] = c;
  }
  return out;
}

function numpyScalar(args: unknown[]): unknown {
  const fn = 'numpy scalar';
  expectArgs(fn, args, 1, 2);
  const dt = args[0];
  if (!(dt instanceof PyNumpyDType)) fail(`${fn}: first argument is not a numpy dtype`);
  const data = args.length === 2 ? expectBytes(fn, args[1]) : new Uint8Array(0);
  const m = /^([<>|=]?)([biuf])(\d+)$/.exec(dt.str);
  if (!m) fail(`${fn}: unsupported numpy dtype ${JSON.stringify(quote(dt.str, 20))}`);
  const kind = m[2]!;
  const size = Number(m[3]);
  if (data.byteLength !== size) fail(`${fn}: ${dt.str} needs ${size} bytes, got ${data.byteLength}`);
  const order = m[1] || dt.byteOrder;
  const little = order !== '>';
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  if (kind === 'b' && size === 1) return data[0] !== 0;
  if (kind === 'f' && size === 8) return view.getFloat64(0, little);
  if (kind === 'f' && size === 4) return view.getFloat32(0, little);
  if (kind === 'f' && size === 2) return halfToNumber(view.getUint16(0, little));
  if (kind === 'i' && size === 1) return view.getInt8(0);
  if (kind === 'u' && size === 1) return view.getUint8(0);
  if (kind === 'i' && size === 2) return view.getInt16(0, little);
  if (kind === 'u' && size === 2) return view.getUint16(0, little);
  if (kind === 'i' && size === 4) return view.getInt32(0, little);
  if (kind === 'u' && size === 4) return view.getUint32(0, little);
  if (kind === 'i' && size === 8) return normalizeInt(view.getBigInt64(0, little));
  if (kind === 'u' && size === 8) return normalizeInt(view.getBigUint64(0, little));
  fail(`${fn}: unsupported numpy dtype ${dt.str}`);
}

/** IEEE half → number; used for numpy float16 scalars. */
export function halfToNumber(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 0x1f) return frac ? NaN : sign * Infinity;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

function normalizeInt(v: bigint): number | bigint {
  return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
}

function buildAllowList(): Map<string, GlobalImpl | { value: unknown }> {
  const g = new Map<string, GlobalImpl | { value: unknown }>();

  g.set('collections.OrderedDict', {
    call: (args) => orderedDict('collections.OrderedDict', args),
    newObj: (args) => orderedDict('collections.OrderedDict', args),
  });

  // MultiStepLR keeps its milestones in a Counter, so real scheduler state
  // dicts contain one; it is a plain dict of counts (pickled as Counter(dict)).
  g.set('collections.Counter', {
    call: (a) => {
      expectArgs('collections.Counter', a, 0, 1);
      if (a.length === 0 || a[0] === null) return new Map();
      if (!(a[0] instanceof Map)) fail('collections.Counter: expected a dict');
      return new Map(a[0]);
    },
  });

  g.set('torch._utils._rebuild_tensor', {
    call: (a) => {
      expectArgs('_rebuild_tensor', a, 4);
      return rebuildTensor('_rebuild_tensor', a[0], a[1], a[2], a[3], undefined);
    },
  });
  g.set('torch._utils._rebuild_tensor_v2', {
    call: (a) => {
      // The 7th argument (metadata) appeared in torch 1.12 and is optional.
      expectArgs('_rebuild_tensor_v2', a, 6, 7);
      return rebuildTensor(
        '_rebuild_tensor_v2',
        a[0],
        a[1],
        a[2],
        a[3],
        expectBool('_rebuild_tensor_v2', 'requires_grad', a[4]),
      );
    },
  });
  g.set('torch._utils._rebuild_tensor_v3', {
    call: (a) => {
      expectArgs('_rebuild_tensor_v3', a, 7, 8);
      if (!isDType(a[6])) fail('_rebuild_tensor_v3: unsupported dtype');
      return rebuildTensor(
        '_rebuild_tensor_v3',
        a[0],
        a[1],
        a[2],
        a[3],
        expectBool('_rebuild_tensor_v3', 'requires_grad', a[4]),
        a[6],
      );
    },
  });
  g.set('torch._utils._rebuild_parameter', {
    call: (a) => {
      expectArgs('_rebuild_parameter', a, 3);
      return asParameter('_rebuild_parameter', a[0], a[1]);
    },
  });
  g.set('torch._utils._rebuild_parameter_with_state', {
    call: (a) => {
      expectArgs('_rebuild_parameter_with_state', a, 4);
      return asParameter('_rebuild_parameter_with_state', a[0], a[1]);
    },
  });

  for (const [prefix, dtype] of STORAGE_DTYPES) {
    for (const mod of ['torch', 'torch.cuda']) {
      g.set(`${mod}.${prefix}Storage`, { value: new PyStorageType(`${mod}.${prefix}Storage`, dtype) });
      g.set(`${mod}.${prefix}Tensor`, { value: new PyTensorType(`${mod}.${prefix}Tensor`, dtype) });
    }
  }
  g.set('torch.UntypedStorage', { value: new PyStorageType('torch.UntypedStorage', 'uint8') });
  g.set('torch.storage.UntypedStorage', { value: new PyStorageType('torch.storage.UntypedStorage', 'uint8') });

  for (const dtype of ['float32', 'float64', 'float16', 'bfloat16', 'int64', 'int32', 'int16', 'int8', 'uint8', 'bool', 'complex64', 'complex128'] as const) {
    g.set(`torch.${dtype}`, { value: dtype });
  }
  g.set('torch.strided', { value: 'strided' });
  g.set('torch.serialization._get_layout', {
    call: (a) => {
      expectArgs('_get_layout', a, 1);
      if (typeof a[0] !== 'string') fail('_get_layout: expected a string');
      return a[0].replace(/^torch\./, '');
    },
  });
  g.set('torch.device', {
    call: (a) => {
      expectArgs('torch.device', a, 1, 2);
      if (typeof a[0] !== 'string') fail('torch.device: type must be a string');
      if (a.length === 2 && a[1] !== null) return `${a[0]}:${expectInt('torch.device', 'index', a[1])}`;
      return a[0];
    },
  });
  g.set('torch.Size', {
    call: (a) => {
      expectArgs('torch.Size', a, 0, 1);
      return a.length ? expectIntList('torch.Size', 'sizes', iterableItems('torch.Size', a[0])) : [];
    },
  });

  g.set('argparse.Namespace', {
    call: (a) => newNamespace(a),
    newObj: (a, u) => newNamespace(a, u.pendingKwargs),
  });

  for (const mod of NUMPY_SCALAR_MODULES) g.set(`${mod}.scalar`, { call: numpyScalar });
  g.set('numpy.dtype', {
    call: (a) => {
      expectArgs('numpy.dtype', a, 1, 3);
      if (typeof a[0] !== 'string') fail('numpy.dtype: only simple dtypes are supported');
      return new PyNumpyDType(a[0]);
    },
  });

  // Protocol 2 has no bytes opcode; Python writes _codecs.encode(text, 'latin1').
  g.set('_codecs.encode', {
    call: (a) => {
      expectArgs('_codecs.encode', a, 1, 2);
      if (typeof a[0] !== 'string') fail('_codecs.encode: expected a string');
      const enc = typeof a[1] === 'string' ? a[1].toLowerCase().replace(/_/g, '-') : 'utf-8';
      if (enc === 'latin1' || enc === 'latin-1' || enc === 'iso-8859-1') return decodeLatin1(a[0], '_codecs.encode');
      if (enc === 'utf-8' || enc === 'utf8') return new TextEncoder().encode(a[0]);
      fail(`_codecs.encode: unsupported encoding ${JSON.stringify(quote(String(a[1]), 20))}`);
    },
  });
  g.set('builtins.bytes', {
    call: (a) => {
      expectArgs('bytes', a, 0, 1);
      if (a.length === 0) return new Uint8Array(0);
      if (a[0] instanceof Uint8Array) return a[0].slice();
      const items = expectIntList('bytes', 'items', iterableItems('bytes', a[0]));
      if (items.some((x) => x < 0 || x > 255)) fail('bytes: items must be in range(256)');
      return Uint8Array.from(items);
    },
  });
  g.set('builtins.bytearray', {
    call: (a) => {
      expectArgs('bytearray', a, 0, 2);
      if (a.length === 0) return new Uint8Array(0);
      if (a[0] instanceof Uint8Array) return a[0].slice();
      if (typeof a[0] === 'string') return decodeLatin1(a[0], 'bytearray');
      fail('bytearray: unsupported arguments');
    },
  });
  const makeSet = (a: unknown[]): Set<unknown> => {
    expectArgs('set', a, 0, 1);
    return new Set(a.length ? iterableItems('set', a[0]) : []);
  };
  g.set('builtins.set', { call: makeSet });
  g.set('builtins.frozenset', { call: makeSet });
  g.set('builtins.slice', {
    call: (a) => {
      expectArgs('slice', a, 1, 3);
      const [start, stop, step] = a.length === 1 ? [null, a[0], null] : [a[0], a[1], a[2] ?? null];
      return { start, stop, step };
    },
  });
  return g;
}

const ALLOWED_GLOBALS = buildAllowList();

/** Python 2 module names that protocol ≤ 2 pickles use (Python's fix_imports). */
const PY2_MODULES: Readonly<Record<string, string>> = { __builtin__: 'builtins', copy_reg: 'copyreg' };

/** Names accepted by GLOBAL/STACK_GLOBAL, for documentation and tests. */
export function allowedGlobals(): string[] {
  return [...ALLOWED_GLOBALS.keys()];
}

// ------------------------------------------------------------------ machine

const MAX_PROTOCOL = 5;
const decoderUtf8 = new TextDecoder('utf-8');
const decoderUtf8Fatal = new TextDecoder('utf-8', { fatal: true });
const decoderLatin1 = new TextDecoder('latin1');

function latin1(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x8000) {
    s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return s;
}

/** Python 2 `str`: torch.load decodes with utf-8; fall back to latin-1 for binary. */
function decodePy2String(bytes: Uint8Array): string {
  try {
    return decoderUtf8Fatal.decode(bytes);
  } catch {
    return latin1(bytes);
  }
}

function parseIntText(text: string, what: string): number | bigint {
  if (!/^[+-]?\d{1,4300}$/.test(text)) fail(`invalid ${what} literal ${JSON.stringify(quote(text, 40))}`);
  return normalizeInt(BigInt(text));
}

function parseFloatText(text: string): number {
  const t = text.trim().toLowerCase();
  if (t === 'nan' || t === '-nan' || t === '+nan') return NaN;
  if (t === 'inf' || t === '+inf' || t === 'infinity') return Infinity;
  if (t === '-inf' || t === '-infinity') return -Infinity;
  if (!/^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/.test(t)) fail(`invalid float literal ${JSON.stringify(quote(text, 40))}`);
  return Number(t);
}

/** Decode a Python 2 repr string literal (STRING opcode). */
function parseStringLiteral(line: Uint8Array): Uint8Array {
  const n = line.length;
  if (n < 2 || (line[0] !== 0x27 && line[0] !== 0x22) || line[n - 1] !== line[0]) {
    fail('STRING opcode argument must be quoted');
  }
  const out: number[] = [];
  for (let i = 1; i < n - 1; i++) {
    const c = line[i]!;
    if (c !== 0x5c) {
      out.push(c);
      continue;
    }
    const e = line[++i];
    if (e === undefined || i >= n - 1) fail('dangling backslash in STRING');
    const simple: Record<number, number> = { 0x5c: 0x5c, 0x27: 0x27, 0x22: 0x22, 0x6e: 10, 0x72: 13, 0x74: 9, 0x61: 7, 0x62: 8, 0x66: 12, 0x76: 11 };
    if (e in simple) out.push(simple[e]!);
    else if (e === 0x0a) continue;
    else if (e === 0x78) {
      const hex = String.fromCharCode(line[i + 1] ?? 0, line[i + 2] ?? 0);
      if (!/^[0-9a-fA-F]{2}$/.test(hex) || i + 2 >= n - 1) fail('invalid \\x escape in STRING');
      out.push(parseInt(hex, 16));
      i += 2;
    } else if (e >= 0x30 && e <= 0x37) {
      let v = e - 0x30;
      for (let k = 0; k < 2 && i + 1 < n - 1 && line[i + 1]! >= 0x30 && line[i + 1]! <= 0x37; k++) {
        v = v * 8 + (line[++i]! - 0x30);
      }
      out.push(v & 0xff);
    } else out.push(0x5c, e);
  }
  return Uint8Array.from(out);
}

/** raw-unicode-escape (UNICODE opcode): latin-1 plus \uXXXX / \UXXXXXXXX. */
function parseRawUnicodeEscape(line: Uint8Array): string {
  let s = '';
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (c === 0x5c && (line[i + 1] === 0x75 || line[i + 1] === 0x55)) {
      const len = line[i + 1] === 0x75 ? 4 : 8;
      const hex = decoderLatin1.decode(line.subarray(i + 2, i + 2 + len));
      if (hex.length !== len || !/^[0-9a-fA-F]+$/.test(hex)) fail('invalid escape in UNICODE');
      const cp = parseInt(hex, 16);
      if (cp > 0x10ffff) fail('invalid code point in UNICODE');
      s += String.fromCodePoint(cp);
      i += 1 + len;
    } else s += String.fromCharCode(c);
  }
  return s;
}

function decodeLong(bytes: Uint8Array): number | bigint {
  if (bytes.length === 0) return 0;
  let v = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(bytes[i]!);
  if (bytes[bytes.length - 1]! & 0x80) v -= 1n << BigInt(bytes.length * 8);
  return normalizeInt(v);
}

class Unpickler {
  private stack: unknown[] = [];
  private readonly metastack: unknown[][] = [];
  private readonly memo = new Map<number, unknown>();
  private readonly namespaces = new WeakSet<object>();
  /** kwargs of the NEWOBJ_EX being executed, for constructors that accept them. */
  pendingKwargs: unknown = undefined;

  constructor(
    private readonly r: ByteReader,
    private readonly persistentLoad: PersistentLoad | undefined,
  ) {}

  private pop(): unknown {
    if (this.stack.length === 0) fail(`stack underflow at offset ${this.r.position - 1}`);
    return this.stack.pop();
  }

  private top(): unknown {
    if (this.stack.length === 0) fail(`stack underflow at offset ${this.r.position - 1}`);
    return this.stack[this.stack.length - 1];
  }

  private popMark(): unknown[] {
    const items = this.stack;
    const prev = this.metastack.pop();
    if (!prev) fail(`missing MARK at offset ${this.r.position - 1}`);
    this.stack = prev;
    return items;
  }

  private u8(): number {
    return this.r.read(1)[0]!;
  }

  private view(n: number): DataView {
    const b = this.r.read(n);
    return new DataView(b.buffer, b.byteOffset, b.byteLength);
  }

  private u64len(): number {
    const v = this.view(8).getBigUint64(0, true);
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) fail('truncated pickle: length field too large');
    return Number(v);
  }

  private lineText(): string {
    return decoderUtf8.decode(this.r.readLine());
  }

  private resolveGlobal(moduleRaw: unknown, nameRaw: unknown): unknown {
    if (typeof moduleRaw !== 'string' || typeof nameRaw !== 'string') fail('STACK_GLOBAL requires str arguments');
    const module = PY2_MODULES[moduleRaw] ?? moduleRaw;
    const full = `${module}.${nameRaw}`;
    const impl = ALLOWED_GLOBALS.get(full);
    if (!impl) fail(`refused global '${quote(full)}'`);
    if ('value' in impl) return impl.value;
    return new PyGlobal(full, impl);
  }

  private memoPut(index: number): void {
    this.memo.set(index, this.top());
  }

  private memoGet(index: number): void {
    if (!this.memo.has(index)) fail(`memo key ${index} missing at offset ${this.r.position}`);
    this.stack.push(this.memo.get(index));
  }

  private callGlobal(callable: unknown, args: unknown, how: 'call' | 'newObj'): unknown {
    if (!(callable instanceof PyGlobal)) fail(`${how === 'call' ? 'REDUCE' : 'NEWOBJ'} on a non-callable value`);
    if (!Array.isArray(args)) fail(`${callable.fullName}: arguments must be a tuple`);
    const fn = callable.impl[how];
    if (!fn) fail(`${callable.fullName} cannot be ${how === 'call' ? 'called' : 'instantiated'}`);
    return fn(args, this);
  }

  private build(state: unknown, inst: unknown): void {
    if (inst instanceof Map) {
      // OrderedDict.__reduce__ passes the instance __dict__ (e.g. _metadata) as state,
      // optionally as (dict_state, slot_state).
      let dictState = state;
      if (Array.isArray(state) && state.length === 2) dictState = state[0];
      if (dictState === null) return;
      if (!(dictState instanceof Map)) fail('BUILD state for a dict must be a dict');
      const attrs = pyAttributes(inst) ?? new Map<string, unknown>();
      for (const [k, v] of dictState) {
        if (typeof k !== 'string') fail('attribute names must be strings');
        attrs.set(k, v);
      }
      setPyAttributes(inst, attrs);
      return;
    }
    if (typeof inst === 'object' && inst !== null && this.namespaces.has(inst)) {
      if (!(state instanceof Map)) fail('BUILD state for argparse.Namespace must be a dict');
      assignAttributes('argparse.Namespace', inst as Record<string, unknown>, state);
      return;
    }
    if (inst instanceof PyNumpyDType) {
      // numpy's dtype.__setstate__: (version, byteorder, …)
      if (Array.isArray(state) && typeof state[1] === 'string') inst.byteOrder = state[1];
      return;
    }
    fail(`BUILD is not supported for ${describe(inst)}`);
  }

  run(): unknown {
    const r = this.r;
    for (;;) {
      const op = this.u8();
      switch (op) {
        // ---- framing and control
        case 0x80: {
          const proto = this.u8();
          if (proto > MAX_PROTOCOL) fail(`unsupported pickle protocol ${proto}`);
          break;
        }
        case 0x95: // FRAME: a hint for buffered readers; the content follows inline.
          this.u64len();
          break;
        case 0x2e: // STOP
          return this.pop();
        case 0x28: // MARK
          this.metastack.push(this.stack);
          this.stack = [];
          break;
        case 0x30: // POP
          if (this.stack.length) this.stack.pop();
          else this.popMark();
          break;
        case 0x31: // POP_MARK
          this.popMark();
          break;
        case 0x32: // DUP
          this.stack.push(this.top());
          break;

        // ---- constants and numbers
        case 0x4e: // NONE
          this.stack.push(null);
          break;
        case 0x88: // NEWTRUE
          this.stack.push(true);
          break;
        case 0x89: // NEWFALSE
          this.stack.push(false);
          break;
        case 0x4a: // BININT
          this.stack.push(this.view(4).getInt32(0, true));
          break;
        case 0x4b: // BININT1
          this.stack.push(this.u8());
          break;
        case 0x4d: // BININT2
          this.stack.push(this.view(2).getUint16(0, true));
          break;
        case 0x8a: // LONG1
          this.stack.push(decodeLong(r.read(this.u8())));
          break;
        case 0x8b: {
          // LONG4
          const n = this.view(4).getInt32(0, true);
          if (n < 0) fail('LONG4 with negative length');
          this.stack.push(decodeLong(r.read(n)));
          break;
        }
        case 0x49: {
          // INT: protocol 0 also spells booleans as 00 / 01
          const t = this.lineText();
          if (t === '00') this.stack.push(false);
          else if (t === '01') this.stack.push(true);
          else this.stack.push(parseIntText(t, 'INT'));
          break;
        }
        case 0x4c: // LONG
          this.stack.push(parseIntText(this.lineText().replace(/L$/, ''), 'LONG'));
          break;
        case 0x46: // FLOAT
          this.stack.push(parseFloatText(this.lineText()));
          break;
        case 0x47: // BINFLOAT is big-endian, unlike everything else in pickle
          this.stack.push(this.view(8).getFloat64(0, false));
          break;

        // ---- strings and bytes
        case 0x58: {
          // BINUNICODE
          const n = this.view(4).getUint32(0, true);
          this.stack.push(decoderUtf8.decode(r.read(n)));
          break;
        }
        case 0x8c: // SHORT_BINUNICODE
          this.stack.push(decoderUtf8.decode(r.read(this.u8())));
          break;
        case 0x8d: // BINUNICODE8
          this.stack.push(decoderUtf8.decode(r.read(this.u64len())));
          break;
        case 0x56: // UNICODE
          this.stack.push(parseRawUnicodeEscape(r.readLine()));
          break;
        case 0x53: // STRING
          this.stack.push(decodePy2String(parseStringLiteral(r.readLine())));
          break;
        case 0x54: {
          // BINSTRING
          const n = this.view(4).getInt32(0, true);
          if (n < 0) fail('BINSTRING with negative length');
          this.stack.push(decodePy2String(r.read(n)));
          break;
        }
        case 0x55: // SHORT_BINSTRING
          this.stack.push(decodePy2String(r.read(this.u8())));
          break;
        case 0x43: // SHORT_BINBYTES
          this.stack.push(r.read(this.u8()).slice());
          break;
        case 0x42: // BINBYTES
          this.stack.push(r.read(this.view(4).getUint32(0, true)).slice());
          break;
        case 0x8e: // BINBYTES8
        case 0x96: // BYTEARRAY8
          this.stack.push(r.read(this.u64len()).slice());
          break;
        case 0x97: // NEXT_BUFFER
        case 0x98: // READONLY_BUFFER
          fail('out-of-band pickle buffers are not supported');

        // ---- containers
        case 0x29: // EMPTY_TUPLE
          this.stack.push([]);
          break;
        case 0x85: // TUPLE1
          this.stack.push([this.pop()]);
          break;
        case 0x86: {
          // TUPLE2
          const b = this.pop();
          const a = this.pop();
          this.stack.push([a, b]);
          break;
        }
        case 0x87: {
          // TUPLE3
          const c = this.pop();
          const b = this.pop();
          const a = this.pop();
          this.stack.push([a, b, c]);
          break;
        }
        case 0x74: // TUPLE
        case 0x6c: {
          // LIST. (popMark swaps this.stack, so never write this.stack.push(this.popMark()).)
          const items = this.popMark();
          this.stack.push(items);
          break;
        }
        case 0x5d: // EMPTY_LIST
          this.stack.push([]);
          break;
        case 0x7d: // EMPTY_DICT
          this.stack.push(new Map());
          break;
        case 0x64: {
          // DICT
          const items = this.popMark();
          this.stack.push(this.fillDict(new Map(), items));
          break;
        }
        case 0x8f: // EMPTY_SET
          this.stack.push(new Set());
          break;
        case 0x91: {
          // FROZENSET
          const items = this.popMark();
          this.stack.push(new Set(items));
          break;
        }
        case 0x90: {
          // ADDITEMS
          const items = this.popMark();
          const set = this.top();
          if (!(set instanceof Set)) fail('ADDITEMS target is not a set');
          for (const x of items) set.add(x);
          break;
        }
        case 0x61: {
          // APPEND
          const item = this.pop();
          const list = this.top();
          if (!Array.isArray(list)) fail(`APPEND to ${describe(list)}`);
          list.push(item);
          break;
        }
        case 0x65: {
          // APPENDS (a loop, not push(...items): huge lists would overflow the call stack)
          const items = this.popMark();
          const list = this.top();
          if (!Array.isArray(list)) fail(`APPENDS to ${describe(list)}`);
          for (const x of items) list.push(x);
          break;
        }
        case 0x73: {
          // SETITEM
          const v = this.pop();
          const k = this.pop();
          const d = this.top();
          if (!(d instanceof Map)) fail(`SETITEM on ${describe(d)}`);
          d.set(k, v);
          break;
        }
        case 0x75: {
          // SETITEMS
          const items = this.popMark();
          const d = this.top();
          if (!(d instanceof Map)) fail(`SETITEMS on ${describe(d)}`);
          this.fillDict(d, items);
          break;
        }

        // ---- memo
        case 0x71: // BINPUT
          this.memoPut(this.u8());
          break;
        case 0x72: // LONG_BINPUT
          this.memoPut(this.view(4).getUint32(0, true));
          break;
        case 0x70: // PUT
          this.memoPut(this.memoIndex(this.lineText()));
          break;
        case 0x94: // MEMOIZE
          this.memoPut(this.memo.size);
          break;
        case 0x68: // BINGET
          this.memoGet(this.u8());
          break;
        case 0x6a: // LONG_BINGET
          this.memoGet(this.view(4).getUint32(0, true));
          break;
        case 0x67: // GET
          this.memoGet(this.memoIndex(this.lineText()));
          break;

        // ---- the risky ones: only ever resolved against the allow-list
        case 0x63: {
          // GLOBAL
          const module = this.lineText();
          const name = this.lineText();
          this.stack.push(this.resolveGlobal(module, name));
          break;
        }
        case 0x93: {
          // STACK_GLOBAL
          const name = this.pop();
          const module = this.pop();
          this.stack.push(this.resolveGlobal(module, name));
          break;
        }
        case 0x82:
        case 0x83:
        case 0x84:
          fail('refused extension-registry global (EXT1/EXT2/EXT4)');
        case 0x52: {
          // REDUCE
          const args = this.pop();
          const fn = this.pop();
          this.stack.push(this.callGlobal(fn, args, 'call'));
          break;
        }
        case 0x81: {
          // NEWOBJ
          const args = this.pop();
          const cls = this.pop();
          this.stack.push(this.track(this.callGlobal(cls, args, 'newObj'), cls));
          break;
        }
        case 0x92: {
          // NEWOBJ_EX
          const kwargs = this.pop();
          const args = this.pop();
          const cls = this.pop();
          this.pendingKwargs = kwargs;
          try {
            this.stack.push(this.track(this.callGlobal(cls, args, 'newObj'), cls));
          } finally {
            this.pendingKwargs = undefined;
          }
          break;
        }
        case 0x69: {
          // INST: module and name lines, args from the mark
          const module = this.lineText();
          const name = this.lineText();
          const cls = this.resolveGlobal(module, name);
          const args = this.popMark();
          this.stack.push(this.track(this.callGlobal(cls, args, 'newObj'), cls));
          break;
        }
        case 0x6f: {
          // OBJ: class and args from the mark
          const items = this.popMark();
          if (items.length === 0) fail('OBJ without a class');
          const cls = items[0];
          this.stack.push(this.track(this.callGlobal(cls, items.slice(1), 'newObj'), cls));
          break;
        }
        case 0x62: {
          // BUILD
          const state = this.pop();
          this.build(state, this.top());
          break;
        }
        case 0x51: // BINPERSID
          this.stack.push(this.loadPersistent(this.pop()));
          break;
        case 0x50: // PERSID
          this.stack.push(this.loadPersistent(this.lineText()));
          break;
        default:
          fail(`unknown opcode 0x${op.toString(16).padStart(2, '0')} at offset ${r.position - 1}`);
      }
    }
  }

  private memoIndex(text: string): number {
    const v = parseIntText(text, 'memo index');
    if (typeof v !== 'number' || v < 0) fail('invalid memo index');
    return v;
  }

  private fillDict(d: Map<unknown, unknown>, items: unknown[]): Map<unknown, unknown> {
    if (items.length % 2 !== 0) fail('odd number of items for a dict');
    for (let i = 0; i < items.length; i += 2) d.set(items[i], items[i + 1]);
    return d;
  }

  private track(obj: unknown, cls: unknown): unknown {
    if (cls instanceof PyGlobal && cls.fullName === 'argparse.Namespace' && typeof obj === 'object' && obj !== null) {
      this.namespaces.add(obj);
    }
    return obj;
  }

  private loadPersistent(pid: unknown): unknown {
    if (!this.persistentLoad) fail('persistent ids are not supported here');
    return this.persistentLoad(pid);
  }
}

function describe(v: unknown): string {
  if (v === null) return 'None';
  if (Array.isArray(v)) return 'a list';
  if (v instanceof Map) return 'a dict';
  if (v instanceof PyGlobal) return v.fullName;
  if (isTensorRecord(v)) return 'a tensor';
  return typeof v === 'object' ? 'an object' : `a ${typeof v}`;
}

/**
 * Unpickle one object. Reads exactly up to the STOP opcode, so a ByteReader
 * can continue with whatever follows (torch's legacy format concatenates
 * several pickles). Never executes anything; throws PickleError on refused
 * globals or malformed input.
 */
export function unpickle(source: Uint8Array | ByteReader, options: UnpickleOptions = {}): unknown {
  const reader = source instanceof Uint8Array ? new BufferReader(source) : source;
  try {
    return new Unpickler(reader, options.persistentLoad).run();
  } catch (err) {
    if (err instanceof CheckpointError) throw err;
    // Anything else is a bug or a resource error triggered by crafted input;
    // keep the promise of one clean error type.
    throw new PickleError(`malformed pickle: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
}
