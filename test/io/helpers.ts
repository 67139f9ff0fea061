/**
 * Shared test helpers: the canonical JSON form that
 * scripts/fixtures/make_io_fixtures.py writes to expected.json, temp dirs,
 * and walking values for tensors.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { halfToNumber, isOrderedDict, pyAttributes } from '../../src/io/pickle.js';
import { contiguousBytes, isTensorRecord, type StorageRecord, type TensorRecord } from '../../src/io/tensor-record.js';

export const REPO = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const FIXTURES = join(REPO, 'test', 'fixtures', 'io');

export interface Expected {
  marker: string;
  files: Record<string, unknown>;
  pickles: Record<string, unknown>;
  malicious: Record<string, string>;
}

export const expected = JSON.parse(readFileSync(join(FIXTURES, 'expected.json'), 'utf8')) as Expected;

export function fixture(name: string): string {
  return join(FIXTURES, name);
}

/** A fresh temp dir, removed by the returned cleanup. */
export function tempDir(): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'gdt-io-test-'));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

function encFloat(x: number): unknown {
  if (Number.isNaN(x)) return { float: 'nan' };
  if (x === Infinity) return { float: 'inf' };
  if (x === -Infinity) return { float: '-inf' };
  return x;
}

function hex(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
}

/** Logical values of a tensor, encoded like the Python side does. */
export function tensorValues(t: TensorRecord): unknown[] {
  const bytes = contiguousBytes(t);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: unknown[] = [];
  const n = bytes.byteLength;
  switch (t.dtype) {
    case 'float32':
    case 'complex64':
      for (let i = 0; i < n; i += 4) out.push(encFloat(dv.getFloat32(i, true)));
      break;
    case 'float64':
    case 'complex128':
      for (let i = 0; i < n; i += 8) out.push(encFloat(dv.getFloat64(i, true)));
      break;
    case 'float16':
      for (let i = 0; i < n; i += 2) out.push(encFloat(halfToNumber(dv.getUint16(i, true))));
      break;
    case 'bfloat16': {
      const f = new DataView(new ArrayBuffer(4));
      for (let i = 0; i < n; i += 2) {
        f.setUint32(0, dv.getUint16(i, true) << 16);
        out.push(encFloat(f.getFloat32(0)));
      }
      break;
    }
    case 'int64':
      for (let i = 0; i < n; i += 8) out.push(dv.getBigInt64(i, true).toString());
      break;
    case 'int32':
      for (let i = 0; i < n; i += 4) out.push(dv.getInt32(i, true));
      break;
    case 'int16':
      for (let i = 0; i < n; i += 2) out.push(dv.getInt16(i, true));
      break;
    case 'int8':
      for (let i = 0; i < n; i++) out.push(dv.getInt8(i));
      break;
    case 'uint8':
      for (let i = 0; i < n; i++) out.push(dv.getUint8(i));
      break;
    case 'bool':
      for (let i = 0; i < n; i++) out.push(dv.getUint8(i) !== 0);
      break;
  }
  return out;
}

/** Canonical JSON-able form of an unpickled value (see make_io_fixtures.py). */
export function canonical(value: unknown, storages = new Map<StorageRecord, number>()): unknown {
  const enc = (v: unknown): unknown => canonical(v, storages);
  if (value === null || typeof value === 'boolean' || typeof value === 'string') return value;
  if (typeof value === 'number') return encFloat(value);
  if (typeof value === 'bigint') return { bigint: value.toString() };
  if (value instanceof Uint8Array) return { bytes: hex(value) };
  if (Array.isArray(value)) return value.map(enc);
  if (value instanceof Set) return { set: [...value].map(enc) };
  if (isTensorRecord(value)) {
    if (!storages.has(value.storage)) storages.set(value.storage, storages.size);
    return {
      tensor: {
        dtype: value.dtype,
        shape: value.shape,
        stride: value.strides,
        offset: value.storageOffset,
        requires_grad: value.requiresGrad ?? false,
        storage: storages.get(value.storage),
        storage_numel: value.storage.numel,
        values: tensorValues(value),
        hex: hex(contiguousBytes(value)),
      },
    };
  }
  if (value instanceof Map) {
    const items = [...value.entries()].map(([k, v]) => [enc(k), enc(v)]);
    if (!isOrderedDict(value)) return { dict: items };
    const out: Record<string, unknown> = { odict: items };
    const attrs = pyAttributes(value);
    if (attrs && attrs.size) out.attrs = Object.fromEntries([...attrs].map(([k, v]) => [k, enc(v)]));
    return out;
  }
  if (typeof value === 'object') {
    return { namespace: Object.fromEntries(Object.entries(value).map(([k, v]) => [k, enc(v)])) };
  }
  throw new Error(`cannot canonicalise ${typeof value}`);
}

/** Every TensorRecord inside a value (cycle-safe). */
export function collectTensors(value: unknown, out: TensorRecord[] = [], seen = new Set<unknown>()): TensorRecord[] {
  if (typeof value !== 'object' || value === null || seen.has(value)) return out;
  seen.add(value);
  if (isTensorRecord(value)) out.push(value);
  else if (Array.isArray(value) || value instanceof Set) for (const v of value) collectTensors(v, out, seen);
  else if (value instanceof Map)
    for (const [k, v] of value) {
      collectTensors(k, out, seen);
      collectTensors(v, out, seen);
    }
  else if (!(value instanceof Uint8Array)) for (const v of Object.values(value)) collectTensors(v, out, seen);
  return out;
}

/** Python with torch, only used where available; CI never needs it. */
export const PYTHON = '/usr/bin/python3';
let torchProbe: string | undefined | null = null;

/** undefined when Python+torch are usable, otherwise why not (a skip reason). */
export function pythonTorchUnavailable(): string | undefined {
  if (torchProbe !== null) return torchProbe;
  if (!existsSync(PYTHON)) return (torchProbe = `${PYTHON} not found`);
  const r = spawnSync(PYTHON, ['-c', 'import torch, numpy'], { encoding: 'utf8', timeout: 60_000 });
  torchProbe = r.status === 0 ? undefined : `${PYTHON} cannot import torch`;
  return torchProbe;
}

/** Assert-friendly one-line check used by error tests and fuzzers. */
export function isCleanError(err: unknown): err is Error {
  return err instanceof Error && typeof err.message === 'string' && err.message.length > 0 && !/[\r\n]/.test(err.message);
}
