// Conversion and metadata: toTypedArray/toArray/item, to(dtype|device), contiguous, clone, copy_.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { torch, flat, assertMeta, assertThrowsMsg } from './helpers.js';

describe('reading values', () => {
  test('toTypedArray returns the array type of each dtype', () => {
    assert.ok(torch.ones([2]).toTypedArray() instanceof Float32Array);
    assert.ok(torch.ones([2], { dtype: 'float64' }).toTypedArray() instanceof Float64Array);
    assert.ok(torch.ones([2], { dtype: 'int64' }).toTypedArray() instanceof BigInt64Array);
    assert.ok(torch.ones([2], { dtype: 'int32' }).toTypedArray() instanceof Int32Array);
    assert.ok(torch.ones([2], { dtype: 'int16' }).toTypedArray() instanceof Int16Array);
    assert.ok(torch.ones([2], { dtype: 'int8' }).toTypedArray() instanceof Int8Array);
    assert.ok(torch.ones([2], { dtype: 'uint8' }).toTypedArray() instanceof Uint8Array);
    assert.ok(torch.ones([2], { dtype: 'bool' }).toTypedArray() instanceof Uint8Array);
    // half types come back widened to float32
    const h = torch.tensor([0.5, 1.5, 65504], { dtype: 'float16' }).toTypedArray();
    assert.ok(h instanceof Float32Array);
    assert.deepEqual(Array.from(h), [0.5, 1.5, 65504]);
  });

  test('toTypedArray is a row-major copy, also of non-contiguous views', () => {
    const t = torch.arange(6, undefined, 1, { dtype: 'float32' }).view(2, 3);
    const tt = t.t();
    assert.equal(tt.isContiguous(), false);
    assert.deepEqual(Array.from(tt.toTypedArray() as Float32Array), [0, 3, 1, 4, 2, 5]);
    const arr = t.toTypedArray() as Float32Array;
    arr[0] = 99;
    assert.equal(t.index(0, 0).item(), 0, 'the typed array is a copy');
  });

  test('toArray nests by shape; bool as booleans; int64 as numbers; 0-d as a scalar', () => {
    assert.deepEqual(torch.arange(8).view(2, 2, 2).toArray(), [[[0, 1], [2, 3]], [[4, 5], [6, 7]]]);
    assert.deepEqual(torch.tensor([1, 0, 1], { dtype: 'bool' }).toArray(), [true, false, true]);
    assert.equal(torch.tensor(5).toArray(), 5);
    assert.deepEqual(torch.zeros([2, 0]).toArray(), [[], []]);
  });

  test('item returns numbers, booleans for bool; throws for more than one element', () => {
    assert.equal(torch.tensor([2.5]).item(), 2.5);
    assert.equal(torch.tensor([[7]]).item(), 7);
    assert.equal(torch.tensor([true]).item(), true);
    assert.equal(torch.tensor([0.1], { dtype: 'float64' }).item(), 0.1);
    assertThrowsMsg(() => torch.tensor([1, 2]).item(), Error, 'a Tensor with 2 elements cannot be converted to Scalar');
  });

  test(
    'toArray of a complex tensor gives [re, im] pairs (or refuses)',
    () => {
      const c = torch.F.viewAsComplex(torch.tensor([[1, 2], [3, -4]], { dtype: 'float32' }));
      let r: unknown;
      try {
        r = c.toArray();
      } catch (e) {
        assert.ok(e instanceof TypeError, String(e));
        return;
      }
      assert.deepEqual(r, [[1, 2], [3, -4]]);
    },
  );

  test('complex values read as interleaved pairs', () => {
    const c = torch.F.viewAsComplex(torch.tensor([[1, 2], [3, -4]], { dtype: 'float32' }));
    assertMeta(c, [2], 'complex64');
    assert.deepEqual(Array.from(c.toTypedArray() as Float32Array), [1, 2, 3, -4]);
    assert.deepEqual(flat(c.abs()), [Math.sqrt(5), 5].map((x) => Math.fround(x)));
  });
});

describe('to()', () => {
  test('dtype conversions: values, truncation and rounding', () => {
    const f = torch.tensor([1.7, -1.7, 2.5, -0.5], { dtype: 'float64' });
    assert.deepEqual(flat(f.to('int64')), [1, -1, 2, 0]);
    assert.deepEqual(flat(f.long()), [1, -1, 2, 0]);
    assert.deepEqual(flat(f.int()), [1, -1, 2, 0]);
    assert.equal(f.int().dtype, 'int32');
    assert.deepEqual(f.bool().toArray(), [true, true, true, true]);
    assert.equal(f.float().dtype, 'float32');
    assert.equal(f.float().index(0).item(), Math.fround(1.7));
    assert.equal(torch.tensor([1, 2]).double().dtype, 'float64');
    // 1/3 rounded to half and bfloat16
    const third = torch.tensor([1 / 3], { dtype: 'float64' });
    assert.equal(third.half().item(), 0.333251953125);
    assert.equal(third.bfloat16().item(), 0.333984375);
    assert.equal(third.to({ dtype: 'bfloat16' }).dtype, 'bfloat16');
    // uint8 wraps, as in C
    assert.deepEqual(flat(torch.tensor([-1, 256, 300]).to('uint8')), [255, 0, 44]);
  });

  test('to the same dtype/device returns a tensor sharing memory unless copy is asked', () => {
    const a = torch.ones([3]);
    const same = a.to('float32');
    assert.equal(same.dataPtr(), a.dataPtr());
    const cpu = a.to('cpu');
    assert.equal(cpu.device, 'cpu');
    assert.equal(cpu.dataPtr(), a.dataPtr());
    assert.equal(a.cpu().dataPtr(), a.dataPtr());
    const copy = a.to({ dtype: 'float32', copy: true });
    assert.notEqual(copy.dataPtr(), a.dataPtr());
    copy.fill_(5);
    assert.deepEqual(flat(a), [1, 1, 1]);
    const both = a.to({ dtype: 'float64', device: 'cpu' });
    assertMeta(both, [3], 'float64');
    assert.equal(both.device, 'cpu');
  });

  test('to(cuda) fails with libtorch\'s message on this CPU build', { skip: torch.cuda.isAvailable() && 'CUDA is available' }, () => {
    const isCudaError = (e: unknown) =>
      e instanceof Error && /PyTorch is not linked with support for cuda devices|Could not run '.*' with arguments from the 'CUDA' backend/.test(e.message);
    assert.throws(() => torch.ones([1]).to('cuda'), isCudaError);
    assert.throws(() => torch.ones([1]).cuda(), isCudaError);
    assert.throws(() => torch.ones([1]).pinMemory(), isCudaError);
  });

  test('memoryFormat channelsLast changes strides, not values', () => {
    const x = torch.arange(24, undefined, 1, { dtype: 'float32' }).view(1, 2, 3, 4);
    const cl = x.to({ memoryFormat: 'channelsLast' });
    assert.deepEqual(cl.strides, [24, 1, 8, 2]);
    assert.deepEqual(flat(cl), flat(x));
    assert.deepEqual(x.contiguous('channelsLast').strides, [24, 1, 8, 2]);
  });
});

