import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import { writeFileAtomic, writeAll } from '../../src/io/atomic.js';
import { crc32, crc32Fallback } from '../../src/io/crc32.js';
import {
  contiguousBytes,
  contiguousStrides,
  isContiguous,
  storageFromBytes,
  swapBytesInPlace,
  tensorRecordFromBytes,
  validateTensorRecord,
  type TensorRecord,
} from '../../src/io/tensor-record.js';
import { tempDir } from './helpers.js';

const f32 = (xs: number[]): Uint8Array => new Uint8Array(new Float32Array(xs).buffer);
const values = (b: Uint8Array): number[] => [...new Float32Array(b.slice().buffer)];

/** Reference gather: element by element through the strides. */
function naive(t: TensorRecord): number[] {
  const src = new Float32Array(t.storage.bytes().slice().buffer);
  const out: number[] = [];
  const idx = new Array<number>(t.shape.length).fill(0);
  const numel = t.shape.reduce((a, b) => a * b, 1);
  for (let n = 0; n < numel; n++) {
    let off = t.storageOffset;
    for (let d = 0; d < idx.length; d++) off += idx[d]! * t.strides[d]!;
    out.push(src[off]!);
    for (let d = idx.length - 1; d >= 0; d--) {
      if (++idx[d]! < t.shape[d]!) break;
      idx[d] = 0;
    }
  }
  return out;
}

describe('tensor records', () => {
  const base = tensorRecordFromBytes('float32', [4, 6], f32(Array.from({ length: 24 }, (_, i) => i)));
  const view = (shape: number[], strides: number[], storageOffset: number): TensorRecord => ({
    ...base,
    shape,
    strides,
    storageOffset,
  });

  test('contiguous tensors are returned without copying', () => {
    const b = contiguousBytes(base);
    assert.equal(b.buffer, base.storage.bytes().buffer);
    assert.deepEqual(values(contiguousBytes(view([2, 6], [6, 1], 6))), naive(view([2, 6], [6, 1], 6)));
  });

  test('transpose, slice, step, broadcast, 0-d, empty', () => {
    const cases: TensorRecord[] = [
      view([6, 4], [1, 6], 0),
      view([2, 3], [6, 1], 8),
      view([4, 3], [6, 2], 0),
      view([3, 6], [0, 1], 6),
      view([], [], 22),
      view([0, 3], [3, 1], 0),
      view([2, 1, 3], [6, 99, 2], 1),
    ];
    for (const t of cases) assert.deepEqual(values(contiguousBytes(t)), naive(t), JSON.stringify(t.shape));
  });

  test('property: any in-bounds strided view matches the naive gather', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 4 }), fc.integer({ min: 0, max: 7 })), { maxLength: 4 }),
        fc.nat({ max: 23 }),
        (dims, offset) => {
          const t = view(dims.map((d) => d[0]), dims.map((d) => d[1]), offset);
          let ok = true;
          try {
            validateTensorRecord(t);
          } catch {
            ok = false;
          }
          if (!ok) return;
          assert.deepEqual(values(contiguousBytes(t)), naive(t));
        },
      ),
      { numRuns: 500 },
    );
  });

  test('validation', () => {
    assert.throws(() => contiguousBytes(view([5, 6], [6, 1], 0)), /reaches element 29 of a storage of 24/);
    assert.throws(() => contiguousBytes(view([2], [-1], 5)), /invalid stride/);
    assert.throws(() => contiguousBytes(view([2], [1, 1], 0)), /dims/);
    assert.throws(() => contiguousBytes({ ...base, dtype: 'int32' }), /differs/);
    assert.throws(() => tensorRecordFromBytes('float32', [3], f32([1])), /needs 12 bytes/);
    assert.throws(() => storageFromBytes('k', 'int64', new Uint8Array(3)), /whole number/);
    assert.doesNotThrow(() => contiguousBytes(view([0], [1], 1000)));
  });

  test('helpers', () => {
    assert.deepEqual(contiguousStrides([2, 3, 4]), [12, 4, 1]);
    assert.deepEqual(contiguousStrides([2, 0, 4]), [4, 4, 1]);
    assert.ok(isContiguous(view([1, 6], [999, 1], 0)));
    assert.ok(!isContiguous(view([6, 4], [1, 6], 0)));
    const b = Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8]);
    swapBytesInPlace(b, 'complex64');
    assert.deepEqual([...b], [4, 3, 2, 1, 8, 7, 6, 5]);
  });

  test('crc32: native and fallback agree', () => {
    assert.equal(crc32(new TextEncoder().encode('123456789')), 0xcbf43926);
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.uint8Array({ maxLength: 50 }), (a, b) => {
        assert.equal(crc32Fallback(a), crc32(a));
        assert.equal(crc32Fallback(b, crc32Fallback(a)), crc32(Buffer.concat([a, b])));
      }),
    );
  });
});

describe('writeFileAtomic', () => {
  let dir: string;
  let cleanup: () => void;
  before(() => ({ dir, cleanup } = tempDir()));
  after(() => cleanup());

  test('writes bytes, strings and streamed content, replacing the old file', async () => {
    const p = join(dir, 'a.bin');
    await writeFileAtomic(p, 'old');
    await writeFileAtomic(p, Uint8Array.from([1, 2, 3]));
    assert.deepEqual([...readFileSync(p)], [1, 2, 3]);
    await writeFileAtomic(p, async (fh) => {
      await writeAll(fh, Uint8Array.from([9]));
      await writeAll(fh, Uint8Array.from([8]));
    });
    assert.deepEqual([...readFileSync(p)], [9, 8]);
    assert.deepEqual(readdirSync(dir), ['a.bin'], 'no temp files left behind');
  });

  test('a failing writer leaves the old file and no temp file', async () => {
    const p = join(dir, 'keep.bin');
    writeFileSync(p, 'precious');
    await assert.rejects(
      writeFileAtomic(p, async (fh) => {
        await writeAll(fh, Uint8Array.from([1]));
        throw new Error('boom');
      }),
      /boom/,
    );
    assert.equal(readFileSync(p, 'utf8'), 'precious');
    assert.ok(readdirSync(dir).every((f) => !f.endsWith('.tmp')));
  });

  test('missing directory is an error', async () => {
    await assert.rejects(writeFileAtomic(join(dir, 'no', 'such', 'x'), 'x'), /ENOENT/);
    assert.equal(existsSync(join(dir, 'no')), false);
  });
});
