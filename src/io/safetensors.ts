/**
 * safetensors reader/writer (https://github.com/huggingface/safetensors).
 *
 * Layout: u64 little-endian header length N, N bytes of UTF-8 JSON, then the
 * byte buffer. The header maps tensor names to {dtype, shape, data_offsets}
 * (offsets relative to the buffer start) plus an optional `__metadata__`
 * string map. Validation mirrors the reference implementation: header at most
 * 100 MB and starting with '{', every tensor's byte size equal to
 * numel * itemsize, and the tensors tiling the buffer exactly (no gaps, no
 * overlaps, nothing left over).
 */
import { open } from 'node:fs/promises';
import { writeAll, writeFileAtomic } from './atomic.js';
import { CheckpointError, asCheckpointError, quote } from './errors.js';
import { readFully, readAt, snapshotOf } from './file-source.js';
import {
  contiguousBytes,
  contiguousStrides,
  dtypeSize,
  isTensorRecord,
  shapeNumel,
  type DType,
  type TensorRecord,
} from './tensor-record.js';

const TO_SAFETENSORS: Partial<Record<DType, string>> = {
  float32: 'F32',
  float64: 'F64',
  float16: 'F16',
  bfloat16: 'BF16',
  int64: 'I64',
  int32: 'I32',
  int16: 'I16',
  int8: 'I8',
  uint8: 'U8',
  bool: 'BOOL',
  complex64: 'C64',
};

const FROM_SAFETENSORS: Readonly<Record<string, DType>> = Object.fromEntries(
  Object.entries(TO_SAFETENSORS).map(([k, v]) => [v, k as DType]),
);

/** Same limit as the reference implementation; real headers are far smaller. */
export const MAX_HEADER_SIZE = 100_000_000;
const METADATA_KEY = '__metadata__';

export interface SafetensorsEntry {
  dtype: DType;
  shape: number[];
  /** Row-major little-endian bytes. */
  data: Uint8Array;
}

export interface SafetensorsFile {
  /** In file order (by data offset). Each tensor has its own storage keyed by its name. */
  tensors: Map<string, TensorRecord>;
  /** The `__metadata__` map, or undefined when the file has none. */
  metadata: Record<string, string> | undefined;
}

function bad(reason: string): never {
  throw new CheckpointError(undefined, reason);
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

interface ParsedEntry {
  name: string;
  dtype: DType;
  shape: number[];
  begin: number;
  end: number;
}

/** Validate a decoded header against a buffer of `dataLength` bytes. */
function parseHeader(json: unknown, dataLength: number): { entries: ParsedEntry[]; metadata?: Record<string, string> } {
  if (!isPlainObject(json)) bad('header is not a JSON object');
  const entries: ParsedEntry[] = [];
  let metadata: Record<string, string> | undefined;
  for (const [name, info] of Object.entries(json)) {
    if (name === METADATA_KEY) {
      if (!isPlainObject(info)) bad('__metadata__ must be an object of strings');
      for (const [k, v] of Object.entries(info)) {
        if (typeof v !== 'string') bad(`__metadata__ value for ${JSON.stringify(quote(k, 60))} is not a string`);
      }
      metadata = Object.fromEntries(Object.entries(info)) as Record<string, string>;
      continue;
    }
    const what = `tensor ${JSON.stringify(quote(name, 80))}`;
    if (!isPlainObject(info)) bad(`${what}: entry is not an object`);
    const { dtype: st, shape, data_offsets: offsets } = info;
    if (typeof st !== 'string') bad(`${what}: missing dtype`);
    const dtype = Object.prototype.hasOwnProperty.call(FROM_SAFETENSORS, st) ? FROM_SAFETENSORS[st] : undefined;
    if (!dtype) bad(`${what}: unsupported dtype ${JSON.stringify(quote(st, 20))}`);
    if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && (d as number) >= 0)) {
      bad(`${what}: shape must be a list of non-negative integers`);
    }
    if (
      !Array.isArray(offsets) ||
      offsets.length !== 2 ||
      !offsets.every((o) => Number.isSafeInteger(o) && (o as number) >= 0)
    ) {
      bad(`${what}: data_offsets must be two non-negative integers`);
    }
    const [begin, end] = offsets as [number, number];
    if (end < begin) bad(`${what}: data_offsets end before they begin`);
    let numel: number;
    try {
      numel = shapeNumel(shape as number[]);
    } catch {
      bad(`${what}: shape is too large`);
    }
    const expected = numel * dtypeSize(dtype);
    if (!Number.isSafeInteger(expected) || end - begin !== expected) {
      bad(`${what}: ${end - begin} bytes do not match shape [${(shape as number[]).join(', ')}] of ${st}`);
    }
    entries.push({ name, dtype, shape: shape as number[], begin, end });
  }
  // The reference format has no holes: sorted by offset, each tensor starts
  // where the previous ended and the last ends at the end of the file.
  entries.sort((a, b) => a.begin - b.begin || a.end - b.end);
  let cursor = 0;
  for (const e of entries) {
    if (e.begin !== cursor) {
      bad(
        e.begin < cursor
          ? `tensor ${JSON.stringify(quote(e.name, 80))} overlaps the previous one`
          : `gap in the byte buffer before tensor ${JSON.stringify(quote(e.name, 80))}`,
      );
    }
    cursor = e.end;
  }
  if (cursor !== dataLength) {
    bad(
      cursor > dataLength
        ? `truncated: tensors need ${cursor} bytes of data, file has ${dataLength}`
        : `${dataLength - cursor} trailing bytes after the last tensor`,
    );
  }
  return metadata ? { entries, metadata } : { entries };
}

