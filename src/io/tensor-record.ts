/**
 * Raw tensor records: the common currency between checkpoint formats and the
 * tensor layer. A record describes a strided view into a storage whose bytes
 * are only read when asked for, so opening a multi-gigabyte checkpoint costs
 * nothing until a tensor is actually used.
 */

import type { DType } from '../torch/dtype.js';

// One dtype vocabulary for files and tensors (a type-only import: no native code is loaded).
export type { DType };

export interface StorageRecord {
  /** Identifies the storage inside its file (torch storage key, tensor name, …). */
  key: string;
  dtype: DType;
  /** Number of elements of `dtype`; the byte length is numel * dtypeSize(dtype). */
  numel: number;
  /** Reads the storage (little-endian). Each call reads again; cache if needed. */
  bytes: () => Uint8Array;
}

export interface TensorRecord {
  dtype: DType;
  shape: number[];
  /** In elements, like torch. */
  strides: number[];
  /** In elements. */
  storageOffset: number;
  /** Views of one tensor share the same StorageRecord object. */
  storage: StorageRecord;
  requiresGrad?: boolean;
}

const DTYPE_SIZES: Readonly<Record<DType, number>> = {
  float32: 4,
  float64: 8,
  float16: 2,
  bfloat16: 2,
  int64: 8,
  int32: 4,
  int16: 2,
  int8: 1,
  uint8: 1,
  bool: 1,
  complex64: 8,
  complex128: 16,
};

export const DTYPES: readonly DType[] = Object.freeze(Object.keys(DTYPE_SIZES) as DType[]);

export function isDType(x: unknown): x is DType {
  return typeof x === 'string' && Object.prototype.hasOwnProperty.call(DTYPE_SIZES, x);
}

/** Bytes per element. */
export function dtypeSize(dtype: DType): number {
  return DTYPE_SIZES[dtype];
}

/**
 * Size of the scalar unit that byte order applies to: complex numbers are two
 * floats, so they are swapped per half rather than as one 8/16-byte value.
 */
export function dtypeSwapUnit(dtype: DType): number {
  if (dtype === 'complex64') return 4;
  if (dtype === 'complex128') return 8;
  return DTYPE_SIZES[dtype];
}

/** Product of a shape, refusing anything that is not a safe non-negative integer. */
export function shapeNumel(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) {
    if (!Number.isSafeInteger(d) || d < 0) throw new RangeError(`invalid dimension ${String(d)}`);
    n *= d;
    if (!Number.isSafeInteger(n)) throw new RangeError('tensor has too many elements');
  }
  return n;
}

/** Row-major strides for a shape. */
export function contiguousStrides(shape: readonly number[]): number[] {
  const strides = new Array<number>(shape.length);
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    strides[i] = s;
    s *= Math.max(shape[i]!, 1);
  }
  return strides;
}

export function isStorageRecord(x: unknown): x is StorageRecord {
  if (typeof x !== 'object' || x === null) return false;
  const r = x as Partial<StorageRecord>;
  return typeof r.key === 'string' && isDType(r.dtype) && typeof r.numel === 'number' && typeof r.bytes === 'function';
}

export function isTensorRecord(x: unknown): x is TensorRecord {
  if (typeof x !== 'object' || x === null) return false;
  const r = x as Partial<TensorRecord>;
  return (
    isDType(r.dtype) &&
    Array.isArray(r.shape) &&
    Array.isArray(r.strides) &&
    typeof r.storageOffset === 'number' &&
    isStorageRecord(r.storage)
  );
}

/** An in-memory storage; `data` is used as is (not copied). */
export function storageFromBytes(key: string, dtype: DType, data: Uint8Array): StorageRecord {
  const size = dtypeSize(dtype);
  if (data.byteLength % size !== 0) {
    throw new RangeError(`${data.byteLength} bytes is not a whole number of ${dtype} elements`);
  }
  return { key, dtype, numel: data.byteLength / size, bytes: () => data };
}

/** A contiguous record over in-memory little-endian bytes (not copied). */
export function tensorRecordFromBytes(
  dtype: DType,
  shape: readonly number[],
  data: Uint8Array,
  options: { key?: string; requiresGrad?: boolean } = {},
): TensorRecord {
  const numel = shapeNumel(shape);
  if (data.byteLength !== numel * dtypeSize(dtype)) {
    throw new RangeError(
      `shape [${shape.join(', ')}] of ${dtype} needs ${numel * dtypeSize(dtype)} bytes, got ${data.byteLength}`,
    );
  }
  const record: TensorRecord = {
    dtype,
    shape: [...shape],
    strides: contiguousStrides(shape),
    storageOffset: 0,
    storage: storageFromBytes(options.key ?? '0', dtype, data),
  };
  if (options.requiresGrad !== undefined) record.requiresGrad = options.requiresGrad;
  return record;
}

