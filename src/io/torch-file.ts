/**
 * Reader for files written by Python's `torch.save`, in all three layouts:
 *
 *  - zip (torch ≥ 1.6): `<archive>/data.pkl` plus one `<archive>/data/<key>`
 *    entry per storage, `<archive>/version`, optionally `<archive>/byteorder`;
 *  - legacy (torch < 1.6, or `_use_new_zipfile_serialization=False`): a run of
 *    pickles (magic number, protocol version, sys_info, the object, the list
 *    of storage keys) followed by each storage as an int64 element count and
 *    its raw bytes;
 *  - tar (torch ≤ 0.3): `storages`, `tensors` and `pickle` tar members.
 *
 * The object pickle goes through the restricted unpickler (nothing from the
 * file is ever executed). Storages become lazily read StorageRecords: only
 * the layout is parsed here, tensor bytes are read when `bytes()` is called.
 */
import { closeSync, fstatSync, openSync } from 'node:fs';
import { PassThrough, type Readable } from 'node:stream';
import { inflateRawSync } from 'node:zlib';
import yauzl from 'yauzl';
import { crc32 } from './crc32.js';
import { CheckpointError, asCheckpointError, quote } from './errors.js';
import { FileByteReader, readAt, readFully, snapshotOf, type FileSnapshot } from './file-source.js';
import { PyStorageType, PyTensorType, unpickle } from './pickle.js';
import {
  dtypeSize,
  swapBytesInPlace,
  validateTensorRecord,
  type DType,
  type StorageRecord,
  type TensorRecord,
} from './tensor-record.js';

/** torch.serialization.MAGIC_NUMBER, the first pickle of a legacy file. */
const LEGACY_MAGIC = 0x1950a86a20f9469cfc6cn;
/** torch.serialization.PROTOCOL_VERSION. */
const LEGACY_PROTOCOL_VERSION = 1001;

function bad(reason: string): never {
  throw new CheckpointError(undefined, reason);
}

/** Persistent-id fields may be bytes when the file came from Python 2. */
function asText(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (v instanceof Uint8Array) return new TextDecoder('latin1').decode(v);
  return undefined;
}

/** Storage keys are strings in every torch version; tolerate ints from odd writers. */
function storageKey(v: unknown): string {
  const s = typeof v === 'number' && Number.isSafeInteger(v) ? String(v) : asText(v);
  if (s === undefined) bad('storage key must be a string');
  return s;
}

function expectNumel(v: unknown, what: string): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) bad(`${what} must be a non-negative int`);
  return v;
}

/** Wrap a raw reader with the byte-order fix-up (copying, never in place on shared data). */
function inByteOrder(read: () => Uint8Array, dtype: DType, littleEndian: boolean): () => Uint8Array {
  if (littleEndian || dtypeSize(dtype) === 1) return read;
  return () => {
    const data = read().slice();
    swapBytesInPlace(data, dtype);
    return data;
  };
}

/**
 * Storages referenced by a legacy pickle: created on first reference, given
 * their file position once the key list after the pickle has been read.
 */
class LegacyStorages {
  readonly roots = new Map<string, { record: StorageRecord; dataStart: number }>();
  private readonly views = new Map<string, StorageRecord>();

  constructor(
    private readonly snap: FileSnapshot,
    private readonly littleEndian: boolean,
  ) {}

  root(key: string, type: PyStorageType, numel: number): StorageRecord {
    const hit = this.roots.get(key);
    if (hit) {
      if (hit.record.dtype !== type.dtype) bad(`storage ${JSON.stringify(quote(key, 40))} used with two dtypes`);
      return hit.record;
    }
    const slot = { record: undefined as unknown as StorageRecord, dataStart: -1 };
    const nbytes = numel * dtypeSize(type.dtype);
    const raw = (): Uint8Array => {
      if (slot.dataStart < 0) throw new CheckpointError(this.snap.path, `storage ${JSON.stringify(key)} has no data`);
      return readAt(this.snap, slot.dataStart, nbytes);
    };
    slot.record = { key, dtype: type.dtype, numel, bytes: inByteOrder(raw, type.dtype, this.littleEndian) };
    this.roots.set(key, slot);
    return slot.record;
  }