describe('contiguous / clone / copy_ / detach', () => {
  test('contiguous makes a row-major copy of a transposed view', () => {
    const x = torch.arange(6).view(2, 3);
    const t = x.transpose(0, 1);
    assert.deepEqual(t.strides, [1, 3]);
    assert.equal(t.isContiguous(), false);
    const c = t.contiguous();
    assert.equal(c.isContiguous(), true);
    assert.deepEqual(c.strides, [2, 1]);
    assert.deepEqual(c.toArray(), [[0, 3], [1, 4], [2, 5]]);
    // already contiguous: same memory
    assert.equal(x.contiguous().dataPtr(), x.dataPtr());
  });

  test('clone copies: independent memory, same values, keeps strides (preserve)', () => {
    const x = torch.tensor([1, 2, 3], { dtype: 'float32' });
    const c = x.clone();
    assert.notEqual(c.dataPtr(), x.dataPtr());
    c.add_(10);
    assert.deepEqual(flat(x), [1, 2, 3]);
    assert.deepEqual(flat(c), [11, 12, 13]);
    const tt = torch.zeros([2, 3]).t();
    assert.deepEqual(tt.strides, [1, 3]);
    assert.deepEqual(tt.clone().strides, [1, 3]);
    assert.deepEqual(tt.clone('contiguous').strides, [2, 1]);
  });

  test('copy_ broadcasts and converts into the destination', () => {
    const dst = torch.zeros([2, 3], { dtype: 'float64' });
    const r = dst.copy_(torch.tensor([1, 2, 3]));
    assert.equal(r, dst);
    assert.deepEqual(dst.toArray(), [[1, 2, 3], [1, 2, 3]]);
    assert.equal(dst.dtype, 'float64');
  });

  test('detach shares memory and drops requiresGrad', () => {
    const x = torch.ones([2], { requiresGrad: true });
    const d = x.detach();
    assert.equal(d.requiresGrad, false);
    assert.equal(d.dataPtr(), x.dataPtr());
    d.fill_(3);
    assert.deepEqual(flat(x), [3, 3]);
  });

  test('setData swaps the data and shape, keeping identity', () => {
    const p = torch.zeros([2], { requiresGrad: true });
    p.setData(torch.ones([3, 1]));
    assert.deepEqual(p.shape, [3, 1]);
    assert.deepEqual(flat(p), [1, 1, 1]);
    assert.equal(p.requiresGrad, true);
  });
});

describe('metadata', () => {
  test('shape, size, ndim, numel, strides, dtype, device, toString', () => {
    const x = torch.zeros([2, 3, 4], { dtype: 'int16' });
    assert.deepEqual(x.shape, [2, 3, 4]);
    assert.deepEqual(x.size(), [2, 3, 4]);
    assert.equal(x.size(1), 3);
    assert.equal(x.size(-1), 4);
    assert.throws(() => x.size(3), RangeError);
    assert.equal(x.ndim, 3);
    assert.equal(x.numel, 24);
    assert.deepEqual(x.strides, [12, 4, 1]);
    assert.equal(x.dtype, 'int16');
    assert.equal(x.device, 'cpu');
    assert.equal(x.isCuda, false);
    assert.equal(String(x), 'Tensor(shape=[2, 3, 4], dtype=int16, device=cpu)');
    const s = x.shape;
    s[0] = 100;
    assert.deepEqual(x.shape, [2, 3, 4], 'shape returns a copy');
  });

  test(
    'size(dim) of a 0-d tensor is an IndexError (RangeError) for every dim',
    () => {
      const s = torch.tensor(5);
      assert.deepEqual(s.size(), []);
      assert.throws(() => s.size(0), RangeError);
      assert.throws(() => s.size(-1), RangeError);
    },
  );

  test('dtype helpers', () => {
    assert.equal(torch.isFloating('bfloat16'), true);
    assert.equal(torch.isFloating('int64'), false);
    assert.equal(torch.elementSize('float16'), 2);
    assert.equal(torch.elementSize('complex128'), 16);
    assert.ok(torch.dtypes.includes('uint8'));
    assertThrowsMsg(() => torch.zeros([1], { dtype: 'float8' as torch.DType }), TypeError, "unknown dtype 'float8'");
  });

  test('isPinned answers false for ordinary CPU memory', () => {
    assert.equal(torch.ones([1]).isPinned(), false);
  });
});
