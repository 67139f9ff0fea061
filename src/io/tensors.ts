// Between checkpoint records and tensors: views sharing a storage in a file share memory after
// loading (as in torch.load), and tensors are written from their contiguous CPU bytes.
import * as torch from '../torch/index.js';
import type { Tensor } from '../torch/index.js';
import { native } from '../torch/native.js';
import { dtypeCode } from '../torch/dtype.js';
import { isTensorRecord, tensorRecordFromBytes, type StorageRecord, type TensorRecord } from './tensor-record.js';
import { readTorchFile } from './torch-file.js';
import { writeTorchFile } from './torch-writer.js';
import { readSafetensors, writeSafetensors } from './safetensors.js';

/** Turns every TensorRecord inside a loaded structure into a Tensor (Maps, arrays, objects walked). */
export function materialize(value: unknown): unknown {
  const storages = new Map<StorageRecord, Tensor>();
  try {
    return walk(value, (r) => recordToTensor(r, storages));
  } finally {
    for (const s of storages.values()) s.dispose();
  }
}

function walk(value: unknown, fn: (r: TensorRecord) => Tensor): unknown {
  if (isTensorRecord(value)) return fn(value);
  if (value instanceof Map) return new Map([...value].map(([k, v]) => [k, walk(v, fn)]));
  if (Array.isArray(value)) return value.map((v) => walk(v, fn));
  if (value && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, walk(v, fn)]));
  }
  return value;
}

function recordToTensor(r: TensorRecord, storages: Map<StorageRecord, Tensor>): Tensor {
  let storage = storages.get(r.storage);
  if (!storage) {
    const bytes = r.storage.bytes();
    // Own copy: the reader's buffer may be a view into a larger file buffer.
    storage = new torch.Tensor(native.fromBuffer(bytes, dtypeCode(r.dtype), [r.storage.numel], false));
    storages.set(r.storage, storage);
  }
  const t = new torch.Tensor(torch.aten.as_strided(storage.handle, r.shape, r.strides, r.storageOffset));
  if (r.requiresGrad) t.requiresGrad_(true);
  return torch.keep(t);
}

/** A tensor's contiguous CPU bytes as a record (float16/bfloat16/complex kept as they are). */
export function tensorToRecord(t: Tensor, key = '0'): TensorRecord {
  const bytes = new Uint8Array(native.toBuffer(t.handle));
  return tensorRecordFromBytes(t.dtype, t.shape, bytes, { key });
}

/** torch.load for gdt: a file written by torch.save (zip or legacy) with its tensors as Tensors. */
export async function loadTorchFile(path: string): Promise<unknown> {
  return materialize(await readTorchFile(path));
}

/** torch.save (zip format) of a structure holding Tensors; written atomically. */
export async function saveTorchFile(path: string, value: unknown): Promise<void> {
  let n = 0;
  await writeTorchFile(path, walkTensors(value, (t) => tensorToRecord(t, String(n++))));
}

function walkTensors(value: unknown, fn: (t: Tensor) => TensorRecord): unknown {
  if (value instanceof torch.Tensor) return fn(value);
  if (value instanceof Map) return new Map([...value].map(([k, v]) => [k, walkTensors(v, fn)]));
  if (Array.isArray(value)) return value.map((v) => walkTensors(v, fn));
  if (value && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, walkTensors(v, fn)]));
  }
  return value;
}

export async function loadSafetensors(path: string): Promise<{ tensors: Map<string, Tensor>; metadata: Record<string, string> | undefined }> {
  const f = await readSafetensors(path);
  return { tensors: materialize(f.tensors) as Map<string, Tensor>, metadata: f.metadata };
}

export async function saveSafetensors(path: string, tensors: Map<string, Tensor>, metadata?: Record<string, string>): Promise<void> {
  const entries: Record<string, TensorRecord> = {};
  for (const [k, t] of tensors) entries[k] = tensorToRecord(t, k);
  await writeSafetensors(path, entries, metadata);
}

/**
 * A flat state dict from a loaded checkpoint: picks `key` (e.g. 'model' or 'state_dict') when
 * given or when the top level has one of those, and removes a key prefix such as 'module.'.
 */
export function extractStateDict(loaded: unknown, o: { key?: string; stripPrefix?: string } = {}): Map<string, Tensor> {
  let v = loaded;
  const get = (obj: unknown, k: string): unknown => (obj instanceof Map ? obj.get(k) : (obj as Record<string, unknown>)?.[k]);
  const has = (obj: unknown, k: string): boolean => (obj instanceof Map ? obj.has(k) : !!obj && typeof obj === 'object' && k in obj);
  if (o.key !== undefined) {
    if (!has(v, o.key)) throw new Error(`the file has no top-level key '${o.key}'`);
    v = get(v, o.key);
  } else {
    for (const k of ['state_dict', 'model']) if (has(v, k) && !(get(v, k) instanceof torch.Tensor)) v = get(v, k);
  }
  const entries = v instanceof Map ? [...v] : v && typeof v === 'object' ? Object.entries(v) : [];
  const out = new Map<string, Tensor>();
  for (const [k, t] of entries) {
    if (!(t instanceof torch.Tensor)) continue;
    const name = String(k);
    out.set(o.stripPrefix && name.startsWith(o.stripPrefix) ? name.slice(o.stripPrefix.length) : name, t);
  }
  if (!out.size) throw new Error('no tensors found at that level of the file; pick one with --key (e.g. model or state_dict)');
  return out;
}