  /** A storage that is a slice of another (pre-1.0 storage views). */
  view(viewKey: string, root: StorageRecord, offset: number, numel: number): StorageRecord {
    const hit = this.views.get(viewKey);
    if (hit) return hit;
    if (offset + numel > root.numel) bad(`storage view ${JSON.stringify(quote(viewKey, 40))} exceeds its storage`);
    const size = dtypeSize(root.dtype);
    const record: StorageRecord = {
      key: viewKey,
      dtype: root.dtype,
      numel,
      bytes: () => root.bytes().subarray(offset * size, (offset + numel) * size),
    };
    this.views.set(viewKey, record);
    return record;
  }
}

// ------------------------------------------------------------------ legacy

function readLegacy(fd: number, snap: FileSnapshot): unknown {
  const r = new FileByteReader(fd, 0, snap.size);
  let magic: unknown;
  try {
    magic = unpickle(r);
  } catch (err) {
    bad(`not a torch file (neither zip nor legacy torch.save format: ${(err as Error).message})`);
  }
  if (magic !== LEGACY_MAGIC) bad('not a torch file (bad magic number)');
  const protocol = unpickle(r);
  if (protocol !== LEGACY_PROTOCOL_VERSION) bad(`unsupported legacy protocol version ${String(protocol)}`);
  const sysInfo = unpickle(r);
  let littleEndian = true;
  if (sysInfo instanceof Map && sysInfo.get('little_endian') === false) littleEndian = false;

  const storages = new LegacyStorages(snap, littleEndian);
  const result = unpickle(r, {
    persistentLoad: (pid) => {
      if (!Array.isArray(pid) || pid.length === 0) bad('persistent id must be a tuple');
      const typename = asText(pid[0]);
      if (typename !== 'storage') bad(`unsupported persistent id type ${JSON.stringify(quote(String(typename), 40))}`);
      if (pid.length !== 5 && pid.length !== 6) bad('malformed storage persistent id');
      const [, type, rootKeyRaw, location, numelRaw, viewMeta] = pid;
      if (!(type instanceof PyStorageType)) bad('persistent id does not name a storage type');
      if (asText(location) === undefined) bad('storage location must be a string');
      const root = storages.root(storageKey(rootKeyRaw), type, expectNumel(numelRaw, 'storage size'));
      if (viewMeta === undefined || viewMeta === null) return root;
      if (!Array.isArray(viewMeta) || viewMeta.length !== 3) bad('malformed storage view metadata');
      return storages.view(
        storageKey(viewMeta[0]),
        root,
        expectNumel(viewMeta[1], 'view offset'),
        expectNumel(viewMeta[2], 'view size'),
      );
    },
  });

  const keys = unpickle(r);
  if (!Array.isArray(keys)) bad('storage key list is not a list');
  let pos = r.position;
  const header = new Uint8Array(8);
  for (const k of keys) {
    const key = storageKey(k);
    const slot = storages.roots.get(key);
    if (!slot) bad(`storage ${JSON.stringify(quote(key, 40))} is listed but never used`);
    if (pos + 8 > snap.size) bad(`truncated: storage ${JSON.stringify(quote(key, 40))} is missing`);
    readFully(fd, header, pos);
    const count = new DataView(header.buffer).getBigInt64(0, littleEndian);
    if (count !== BigInt(slot.record.numel)) {
      bad(`storage ${JSON.stringify(quote(key, 40))} has ${count} elements, expected ${slot.record.numel}`);
    }
    const nbytes = slot.record.numel * dtypeSize(slot.record.dtype);
    if (pos + 8 + nbytes > snap.size) bad(`truncated: storage ${JSON.stringify(quote(key, 40))} is cut short`);
    slot.dataStart = pos + 8;
    pos += 8 + nbytes;
  }
  for (const [key, slot] of storages.roots) {
    if (slot.dataStart < 0) bad(`storage ${JSON.stringify(quote(key, 40))} is used but has no data`);
  }
  return result;
}

// ------------------------------------------------------------------ tar

interface TarMember {
  start: number;
  size: number;
}

function parseOctal(field: Uint8Array): number {
  // GNU base-256 for large sizes: high bit set, big-endian remainder.
  if (field[0]! & 0x80) {
    let v = field[0]! & 0x7f;
    for (let i = 1; i < field.length; i++) v = v * 256 + field[i]!;
    if (!Number.isSafeInteger(v)) bad('tar size too large');
    return v;
  }
  const text = new TextDecoder('latin1').decode(field).replace(/\0.*$/s, '').trim();
  if (!/^[0-7]*$/.test(text)) bad('invalid tar header number');
  return text === '' ? 0 : parseInt(text, 8);
}

