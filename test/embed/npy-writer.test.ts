// The .npy writer: headers as numpy writes them (64-byte aligned data), round trips through the
// reader of src/models/npy.ts and, where Python's numpy is installed, through np.load.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeNpy, npyHeader, writeNpy, writeNpyStream } from '../../src/io/npy-writer.js';
import { parseNpy, readNpy } from '../../src/models/npy.js';

test('header: magic, version 1.0, dict with shape, padded to 64 bytes with a final newline', () => {
  const h = npyHeader('<f4', [3, 5]);
  assert.equal(h.length % 64, 0);
  assert.deepEqual([...h.subarray(0, 8)], [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]);
  const len = h[8]! | (h[9]! << 8);
  assert.equal(10 + len, h.length);
  const text = new TextDecoder('latin1').decode(h.subarray(10));
  assert.match(text, /^\{'descr': '<f4', 'fortran_order': False, 'shape': \(3, 5\), \} *\n$/);
  assert.match(new TextDecoder('latin1').decode(npyHeader('<i8', [7]).subarray(10)), /'shape': \(7,\), /, 'a 1-tuple keeps its comma');
  assert.match(new TextDecoder('latin1').decode(npyHeader('<f8', []).subarray(10)), /'shape': \(\), /, 'a scalar');
});

test('round trip through the reader: float32, float64, int32, int64, uint8; empty arrays', () => {
  const f = Float32Array.from({ length: 12 }, (_, i) => i * 0.5 - 2);
  const back = parseNpy(encodeNpy(f, [3, 4]));
  assert.equal(back.descr, '<f4');
  assert.deepEqual(back.shape, [3, 4]);
  assert.equal(back.fortranOrder, false);
  assert.deepEqual([...(back.data as Float32Array)], [...f]);
  assert.deepEqual([...(parseNpy(encodeNpy(Float64Array.from([Math.PI, -1e300]), [2])).data as Float64Array)], [Math.PI, -1e300]);
  assert.deepEqual([...(parseNpy(encodeNpy(Int32Array.from([-5, 7]), [1, 2])).data as Int32Array)], [-5, 7]);
  assert.deepEqual([...(parseNpy(encodeNpy(BigInt64Array.from([-(2n ** 40n)]), [1])).data as BigInt64Array)], [-(2n ** 40n)]);
  assert.equal(parseNpy(encodeNpy(Uint8Array.from([1, 2, 255]), [3])).descr, '|u1');
  const empty = parseNpy(encodeNpy(new Float32Array(0), [0, 128]));
  assert.deepEqual(empty.shape, [0, 128]);
  assert.equal(empty.data.length, 0);
  assert.throws(() => encodeNpy(new Float32Array(5), [2, 3]), /shape \[2, 3\] holds 6 elements, the data 5/);
});

test('streamed writing equals the one-shot file; a wrong element count leaves no file', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'gdt-npy-'));
  const data = Float32Array.from({ length: 40 }, (_, i) => Math.sin(i));
  await writeNpy(join(dir, 'a.npy'), data, [10, 4]);
  await writeNpyStream(join(dir, 'b.npy'), '<f4', [10, 4], async (write) => {
    for (let r = 0; r < 10; r += 3) await write(data.subarray(r * 4, Math.min(10, r + 3) * 4));
  });
  assert.ok(readFileSync(join(dir, 'a.npy')).equals(readFileSync(join(dir, 'b.npy'))));
  assert.deepEqual([...(readNpy(join(dir, 'b.npy')).data as Float32Array)], [...data]);
  await assert.rejects(
    writeNpyStream(join(dir, 'c.npy'), '<f4', [10, 4], async (write) => write(data.subarray(0, 8))),
    /8 of the 40 elements of shape \[10, 4\] written/,
  );
  await assert.rejects(writeNpyStream(join(dir, 'c.npy'), '<f4', [1, 4], async (write) => write(new Float64Array(4))), /chunk of <f8 written to a <f4 array/);
  assert.throws(() => readFileSync(join(dir, 'c.npy')), /ENOENT/);
});

test('numpy reads the files (np.load), when Python with numpy is installed', (t) => {
  const probe = spawnSync('python3', ['-c', 'import numpy'], { encoding: 'utf8' });
  if (probe.status !== 0) return t.skip('python3 with numpy not available');
  const dir = mkdtempSync(join(tmpdir(), 'gdt-npy-'));
  const data = Float32Array.from({ length: 6 }, (_, i) => i + 0.25);
  const path = join(dir, 'x.npy');
  return writeNpy(path, data, [2, 3]).then(() => {
    const r = spawnSync('python3', ['-c', `import numpy as np; a = np.load(${JSON.stringify(path)}); print(a.dtype, a.shape, a.flags['C_CONTIGUOUS'], a.sum(), a[1, 2])`], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout.trim(), 'float32 (2, 3) True 16.5 5.25');
  });
});