/**
 * Check that a record's view stays inside its storage. Done eagerly by the
 * readers so that a bad file fails when opened, not when a tensor is used.
 */
export function validateTensorRecord(record: TensorRecord): void {
  const { shape, strides, storageOffset, storage } = record;
  if (record.dtype !== storage.dtype) {
    throw new RangeError(`tensor dtype ${record.dtype} differs from its storage dtype ${storage.dtype}`);
  }
  if (shape.length !== strides.length) {
    throw new RangeError(`shape has ${shape.length} dims but strides have ${strides.length}`);
  }
  const numel = shapeNumel(shape);
  if (!Number.isSafeInteger(storageOffset) || storageOffset < 0) {
    throw new RangeError(`invalid storage offset ${String(storageOffset)}`);
  }
  if (!Number.isSafeInteger(storage.numel) || storage.numel < 0) {
    throw new RangeError(`invalid storage size ${String(storage.numel)}`);
  }
  let last = storageOffset;
  for (let i = 0; i < strides.length; i++) {
    const st = strides[i]!;
    // torch never produces negative strides, and they would complicate bounds.
    if (!Number.isSafeInteger(st) || st < 0) throw new RangeError(`invalid stride ${String(st)}`);
    if (numel > 0) last += (shape[i]! - 1) * st;
  }
  // Empty tensors may point anywhere (torch does not check them either).
  if (numel > 0 && (!Number.isSafeInteger(last) || last >= storage.numel)) {
    throw new RangeError(
      `view (offset ${storageOffset}, shape [${shape.join(', ')}], strides [${strides.join(', ')}]) ` +
        `reaches element ${last} of a storage of ${storage.numel}`,
    );
  }
}

export function isContiguous(record: TensorRecord): boolean {
  let expected = 1;
  for (let i = record.shape.length - 1; i >= 0; i--) {
    const d = record.shape[i]!;
    if (d === 0) return true;
    // Size-1 dims can carry any stride without affecting layout.
    if (d !== 1 && record.strides[i] !== expected) return false;
    expected *= d;
  }
  return true;
}

/**
 * Row-major little-endian bytes of the tensor, honouring strides and offset.
 * A contiguous tensor returns a view into the storage's bytes (no copy) —
 * copy it before mutating. Reads the storage once per call.
 */
export function contiguousBytes(record: TensorRecord): Uint8Array {
  validateTensorRecord(record);
  const size = dtypeSize(record.dtype);
  const numel = shapeNumel(record.shape);
  if (numel === 0) return new Uint8Array(0);
  const src = record.storage.bytes();
  if (src.byteLength !== record.storage.numel * size) {
    throw new RangeError(
      `storage ${quoteKey(record.storage.key)} has ${src.byteLength} bytes, expected ${record.storage.numel * size}`,
    );
  }
  if (isContiguous(record)) {
    const start = record.storageOffset * size;
    return src.subarray(start, start + numel * size);
  }

  // Copy the longest contiguous innermost block at a time; the outer dims are
  // walked with an odometer so this works for any rank without recursion.
  const { shape, strides } = record;
  const ndim = shape.length;
  let inner = ndim;
  let run = 1;
  while (inner > 0 && strides[inner - 1] === run) {
    inner--;
    run *= shape[inner]!;
  }
  const runBytes = run * size;
  const out = new Uint8Array(numel * size);
  const index = new Array<number>(inner).fill(0);
  let srcElem = record.storageOffset;
  for (let dst = 0; dst < out.byteLength; dst += runBytes) {
    const s = srcElem * size;
    if (runBytes === 1) out[dst] = src[s]!;
    else out.set(src.subarray(s, s + runBytes), dst);
    for (let d = inner - 1; d >= 0; d--) {
      index[d]!++;
      srcElem += strides[d]!;
      if (index[d]! < shape[d]!) break;
      srcElem -= strides[d]! * shape[d]!;
      index[d] = 0;
    }
  }
  return out;
}

function quoteKey(key: string): string {
  return JSON.stringify(key.length > 60 ? `${key.slice(0, 60)}…` : key);
}

/** Swap each scalar of `data` in place between little and big endian. */
export function swapBytesInPlace(data: Uint8Array, dtype: DType): void {
  const unit = dtypeSwapUnit(dtype);
  if (unit === 1) return;
  for (let i = 0; i + unit <= data.byteLength; i += unit) {
    for (let a = i, b = i + unit - 1; a < b; a++, b--) {
      const t = data[a]!;
      data[a] = data[b]!;
      data[b] = t;
    }
  }
}
