import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import { CheckpointError } from '../../src/io/errors.js';
import { readSafetensors, writeSafetensors, type SafetensorsEntry } from '../../src/io/safetensors.js';
import { contiguousBytes, tensorRecordFromBytes, type DType } from '../../src/io/tensor-record.js';
import { canonical, expected, fixture, isCleanError, tempDir } from './helpers.js';

const u8 = (...xs: number[]): Uint8Array => Uint8Array.from(xs);
const f32 = (...xs: number[]): Uint8Array => new Uint8Array(new Float32Array(xs).buffer);

/** Build a raw safetensors file from a header object and data. */
function rawFile(header: unknown, data: Uint8Array = new Uint8Array(0), pad = 0): Buffer {
  const json = Buffer.from(JSON.stringify(header) + ' '.repeat(pad));
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(json.length));
  return Buffer.concat([len, json, data]);
}

describe('safetensors', () => {
  let dir: string;
  let cleanup: () => void;
  before(() => ({ dir, cleanup } = tempDir()));
  after(() => cleanup());

  async function rejects(bytes: Uint8Array, pattern: RegExp): Promise<void> {
    const p = join(dir, 'bad.safetensors');
    writeFileSync(p, bytes);
    await assert.rejects(readSafetensors(p), (err: unknown) => {
      assert.ok(err instanceof CheckpointError && isCleanError(err), String(err));
      assert.ok(err.message.startsWith(`${p}: `), err.message);
      assert.match(err.message, pattern);
      return true;
    });
  }

  test('reads a file written independently from the spec (unaligned, name order)', async () => {
    const want = (expected as unknown as { safetensors: Record<string, { metadata: unknown; tensors: Array<[string, { tensor: Record<string, unknown> }]> }> })
      .safetensors['python.safetensors']!;
    const file = await readSafetensors(fixture('python.safetensors'));
    assert.deepEqual(file.metadata, want.metadata);
    assert.deepEqual([...file.tensors.keys()], want.tensors.map(([k]) => k));
    for (const [name, { tensor }] of want.tensors) {
      const got = (canonical(file.tensors.get(name)!) as { tensor: Record<string, unknown> }).tensor;
      for (const k of ['dtype', 'shape', 'stride', 'offset', 'values', 'hex']) assert.deepEqual(got[k], tensor[k], `${name}.${k}`);
    }
  });

  test('round trip: all dtypes, empty and 0-d tensors, metadata, 8-byte alignment', async () => {
    const entries: Record<string, SafetensorsEntry> = {
      'w.f64': { dtype: 'float64', shape: [2], data: new Uint8Array(new Float64Array([1.5, -2]).buffer) },
      'w.f32': { dtype: 'float32', shape: [2, 2], data: f32(1, 2, 3, 4) },
      'w.f16': { dtype: 'float16', shape: [1], data: u8(0x00, 0x3c) },
      'w.bf16': { dtype: 'bfloat16', shape: [1], data: u8(0x80, 0x3f) },
      'i.64': { dtype: 'int64', shape: [], data: new Uint8Array(new BigInt64Array([-5n]).buffer) },
      'i.32': { dtype: 'int32', shape: [1], data: new Uint8Array(new Int32Array([7]).buffer) },
      'i.16': { dtype: 'int16', shape: [1], data: u8(1, 0) },
      'i.8': { dtype: 'int8', shape: [3], data: u8(1, 2, 0xff) },
      u: { dtype: 'uint8', shape: [1, 1, 1], data: u8(9) },
      b: { dtype: 'bool', shape: [2], data: u8(1, 0) },
      c: { dtype: 'complex64', shape: [1], data: f32(1, -1) },
      empty: { dtype: 'float32', shape: [0, 5], data: new Uint8Array(0) },
      'also-empty': { dtype: 'int64', shape: [3, 0], data: new Uint8Array(0) },
    };
    const p = join(dir, 'rt.safetensors');
    await writeSafetensors(p, entries, { format: 'pt', '__proto__': 'x' });
    const raw = readFileSync(p);
    const n = Number(raw.readBigUInt64LE(0));
    assert.equal((8 + n) % 8, 0, 'header padded to 8 bytes');
    const header = JSON.parse(raw.subarray(8, 8 + n).toString('utf8')) as Record<string, { data_offsets: [number, number]; dtype: string }>;
    for (const [k, v] of Object.entries(header)) {
      if (k === '__metadata__') continue;
      const size = { F64: 8, I64: 8, C64: 8, F32: 4, I32: 4, F16: 2, BF16: 2, I16: 2 }[v.dtype] ?? 1;
      assert.equal((8 + n + v.data_offsets[0]) % size, 0, `${k} aligned`);
    }

    const file = await readSafetensors(p);
    assert.deepEqual(file.metadata, { format: 'pt', '__proto__': 'x' });
    assert.equal(Object.getPrototypeOf(file.metadata), Object.prototype);
    assert.deepEqual(new Set(file.tensors.keys()), new Set(Object.keys(entries)));
    for (const [name, e] of Object.entries(entries)) {
      const t = file.tensors.get(name)!;
      assert.equal(t.dtype, e.dtype);
      assert.deepEqual(t.shape, e.shape);
      assert.deepEqual(Buffer.from(contiguousBytes(t)), Buffer.from(e.data), name);
    }
  });

  test('TensorRecords (non-contiguous views) are written contiguously', async () => {
    const base = tensorRecordFromBytes('float32', [2, 3], f32(0, 1, 2, 3, 4, 5));
    const transposed = { ...base, shape: [3, 2], strides: [1, 3] };
    const p = join(dir, 'view.safetensors');
    await writeSafetensors(p, { t: transposed });
    const file = await readSafetensors(p);
    assert.equal(file.metadata, undefined);
    assert.deepEqual(Buffer.from(contiguousBytes(file.tensors.get('t')!)), Buffer.from(f32(0, 3, 1, 4, 2, 5)));
  });

  test('writer validation', async () => {
    const p = join(dir, 'w.safetensors');
    await assert.rejects(writeSafetensors(p, { x: { dtype: 'float32', shape: [3], data: f32(1, 2) } }), /do not match/);
    await assert.rejects(writeSafetensors(p, { x: { dtype: 'complex128', shape: [0], data: u8() } }), /cannot be stored/);
    await assert.rejects(writeSafetensors(p, { __metadata__: { dtype: 'uint8', shape: [0], data: u8() } }), /reserved/);
    await assert.rejects(writeSafetensors(p, {}, { a: 1 as unknown as string }), /not a string/);
    await assert.rejects(writeSafetensors(p, { x: { dtype: 'uint8', shape: [-1], data: u8() } }), /invalid dimension/);
  });

  test('reader validation', async () => {
    const ok = { a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] } };
    await rejects(u8(1, 2, 3), /shorter than the 8-byte header length/);
    await rejects(rawFile(ok, f32(1)).subarray(0, 20), /truncated/);
    const huge = Buffer.alloc(16);
    huge.writeBigUInt64LE(200_000_000n);
    await rejects(huge, /exceeds/);
    await rejects(rawFile([1, 2]), /does not start with/);
    const bad = rawFile({ a: 1 }).toString('latin1').replace('{"a":1}', '{"a":1,');
    await rejects(Buffer.from(bad, 'latin1'), /not valid JSON/);
    await rejects(Buffer.concat([Buffer.from([2, 0, 0, 0, 0, 0, 0, 0]), Buffer.from([0x7b, 0xff])]), /UTF-8/);
    await rejects(rawFile({ a: { dtype: 'F8_E4M3', shape: [1], data_offsets: [0, 1] } }, u8(0)), /unsupported dtype/);
    await rejects(rawFile({ a: { dtype: 'F32', shape: [2], data_offsets: [0, 4] } }, f32(1)), /do not match/);
    await rejects(rawFile({ a: { dtype: 'F32', shape: [-1], data_offsets: [0, 4] } }, f32(1)), /shape/);
    await rejects(rawFile({ a: { dtype: 'F32', shape: [1], data_offsets: [4, 0] } }, f32(1)), /end before/);
    await rejects(rawFile({ a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] } }, f32(1, 2)), /trailing bytes/);
    await rejects(rawFile({ a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] } }, u8(1)), /truncated/);
    await rejects(
      rawFile({ a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] }, b: { dtype: 'F32', shape: [1], data_offsets: [2, 6] } }, u8(0, 0, 0, 0, 0, 0)),
      /overlaps/,
    );
    await rejects(rawFile({ a: { dtype: 'F32', shape: [1], data_offsets: [4, 8] } }, f32(1, 2)), /gap/);
    await rejects(rawFile({ __metadata__: { a: 1 } }), /__metadata__/);
    await rejects(rawFile({ a: { dtype: 'U8', shape: [2 ** 40, 2 ** 40], data_offsets: [0, 1] } }, u8(0)), /too large/);
    // Padding with spaces (as writers do) is accepted.
    const p = join(dir, 'padded.safetensors');
    writeFileSync(p, rawFile(ok, f32(2.5), 5));
    const file = await readSafetensors(p);
    assert.deepEqual(Buffer.from(contiguousBytes(file.tensors.get('a')!)), Buffer.from(f32(2.5)));
  });

  test('fuzz: truncated and corrupted files give clean errors', { timeout: 60_000 }, async () => {
    const p = join(dir, 'src.safetensors');
    await writeSafetensors(
      p,
      {
        a: { dtype: 'float32', shape: [2, 3], data: f32(1, 2, 3, 4, 5, 6) },
        b: { dtype: 'int64', shape: [], data: new Uint8Array(8) },
        c: { dtype: 'bool', shape: [0], data: u8() },
      },
      { k: 'v' },
    );
    const original = new Uint8Array(readFileSync(p));
    const q = join(dir, 'fuzz.safetensors');
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.record({ cut: fc.nat({ max: original.length - 1 }) }),
          fc.record({
            edits: fc.array(fc.tuple(fc.nat({ max: original.length - 1 }), fc.integer({ min: 0, max: 255 })), {
              minLength: 1,
              maxLength: 6,
            }),
          }),
        ),
        async (m) => {
          let bytes: Uint8Array;
          if ('cut' in m) bytes = original.subarray(0, m.cut);
          else {
            bytes = original.slice();
            for (const [i, b] of m.edits) bytes[i] = b;
          }
          writeFileSync(q, bytes);
          try {
            const f = await readSafetensors(q);
            for (const t of f.tensors.values()) contiguousBytes(t);
          } catch (err) {
            if (!(err instanceof CheckpointError) || !isCleanError(err)) throw err;
          }
        },
      ),
      { numRuns: 300, interruptAfterTimeLimit: 20_000 },
    );
  });

  test('fuzz: random tensors round-trip', { timeout: 60_000 }, async () => {
    const dtypes: DType[] = ['float32', 'float64', 'float16', 'bfloat16', 'int64', 'int32', 'int16', 'int8', 'uint8', 'bool'];
    const entry = fc
      .tuple(fc.constantFrom(...dtypes), fc.array(fc.nat({ max: 3 }), { maxLength: 3 }))
      .chain(([dtype, shape]) => {
        const size = { float64: 8, int64: 8, float32: 4, int32: 4, float16: 2, bfloat16: 2, int16: 2 }[dtype as string] ?? 1;
        const n = shape.reduce((a, b) => a * b, 1) * size;
        return fc.uint8Array({ minLength: n, maxLength: n }).map((data) => ({ dtype, shape, data }));
      });
    const p = join(dir, 'prop.safetensors');
    await fc.assert(
      fc.asyncProperty(fc.dictionary(fc.string({ minLength: 1, maxLength: 8 }).filter((k) => k !== '__metadata__'), entry, { maxKeys: 5 }), async (entries) => {
        await writeSafetensors(p, entries);
        const f = await readSafetensors(p);
        assert.equal(f.tensors.size, Object.keys(entries).length);
        for (const [k, e] of Object.entries(entries)) {
          assert.deepEqual(Buffer.from(contiguousBytes(f.tensors.get(k)!)), Buffer.from(e.data));
        }
      }),
      { numRuns: 100, interruptAfterTimeLimit: 20_000 },
    );
  });
});