/**
 * Read a safetensors file's header and return lazily-read tensor records.
 * Only the header is read here; each tensor's bytes are read on demand with a
 * positional read, so nothing is loaded twice.
 */
export async function readSafetensors(path: string): Promise<SafetensorsFile> {
  try {
    const fh = await open(path, 'r');
    let header: Uint8Array;
    let snap;
    try {
      const st = await fh.stat();
      snap = snapshotOf(path, st);
      if (st.size < 8) bad(`truncated: ${st.size} bytes is shorter than the 8-byte header length`);
      const lenBuf = new Uint8Array(8);
      readFully(fh.fd, lenBuf, 0);
      const n64 = new DataView(lenBuf.buffer).getBigUint64(0, true);
      if (n64 > BigInt(MAX_HEADER_SIZE)) bad(`header length ${n64} exceeds ${MAX_HEADER_SIZE}`);
      const n = Number(n64);
      if (8 + n > st.size) bad(`truncated: header of ${n} bytes but file has ${st.size}`);
      header = new Uint8Array(n);
      readFully(fh.fd, header, 8);
    } finally {
      await fh.close();
    }
    let text: string;
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(header);
    } catch {
      bad('header is not valid UTF-8');
    }
    if (!text.startsWith('{')) bad("header does not start with '{'");
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (err) {
      bad(`header is not valid JSON (${(err as Error).message})`);
    }
    const dataStart = 8 + header.byteLength;
    const { entries, metadata } = parseHeader(json, snap.size - dataStart);
    const tensors = new Map<string, TensorRecord>();
    for (const e of entries) {
      const size = dtypeSize(e.dtype);
      const numel = (e.end - e.begin) / size;
      tensors.set(e.name, {
        dtype: e.dtype,
        shape: e.shape,
        strides: contiguousStrides(e.shape),
        storageOffset: 0,
        storage: {
          key: e.name,
          dtype: e.dtype,
          numel,
          bytes: () => readAt(snap, dataStart + e.begin, e.end - e.begin),
        },
      });
    }
    return { tensors, metadata };
  } catch (err) {
    throw asCheckpointError(path, err, 'invalid safetensors file');
  }
}

interface PlannedTensor {
  name: string;
  dtype: DType;
  shape: number[];
  nbytes: number;
  data: () => Uint8Array;
}