function cString(field: Uint8Array): string {
  const end = field.indexOf(0);
  return new TextDecoder('utf-8').decode(end < 0 ? field : field.subarray(0, end));
}

/** True when the first block is a tar header with a valid checksum. */
export function isTarHeader(block: Uint8Array): boolean {
  if (block.byteLength < 512) return false;
  const stored = new TextDecoder('latin1').decode(block.subarray(148, 156)).replace(/\0.*$/s, '').trim();
  if (!/^[0-7]+$/.test(stored)) return false;
  let sum = 0;
  for (let i = 0; i < 512; i++) sum += i >= 148 && i < 156 ? 0x20 : block[i]!;
  return sum === parseInt(stored, 8);
}

function tarMembers(fd: number, size: number): Map<string, TarMember> {
  const members = new Map<string, TarMember>();
  const block = new Uint8Array(512);
  let pos = 0;
  let paxPath: string | undefined;
  let paxSize: number | undefined;
  let longName: string | undefined;
  while (pos + 512 <= size) {
    readFully(fd, block, pos);
    if (block.every((b) => b === 0)) break;
    if (!isTarHeader(block)) bad(`corrupt tar header at offset ${pos}`);
    const type = String.fromCharCode(block[156]!);
    let entrySize = parseOctal(block.subarray(124, 136));
    const dataStart = pos + 512;
    if (dataStart + entrySize > size) bad('truncated tar member');
    if (type === 'x' || type === 'L') {
      if (entrySize > 1 << 20) bad('tar extended header too large');
      const data = new Uint8Array(entrySize);
      readFully(fd, data, dataStart);
      if (type === 'L') longName = cString(data);
      else {
        const text = new TextDecoder('utf-8').decode(data);
        for (const m of text.matchAll(/\d+ ([^=\n]+)=([^\n]*)\n/g)) {
          if (m[1] === 'path') paxPath = m[2];
          if (m[1] === 'size' && /^\d+$/.test(m[2]!)) paxSize = Number(m[2]);
        }
      }
    } else if (type !== 'g') {
      if (paxSize !== undefined) entrySize = paxSize;
      if (dataStart + entrySize > size) bad('truncated tar member');
      let name = paxPath ?? longName ?? cString(block.subarray(0, 100));
      const prefix = cString(block.subarray(345, 500));
      if (paxPath === undefined && longName === undefined && prefix) name = `${prefix}/${name}`;
      if (type === '0' || type === '\0') members.set(name.replace(/^\.\//, ''), { start: dataStart, size: entrySize });
      paxPath = paxSize = longName = undefined;
    }
    pos = dataStart + Math.ceil(entrySize / 512) * 512;
  }
  return members;
}

function readTar(fd: number, snap: FileSnapshot): unknown {
  const members = tarMembers(fd, snap.size);
  const member = (name: string): TarMember => {
    const m = members.get(name);
    if (!m) bad(`tar checkpoint has no '${name}' member`);
    return m;
  };

  // storages: count, then per storage (key, location, type) + int64 numel + raw bytes.
  const storages = new Map<string, StorageRecord>();
  const sm = member('storages');
  const sr = new FileByteReader(fd, sm.start, sm.start + sm.size);
  const numStorages = expectNumel(unpickle(sr), 'storage count');
  for (let i = 0; i < numStorages; i++) {
    const args = unpickle(sr);
    if (!Array.isArray(args) || args.length !== 3 || !(args[2] instanceof PyStorageType)) {
      bad('malformed storage record in tar checkpoint');
    }
    const key = storageKey(args[0]);
    const dtype = args[2].dtype;
    const count = new DataView(sr.read(8).slice().buffer).getBigInt64(0, true);
    if (count < 0n || count > BigInt(Number.MAX_SAFE_INTEGER)) bad('invalid storage size');
    const numel = Number(count);
    const nbytes = numel * dtypeSize(dtype);
    const dataStart = sr.position;
    if (dataStart + nbytes > sm.start + sm.size) bad(`truncated: storage ${JSON.stringify(quote(key, 40))} is cut short`);
    sr.seek(dataStart + nbytes);
    storages.set(key, { key, dtype, numel, bytes: () => readAt(snap, dataStart, nbytes) });
  }
  const views = unpickle(sr);
  if (!Array.isArray(views)) bad('malformed storage views in tar checkpoint');
  for (const v of views) {
    if (!Array.isArray(v) || v.length !== 4) bad('malformed storage view in tar checkpoint');
    const root = storages.get(storageKey(v[1]));
    if (!root) bad('storage view of an unknown storage');
    const offset = expectNumel(v[2], 'view offset');
    const numel = expectNumel(v[3], 'view size');
    if (offset + numel > root.numel) bad('storage view exceeds its storage');
    const size = dtypeSize(root.dtype);
    const key = storageKey(v[0]);
    storages.set(key, {
      key,
      dtype: root.dtype,
      numel,
      bytes: () => root.bytes().subarray(offset * size, (offset + numel) * size),
    });
  }

  // tensors: count, then per tensor (key, storage key, type) + ndim, sizes, strides, offset.
  const tensors = new Map<string, TensorRecord>();
  const tm = member('tensors');
  const tr = new FileByteReader(fd, tm.start, tm.start + tm.size);
  const numTensors = expectNumel(unpickle(tr), 'tensor count');
  for (let i = 0; i < numTensors; i++) {
    const args = unpickle(tr);
    if (!Array.isArray(args) || args.length !== 3) bad('malformed tensor record in tar checkpoint');
    const storage = storages.get(storageKey(args[1]));
    if (!storage) bad('tensor refers to an unknown storage');
    if (args[2] instanceof PyTensorType && args[2].dtype !== storage.dtype) bad('tensor type does not match its storage');
    const head = tr.read(8).slice();
    const ndim = new DataView(head.buffer).getInt32(0, true);
    if (ndim < 0 || ndim > 64) bad(`invalid tensor rank ${ndim}`);
    const dims = tr.read(8 * (2 * ndim + 1)).slice();
    const dv = new DataView(dims.buffer);
    const num = (i: number): number => {
      const v = dv.getBigInt64(8 * i, true);
      if (v < 0n || v > BigInt(Number.MAX_SAFE_INTEGER)) bad('invalid tensor geometry');
      return Number(v);
    };
    const record: TensorRecord = {
      dtype: storage.dtype,
      shape: Array.from({ length: ndim }, (_, d) => num(d)),
      strides: Array.from({ length: ndim }, (_, d) => num(ndim + d)),
      storageOffset: num(2 * ndim),
      storage,
      requiresGrad: false,
    };
    try {
      validateTensorRecord(record);
    } catch (err) {
      bad(`tensor ${JSON.stringify(quote(storageKey(args[0]), 40))}: ${(err as Error).message}`);
    }
    tensors.set(storageKey(args[0]), record);
  }

  const pm = member('pickle');
  return unpickle(new FileByteReader(fd, pm.start, pm.start + pm.size), {
    persistentLoad: (pid) => {
      if (Array.isArray(pid)) bad('whole-module pickles (module persistent ids) are not supported');
      // torch looks the id up as int(saved_id).
      const text = asText(pid) ?? (typeof pid === 'number' ? String(pid) : undefined);
      const key = text !== undefined && /^\s*[+-]?\d+\s*$/.test(text) ? BigInt(text.trim()).toString() : text;
      const hit = key === undefined ? undefined : (tensors.get(key) ?? storages.get(key));
      if (!hit) bad(`unknown persistent id ${JSON.stringify(quote(String(pid), 40))}`);
      return hit;
    },
  });
}

// ------------------------------------------------------------------ zip

interface ZipEntryInfo {
  name: string;
  localHeaderOffset: number;
  compressedSize: number;
  uncompressedSize: number;
  method: number;
  crc32: number;
  encrypted: boolean;
}

/**
 * yauzl reads through this instead of its own fd reader: positions come from
 * the (untrusted) file, and fs.read throws synchronously for out-of-range
 * positions, which inside yauzl's callbacks would be an uncaught exception.
 * Validating here turns that into an ordinary error. It also leaves closing
 * the descriptor to us.
 */
class CheckedFdReader extends yauzl.RandomAccessReader {
  constructor(
    private readonly fd: number,
    private readonly size: number,
  ) {
    super();
  }

  override read(buffer: Buffer, offset: number, length: number, position: number, callback: (err: Error | null) => void): void {
    if (
      !Number.isSafeInteger(position) ||
      !Number.isSafeInteger(length) ||
      position < 0 ||
      length < 0 ||
      position + length > this.size ||
      offset + length > buffer.byteLength
    ) {
      setImmediate(() => callback(new Error(`read of ${length} bytes at offset ${position} is outside the file`)));
      return;
    }
    try {
      readFully(this.fd, buffer.subarray(offset, offset + length), position);
    } catch (err) {
      setImmediate(() => callback(err as Error));
      return;
    }
    setImmediate(() => callback(null));
  }

  override _readStreamForRange(start: number, end: number): Readable {
    const length = end - start;
    const buf = Buffer.alloc(Math.max(0, length));
    const stream = new PassThrough();
    this.read(buf, 0, length, start, (err) => (err ? stream.destroy(err) : stream.end(buf)));
    return stream;
  }

  override close(callback: (err: Error | null) => void): void {
    setImmediate(() => callback(null));
  }
}

async function zipDirectory(fd: number, size: number): Promise<ZipEntryInfo[]> {
  const zip = await yauzl.fromRandomAccessReaderPromise(new CheckedFdReader(fd, size), size, {
    lazyEntries: true,
    autoClose: false,
    decodeStrings: true,
    validateEntrySizes: true,
    strictFileNames: false,
  });
  // A late error event must not become an uncaught exception.
  zip.on('error', () => undefined);
  try {
    const entries: ZipEntryInfo[] = [];
    for await (const e of zip.eachEntry()) {
      entries.push({
        name: e.fileName,
        localHeaderOffset: e.relativeOffsetOfLocalHeader,
        compressedSize: e.compressedSize,
        uncompressedSize: e.uncompressedSize,
        method: e.compressionMethod,
        crc32: e.crc32,
        encrypted: (e.generalPurposeBitFlag & 1) !== 0,
      });
    }
    return entries;
  } finally {
    zip.close();
  }
}

/** Where an entry's data starts, from its local header (the central directory does not say). */
function dataStartOf(fd: number, size: number, e: ZipEntryInfo): number {
  if (e.localHeaderOffset + 30 > size) bad(`truncated: local header of ${JSON.stringify(quote(e.name, 60))}`);
  const h = new Uint8Array(30);
  readFully(fd, h, e.localHeaderOffset);
  const dv = new DataView(h.buffer);
  if (dv.getUint32(0, true) !== 0x04034b50) bad(`bad local header for ${JSON.stringify(quote(e.name, 60))}`);
  const start = e.localHeaderOffset + 30 + dv.getUint16(26, true) + dv.getUint16(28, true);
  if (start + e.compressedSize > size) bad(`truncated: data of ${JSON.stringify(quote(e.name, 60))}`);
  return start;
}

/** Read an entry's content, inflating if needed and checking the CRC. */
function entryReader(snap: FileSnapshot, e: ZipEntryInfo, dataStart: number): () => Uint8Array {
  if (e.encrypted) bad(`entry ${JSON.stringify(quote(e.name, 60))} is encrypted`);
  if (e.method !== 0 && e.method !== 8) bad(`entry ${JSON.stringify(quote(e.name, 60))} uses unsupported compression ${e.method}`);
  if (e.method === 0 && e.compressedSize !== e.uncompressedSize) bad(`entry ${JSON.stringify(quote(e.name, 60))} has inconsistent sizes`);
  return () => {
    const raw = readAt(snap, dataStart, e.compressedSize);
    let data = raw;
    if (e.method === 8) {
      try {
        const out = inflateRawSync(raw, { maxOutputLength: Math.max(e.uncompressedSize, 1) });
        data = new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
      } catch (err) {
        throw new CheckpointError(snap.path, `cannot inflate ${JSON.stringify(quote(e.name, 60))}: ${(err as Error).message}`);
      }
      if (data.byteLength !== e.uncompressedSize) {
        throw new CheckpointError(snap.path, `entry ${JSON.stringify(quote(e.name, 60))} has the wrong size`);
      }
    }
    if (crc32(data) !== e.crc32 >>> 0) {
      throw new CheckpointError(snap.path, `CRC mismatch in ${JSON.stringify(quote(e.name, 60))} (corrupt file)`);
    }
    return data;
  };
}

async function readZip(fd: number, snap: FileSnapshot): Promise<unknown> {
  let entries: ZipEntryInfo[];
  try {
    entries = await zipDirectory(fd, snap.size);
  } catch (err) {
    if (err instanceof CheckpointError) throw err;
    bad(`corrupt zip archive (${(err as Error).message})`);
  }
  const byName = new Map<string, ZipEntryInfo>();
  for (const e of entries) {
    // Two entries with one name could show different content to different readers.
    if (byName.has(e.name)) bad(`duplicate zip entry ${JSON.stringify(quote(e.name, 60))}`);
    byName.set(e.name, e);
  }
  if (entries.length === 0) bad('not a torch checkpoint: empty zip archive');
  // Like torch's reader: every record lives under the first entry's top folder.
  const first = entries[0]!.name;
  const slash = first.indexOf('/');
  if (slash <= 0) bad('not a torch checkpoint: zip entries are not inside an archive folder');
  const prefix = first.slice(0, slash + 1);
  const record = (name: string): ZipEntryInfo | undefined => byName.get(prefix + name);

  if (record('constants.pkl') || entries.some((e) => e.name.startsWith(`${prefix}code/`))) {
    bad('TorchScript archive (torch.jit.save) is not supported; save a state_dict with torch.save instead');
  }
  const pkl = record('data.pkl');
  if (!pkl) bad(`not a torch checkpoint: zip archive has no ${JSON.stringify(quote(prefix + 'data.pkl', 80))}`);
  const small = (e: ZipEntryInfo): Uint8Array => {
    if (e.uncompressedSize > 1 << 30) bad(`entry ${JSON.stringify(quote(e.name, 60))} is too large`);
    return entryReader(snap, e, dataStartOf(fd, snap.size, e))();
  };

  const version = record('version') ?? record('.data/version');
  if (version) {
    const text = new TextDecoder('latin1').decode(small(version)).trim();
    if (!/^\d+$/.test(text)) bad(`invalid version record ${JSON.stringify(quote(text, 20))}`);
  }
  let littleEndian = true;
  const byteorder = record('byteorder');
  if (byteorder) {
    const text = new TextDecoder('latin1').decode(small(byteorder)).trim();
    if (text !== 'little' && text !== 'big') bad(`invalid byteorder record ${JSON.stringify(quote(text, 20))}`);
    littleEndian = text === 'little';
  }

  const storages = new Map<string, StorageRecord>();
  return unpickle(small(pkl), {
    persistentLoad: (pid) => {
      if (!Array.isArray(pid) || pid.length !== 5) bad('malformed storage persistent id');
      const [typename, type, keyRaw, location, numelRaw] = pid;
      if (asText(typename) !== 'storage') bad(`unsupported persistent id type ${JSON.stringify(quote(String(typename), 40))}`);
      if (!(type instanceof PyStorageType)) bad('persistent id does not name a storage type');
      if (asText(location) === undefined) bad('storage location must be a string');
      const key = storageKey(keyRaw);
      const numel = expectNumel(numelRaw, 'storage size');
      const hit = storages.get(key);
      if (hit) {
        if (hit.dtype !== type.dtype || hit.numel !== numel) bad(`storage ${JSON.stringify(quote(key, 40))} used inconsistently`);
        return hit;
      }
      const e = record(`data/${key}`);
      if (!e) bad(`storage ${JSON.stringify(quote(key, 40))} is missing from the archive`);
      const nbytes = numel * dtypeSize(type.dtype);
      if (e.uncompressedSize !== nbytes) {
        bad(`storage ${JSON.stringify(quote(key, 40))} has ${e.uncompressedSize} bytes, expected ${nbytes}`);
      }
      const raw = entryReader(snap, e, dataStartOf(fd, snap.size, e));
      const storage: StorageRecord = { key, dtype: type.dtype, numel, bytes: inByteOrder(raw, type.dtype, littleEndian) };
      storages.set(key, storage);
      return storage;
    },
  });
}

// ------------------------------------------------------------------ entry point

/**
 * Read a file written by `torch.save` and return its object with tensors as
 * TensorRecords (see pickle.ts for how Python values map to JS). Never runs
 * code from the file; refuses any global outside a small allow-list. Errors
 * are CheckpointErrors whose one-line message names the file and the reason.
 */
export async function readTorchFile(path: string): Promise<unknown> {
  let fd: number | undefined;
  try {
    fd = openSync(path, 'r');
    const st = fstatSync(fd);
    if (!st.isFile()) bad('not a regular file');
    const snap = snapshotOf(path, st);
    if (st.size === 0) bad('empty file');
    const head = new Uint8Array(Math.min(512, st.size));
    readFully(fd, head, 0);
    if (head.byteLength >= 4 && head[0] === 0x50 && head[1] === 0x4b && (head[2] === 3 || head[2] === 5)) {
      return await readZip(fd, snap);
    }
    if (isTarHeader(head)) return readTar(fd, snap);
    return readLegacy(fd, snap);
  } catch (err) {
    throw asCheckpointError(path, err);
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
