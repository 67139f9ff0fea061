// PyTorch's type promotion rules: categories, wrapped scalars, 0-d tensors, division.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { torch, flat, assertThrowsMsg, type Tensor } from './helpers.js';

const T = (d: torch.DType, vals: number[] = [1, 2]) => torch.tensor(vals, { dtype: d });

describe('tensor-tensor promotion', () => {
  const cases: [torch.DType, torch.DType, torch.DType][] = [
    ['int64', 'float32', 'float32'],
    ['float16', 'float32', 'float32'],
    ['bfloat16', 'float16', 'float32'],
    ['float32', 'float64', 'float64'],
    ['int32', 'int64', 'int64'],
    ['uint8', 'int8', 'int16'],
    ['int8', 'int16', 'int16'],
    ['bool', 'int32', 'int32'],
    ['bool', 'float16', 'float16'],
    ['uint8', 'bool', 'uint8'],
    ['int64', 'float16', 'float16'],
  ];
  for (const [a, b, want] of cases) {
    test(`${a} + ${b} -> ${want}`, () => {
      const r = T(a).add(T(b));
      assert.equal(r.dtype, want);
      assert.equal(T(b).mul(T(a)).dtype, want, 'symmetric');
      if (a !== 'bool' && b !== 'bool') assert.deepEqual(flat(r), [2, 4]);
    });
  }

  test('bool + bool stays bool (logical or)', () => {
    const r = torch.tensor([true, true, false]).add(torch.tensor([true, false, false]));
    assert.equal(r.dtype, 'bool');
    assert.deepEqual(r.toArray(), [true, true, false]);
    assert.equal(torch.tensor([true]).mul(torch.tensor([false])).dtype, 'bool');
  });

  test('a 0-d tensor does not promote within its category, but does across categories', () => {
    assert.equal(T('float32').add(torch.scalarTensor(1, { dtype: 'float64' })).dtype, 'float32');
    assert.equal(T('int32').add(torch.scalarTensor(1, { dtype: 'int64' })).dtype, 'int32');
    assert.equal(T('int32').add(torch.scalarTensor(1.5, { dtype: 'float64' })).dtype, 'float64');
    assert.equal(T('float16').mul(torch.scalarTensor(2, { dtype: 'float64' })).dtype, 'float16');
    assert.equal(torch.scalarTensor(1, { dtype: 'float64' }).add(torch.scalarTensor(1, { dtype: 'float32' })).dtype, 'float64');
  });
});

describe('tensor-scalar promotion (wrapped numbers)', () => {
  test('int tensor + 2.5 gives the default float dtype (float32)', () => {
    const r = T('int64', [1, 2]).add(2.5);
    assert.equal(r.dtype, 'float32');
    assert.deepEqual(flat(r), [3.5, 4.5]);
    assert.equal(T('int32').mul(0.5).dtype, 'float32');
    assert.equal(T('uint8').sub(0.5).dtype, 'float32');
  });

  test('int tensor * 2 stays int64 (and int32 stays int32)', () => {
    const r = T('int64', [3, -4]).mul(2);
    assert.equal(r.dtype, 'int64');
    assert.deepEqual(flat(r), [6, -8]);
    assert.equal(T('int32').add(7).dtype, 'int32');
    assert.equal(T('uint8').add(300).dtype, 'uint8');
    assert.deepEqual(flat(T('uint8', [250]).add(10)), [4], 'uint8 wraps');
  });

  test('float tensors keep their precision with any float scalar', () => {
    assert.equal(T('float16').mul(2.5).dtype, 'float16');
    assert.equal(T('bfloat16').add(1e-3).dtype, 'bfloat16');
    assert.equal(T('float32').add(0.1).dtype, 'float32');
    assert.equal(T('float32', [1]).add(0.1).item(), Math.fround(1 + Math.fround(0.1)));
  });

  test('bool tensor with numbers', () => {
    assert.equal(torch.tensor([true, false]).add(1).dtype, 'int64');
    assert.deepEqual(flat(torch.tensor([true, false]).add(1)), [2, 1]);
    assert.equal(torch.tensor([true, false]).mul(1.5).dtype, 'float32');
    assert.equal(T('int64').add(true).dtype, 'int64');
  });

  test('comparisons give bool whatever the operands', () => {
    assert.equal(T('int64').lt(1.5).dtype, 'bool');
    assert.equal(T('float16').eq(T('float64')).dtype, 'bool');
  });
});