function plan(entries: Record<string, SafetensorsEntry | TensorRecord>): PlannedTensor[] {
  const out: PlannedTensor[] = [];
  for (const [name, entry] of Object.entries(entries)) {
    const what = `tensor ${JSON.stringify(quote(name, 80))}`;
    if (name === METADATA_KEY) bad(`${METADATA_KEY} is reserved and cannot name a tensor`);
    if (typeof entry !== 'object' || entry === null) bad(`${what}: not a tensor`);
    const dtype = entry.dtype;
    if (!TO_SAFETENSORS[dtype]) bad(`${what}: dtype ${String(dtype)} cannot be stored in safetensors`);
    let numel: number;
    try {
      numel = shapeNumel(entry.shape);
    } catch (err) {
      bad(`${what}: ${(err as Error).message}`);
    }
    const nbytes = numel * dtypeSize(dtype);
    if (isTensorRecord(entry)) {
      out.push({ name, dtype, shape: [...entry.shape], nbytes, data: () => contiguousBytes(entry) });
    } else {
      if (!(entry.data instanceof Uint8Array)) bad(`${what}: data must be a Uint8Array`);
      if (entry.data.byteLength !== nbytes) {
        bad(`${what}: ${entry.data.byteLength} bytes do not match shape [${entry.shape.join(', ')}] of ${dtype}`);
      }
      const data = entry.data;
      out.push({ name, dtype, shape: [...entry.shape], nbytes, data: () => data });
    }
  }
  // Like the reference writer: larger dtypes first, then by name, so that
  // every tensor starts at a multiple of its element size (the header is
  // padded to 8 bytes), which lets readers map the data without copying.
  out.sort((a, b) => dtypeSize(b.dtype) - dtypeSize(a.dtype) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return out;
}

/** Build the padded header (JSON + spaces) so that 8 + length is a multiple of 8. */
function buildHeader(tensors: PlannedTensor[], metadata?: Record<string, string>): Uint8Array {
  const header: Record<string, unknown> = {};
  if (metadata !== undefined) {
    if (!isPlainObject(metadata)) bad('metadata must be an object of strings');
    for (const [k, v] of Object.entries(metadata)) {
      if (typeof v !== 'string') bad(`metadata value for ${JSON.stringify(quote(k, 60))} is not a string`);
    }
    header[METADATA_KEY] = { ...metadata };
  }
  let offset = 0;
  for (const t of tensors) {
    Object.defineProperty(header, t.name, {
      value: { dtype: TO_SAFETENSORS[t.dtype], shape: t.shape, data_offsets: [offset, offset + t.nbytes] },
      enumerable: true,
      writable: true,
      configurable: true,
    });
    offset += t.nbytes;
  }
  const json = new TextEncoder().encode(JSON.stringify(header));
  const padded = Math.ceil(json.byteLength / 8) * 8;
  if (padded > MAX_HEADER_SIZE) bad('header would exceed the 100 MB limit');
  const out = new Uint8Array(8 + padded).fill(0x20, 8 + json.byteLength);
  new DataView(out.buffer).setBigUint64(0, BigInt(padded), true);
  out.set(json, 8);
  return out;
}

/**
 * Write tensors (raw bytes or TensorRecords, which are made contiguous) and an
 * optional string metadata map. Tensors are streamed one at a time into a
 * temp file that is fsynced and renamed over `path`.
 */
export async function writeSafetensors(
  path: string,
  entries: Record<string, SafetensorsEntry | TensorRecord>,
  metadata?: Record<string, string>,
): Promise<void> {
  try {
    const tensors = plan(entries);
    const header = buildHeader(tensors, metadata);
    await writeFileAtomic(path, async (fh) => {
      await writeAll(fh, header);
      for (const t of tensors) {
        const data = t.data();
        if (data.byteLength !== t.nbytes) bad(`tensor ${JSON.stringify(quote(t.name, 80))}: data changed size while writing`);
        await writeAll(fh, data);
      }
    });
  } catch (err) {
    throw asCheckpointError(path, err, 'cannot write safetensors file');
  }
}