describe('division', () => {
  test('true division of integers gives float32', () => {
    const a = T('int64', [7, -7, 6]);
    const r = a.div(2);
    assert.equal(r.dtype, 'float32');
    assert.deepEqual(flat(r), [3.5, -3.5, 3]);
    const rt = a.div(T('int64', [2, 2, 4]));
    assert.equal(rt.dtype, 'float32');
    assert.deepEqual(flat(rt), [3.5, -3.5, 1.5]);
    assert.equal(T('int32').div(T('int32')).dtype, 'float32');
    assert.equal(T('float64').div(2).dtype, 'float64');
  });

  test("roundingMode 'trunc' and 'floor' keep integer dtypes", () => {
    const a = T('int64', [7, -7, 6, -6]);
    const tr = a.div(2, 'trunc');
    const fl = a.div(2, 'floor');
    assert.equal(tr.dtype, 'int64');
    assert.equal(fl.dtype, 'int64');
    assert.deepEqual(flat(tr), [3, -3, 3, -3]);
    assert.deepEqual(flat(fl), [3, -4, 3, -3]);
    assert.deepEqual(flat(a.div(T('int64', [-2, -2, 4, 4]), 'floor')), [-4, 3, 1, -2]);
  });

  test('rounding modes on floats', () => {
    const a = T('float64', [7.5, -7.5, 1, -1]);
    assert.deepEqual(flat(a.div(2, 'trunc')), [3, -3, 0, -0]);
    assert.deepEqual(flat(a.div(2, 'floor')), [3, -4, 0, -1]);
    assert.equal(a.div(2, 'floor').dtype, 'float64');
  });

  test(
    'rounding modes with a non-integer scalar divisor promote an integer tensor',
    () => {
      const a = T('int64', [7, -7]);
      const fl = a.div(2.5, 'floor');
      assert.equal(fl.dtype, 'float32');
      assert.deepEqual(flat(fl), [2, -3]);
      assert.deepEqual(flat(a.div(2.5, 'trunc')), [2, -2]);
    },
  );

  test('rounding modes with a tensor divisor promote', () => {
    assert.equal(T('float32', [7.5]).div(T('int64', [2]), 'floor').dtype, 'float32');
    assert.deepEqual(flat(T('int64', [7]).div(T('float64', [2.5]), 'floor')), [2]);
    assert.equal(T('int64', [7]).div(T('float64', [2.5]), 'floor').dtype, 'float64');
  });

  test('integer division by zero', () => {
    assertThrowsMsg(() => T('int64', [1]).div(0, 'trunc'), Error, 'ZeroDivisionError');
    assert.deepEqual(flat(T('int64', [1, -1, 0]).div(0)), [Infinity, -Infinity, NaN]);
  });
});

describe('other promotion-sensitive ops', () => {
  test('sum of integers and bools accumulates in int64', () => {
    assert.equal(T('int32').sum().dtype, 'int64');
    assert.equal(T('uint8', [200, 100]).sum().item(), 300);
    assert.equal(torch.tensor([true, true, false]).sum().item(), 2);
    assert.equal(torch.tensor([true, true, false]).sum().dtype, 'int64');
    assert.equal(T('int32').sum(undefined, false, 'float64').dtype, 'float64');
  });

  test('mean of integers needs a dtype (libtorch\'s message)', () => {
    assertThrowsMsg(() => T('int64').mean(), Error, 'mean(): could not infer output dtype');
    assert.equal(T('int64', [1, 2]).mean(undefined, false, 'float64').item(), 1.5);
  });

  test('integers to negative integer powers are an error; to float powers promote', () => {
    assertThrowsMsg(() => T('int64').pow(-1), Error, 'Integers to negative integer powers are not allowed');
    const p = T('int64', [4]).pow(0.5);
    assert.equal(p.dtype, 'float32');
    assert.equal(p.item(), 2);
    assert.equal(T('int64', [3]).pow(2).dtype, 'int64');
  });

  test('where promotes its two branches', () => {
    const c = torch.tensor([true, false]);
    const r: Tensor = torch.where(c, T('int64', [1, 2]), T('float32', [0.5, 0.5]));
    assert.equal(r.dtype, 'float32');
    assert.deepEqual(flat(r), [1, 0.5]);
  });

  test(
    'where with a scalar branch promotes like PyTorch (int tensor, 2.5 -> float32)',
    () => {
      const c = torch.tensor([true, false]);
      const r = torch.where(c, T('int64', [7, 7]), 2.5);
      assert.equal(r.dtype, 'float32');
      assert.deepEqual(flat(r), [7, 2.5]);
      const m = T('int64', [7, 7]).where(c, 2.5);
      assert.equal(m.dtype, 'float32');
      assert.deepEqual(flat(m), [7, 2.5]);
    },
  );

  test('float16 arithmetic rounds to half precision', () => {
    const r = T('float16', [1]).add(T('float16', [1e-4]));
    assert.equal(r.item(), 1, '1 + 1e-4 is 1 in half precision');
    assert.equal(T('float32', [1]).add(T('float32', [1e-4])).item(), Math.fround(1.0001));
  });
});
